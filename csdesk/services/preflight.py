"""Login-screen pre-flight (operating guide §1.1: workstation ready).

Three checks: terminal size (80×24 minimum, DESIGN §1), backend reachable,
and clock skew against the server (TOTP codes, RFC 6238, are only valid
within ±1 step of 30 s, so a skew over 30 s makes sign-in fail).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

MIN_COLUMNS = 80
MIN_ROWS = 24
#: Seconds of clock difference above which the agent is warned.
MAX_SKEW = 30.0


@dataclass(frozen=True)
class PreflightResult:
    """Outcome of the backend checks.

    ``reachable`` — the backend answered ``/health``; ``version`` its version;
    ``skew`` — server clock minus local clock in seconds (None if unknown);
    ``error`` — why it is unreachable, for the agent.
    """

    reachable: bool
    version: str | None = None
    skew: float | None = None
    error: str | None = None

    @property
    def skew_warning(self) -> bool:
        """True when the clocks differ by more than :data:`MAX_SKEW` seconds."""
        return self.skew is not None and abs(self.skew) > MAX_SKEW

    @property
    def skew_text(self) -> str:
        """The skew in whole seconds with a sign, ``"+0"`` within half a second.

        Whole seconds are what matter against a 30 s TOTP step (RFC 6238);
        tenths would flicker between ``-0.0`` and ``+0.0`` on a good clock.
        """
        return f"{round(self.skew or 0.0):+d}"


def terminal_too_small(columns: int, rows: int) -> bool:
    """True under 80 columns or 24 rows (cells)."""
    return columns < MIN_COLUMNS or rows < MIN_ROWS


async def check_backend(api: "ApiClient") -> PreflightResult:  # noqa: F821
    """Call ``/health`` and measure the skew against the midpoint of the request."""
    from csdesk.api.errors import ApiError

    started = time.time()
    try:
        health = await api.health()
    except ApiError as exc:
        return PreflightResult(reachable=False, error=str(exc))
    finished = time.time()
    local_mid = (started + finished) / 2
    skew = health.time.timestamp() - local_mid
    return PreflightResult(reachable=True, version=health.version, skew=skew)
