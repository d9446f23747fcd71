"""Turn any failure of a backend or store call into one line for the agent."""

from __future__ import annotations

from csdesk.i18n import t

#: Problem codes with a message of their own in the catalogue (``problem.<code>``).
KNOWN_PROBLEMS = frozenset(
    {
        "invalid-credentials",
        "account-locked",
        "invalid-code",
        "mfa-ticket-invalid",
        "unauthorized",
        "token-expired",
        "illegal-transition",
        "version-conflict",
        "validation-error",
        "password-change-required",
        "password-policy",
    }
)


#: Wire field → catalogue label, so a refused value is named as the agent sees it.
FIELD_LABELS = {
    "employee_id": "login.employee_id",
    "password": "login.password",
    "current_password": "password.current",
    "new_password": "password.new",
    "code": "mfa.code",
}


def describe_validation_error(exc: BaseException) -> str:
    """One line for a pydantic ``ValidationError`` raised before sending:
    the first refused field, by its on-screen label, and what is wrong with it
    (empty, too long, or otherwise not accepted). Never the class name."""
    errors = exc.errors() if hasattr(exc, "errors") else []  # type: ignore[attr-defined]
    first = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", ()) if isinstance(part, str)]
    name = loc[-1] if loc else ""
    field = t(FIELD_LABELS[name]) if name in FIELD_LABELS else (name.replace("_", " ") or "?")
    kind = str(first.get("type", ""))
    ctx = first.get("ctx") or {}
    if kind in ("string_too_short", "missing") and ctx.get("min_length", 1) <= 1:
        return t("error.field_empty", field=field)
    if kind == "string_too_long" and "max_length" in ctx:
        return t("error.field_too_long", field=field, max=ctx["max_length"])
    return t("error.field_invalid", field=field)


def describe_error(exc: BaseException) -> str:
    """Return a translated, secret-free message for ``exc``.

    Offline → ``error.offline``; malformed reply → ``error.bad_reply`` with the
    detail; a problem with a known code → its own message; other problems →
    the server's title/detail; store errors → their own message (names the file).
    """
    from csdesk.api.errors import BadResponseError, OfflineError, ProblemError
    from csdesk.store.errors import StoreCorruptError, StoreLockedError

    if isinstance(exc, OfflineError):
        return t("error.offline")
    if isinstance(exc, BadResponseError):
        return t("error.bad_reply", detail=str(exc))
    if isinstance(exc, ProblemError):
        if exc.code == "account-locked" and exc.problem.locked_until is not None:
            until = exc.problem.locked_until.astimezone().strftime("%H:%M")
            return t("problem.account-locked-until", until=until)
        if exc.code in KNOWN_PROBLEMS:
            detail = exc.problem.detail or ""
            return t(f"problem.{exc.code}", detail=detail)
        return t("error.refused", status=exc.status, detail=str(exc))
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return describe_validation_error(exc)
    if isinstance(exc, StoreLockedError):
        return t("error.store_locked")
    if isinstance(exc, StoreCorruptError):
        return t("error.store_corrupt", detail=str(exc))
    return t("error.unexpected", detail=type(exc).__name__)
