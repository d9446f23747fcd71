"""The backend client: typed calls over httpx, error mapping, the event stream.

Imports httpx and pydantic, so the UI imports it lazily (off the start path).
"""
