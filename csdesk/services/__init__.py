"""Orchestration between the store and the backend client, without widgets."""
