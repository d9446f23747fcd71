"""Pure models and rules shared by the client and the reference backend.

Nothing in this package does I/O or imports Textual, httpx, FastAPI or
SQLAlchemy (enforced by ``tests/test_layers.py``).
"""
