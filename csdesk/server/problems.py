"""RFC 9457 problem details for every error the backend answers.

Each answer is ``application/problem+json`` shaped like
:class:`csdesk.domain.schemas.Problem`: ``type`` =
``https://csdesk.dev/problems/<code>``, ``title``, ``status``, ``detail``,
``code`` and, for request validation, ``errors`` =
``[{"field": "body.code", "message": "..."}]``. The codes are those of
``docs/protocol.md``. Nothing from the request (a password, a code) is ever
echoed, and an unexpected exception gives ``internal-error`` with no detail
and no trace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from csdesk.domain.schemas import Problem

logger = logging.getLogger("csdesk.server")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://csdesk.dev/problems/"

#: code → (status, title). The protocol's table, plus the generic HTTP ones.
CODES: dict[str, tuple[int, str]] = {
    "invalid-credentials": (401, "Invalid employee ID or password"),
    "invalid-code": (401, "Invalid one-time code"),
    "mfa-ticket-invalid": (401, "Sign-in step expired; start again"),
    "unauthorized": (401, "Not signed in"),
    "token-expired": (401, "Access token expired"),
    "illegal-transition": (409, "State change not allowed"),
    "version-conflict": (409, "Based on a stale version"),
    "idempotency-key-reused": (422, "Idempotency key reused with a different request"),
    "validation-error": (422, "Invalid request"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "internal-error": (500, "Internal server error"),
    # issue #3: sign-in security
    "account-locked": (423, "Account locked"),
    "password-policy": (422, "Password does not meet the policy"),
    "password-change-required": (403, "Password change required"),
    "password-change-not-required": (409, "No password change is due"),
    "totp-enrolment-required": (403, "Authenticator not enrolled"),
    "totp-already-enrolled": (409, "Authenticator already enrolled"),
    "sms-unavailable": (409, "SMS codes are not available"),
    "too-many-requests": (429, "Too many requests"),
    # issue #4: identity verification and business operations
    "verification-locked": (423, "Identity verification locked for this contact"),
    "verification-required": (403, "Higher identity verification level required"),
    "disclosure-required": (409, "Risk disclosure consent required"),
    "risk-rating-exceeded": (403, "Product risk above the customer's risk rating"),
    "keypad-unavailable": (409, "Keypad not available"),
    "contact-not-active": (409, "Contact is not active"),
    # issue #6: work orders
    "forbidden": (403, "Not allowed for this agent"),
}

#: HTTP status → code, for HTTPExceptions raised by Starlette itself (routing).
_STATUS_CODES = {
    404: "not-found",
    405: "method-not-allowed",
    401: "unauthorized",
    422: "validation-error",
}


class ProblemError(Exception):
    """Raise to answer a problem: ``ProblemError("version-conflict", "…")``.

    ``code`` must be a key of :data:`CODES` (``KeyError`` otherwise); the
    status and title come from there. ``errors`` are field errors
    (``[{"field", "message"}]``) or, for ``password-policy``, failed rules
    (``[{"rule", "message"}]``); ``headers`` are added to the answer (e.g.
    ``WWW-Authenticate`` for 401, RFC 6750 §3); ``extensions`` are extra
    members of the problem object (RFC 9457 §3.2), fields of
    :class:`csdesk.domain.schemas.Problem` such as ``locked_until``.
    """

    def __init__(
        self,
        code: str,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        status, title = CODES[code]
        super().__init__(f"{code}: {detail or title}")
        self.code = code
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extensions = extensions


def problem_response(
    code: str,
    detail: str | None = None,
    *,
    status: int | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """Build the ``application/problem+json`` answer for ``code``.

    ``status`` overrides the code's usual status. A code outside
    :data:`CODES` (``http-error``, for rare HTTP statuses without a code of
    their own) takes its title from the HTTP reason phrase. ``extensions``
    are extension members (RFC 9457 §3.2) declared on ``Problem``.
    """
    if code in CODES:
        known_status, title = CODES[code]
    else:
        known_status = status or 500
        title = HTTPStatus(known_status).phrase
    problem = Problem(
        type=PROBLEM_TYPE_BASE + code,
        title=title,
        status=status or known_status,
        detail=detail,
        code=code,
        errors=errors,
        **dict(extensions or {}),
    )
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as ``[{"field": "body.code", "message": "..."}]``; input never echoed."""
    result: list[dict[str, Any]] = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            loc = loc[:1]  # ("body", <char offset>) → "body"
        field = ".".join(str(part) for part in loc)
        result.append({"field": field or "body", "message": str(error.get("msg", "invalid"))})
    return result


async def _problem_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.code, exc.detail, errors=exc.errors, headers=exc.headers, extensions=exc.extensions
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _STATUS_CODES.get(status) or ("internal-error" if status >= 500 else "http-error")
    detail = (
        None if code in ("not-found", "method-not-allowed", "internal-error") else _safe_detail(exc)
    )
    return problem_response(code, detail, status=status, headers=exc.headers)


def _safe_detail(exc: StarletteHTTPException) -> str | None:
    return exc.detail if isinstance(exc.detail, str) else None


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(
        "validation-error", "The request is not valid.", errors=validation_errors(exc)
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc
    )
    return problem_response("internal-error")


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` an RFC 9457 problem (see module docstring)."""
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
