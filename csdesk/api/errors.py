"""Errors raised by the backend client, each with a message fit for the agent."""

from __future__ import annotations

from csdesk.domain.schemas import Problem


class ApiError(Exception):
    """Base of client errors. ``str(error)`` is safe to show (no secrets, no PII)."""


class OfflineError(ApiError):
    """The backend could not be reached or did not answer in time."""


class BadResponseError(ApiError):
    """The backend answered with something that is not the agreed JSON shape."""


class ProblemError(ApiError):
    """The backend refused the request with an RFC 9457 problem.

    ``problem`` is the parsed body; ``status`` its HTTP status; ``code`` the
    slug from docs/protocol.md (e.g. ``invalid-credentials``) or None.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.status = problem.status
        self.code = problem.code
        super().__init__(problem.detail or problem.title)

    @property
    def permanent(self) -> bool:
        """True for refusals that a retry cannot fix (4xx other than 408/429)."""
        return 400 <= self.status < 500 and self.status not in (408, 425, 429)
