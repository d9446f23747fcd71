"""Reusable widgets of the desk (Textual only; no HTTP or file I/O)."""
