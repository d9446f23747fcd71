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
    if isinstance(exc, StoreLockedError):
        return t("error.store_locked")
    if isinstance(exc, StoreCorruptError):
        return t("error.store_corrupt", detail=str(exc))
    return t("error.unexpected", detail=type(exc).__name__)
