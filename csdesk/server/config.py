"""Settings of the reference backend. Every duration is in seconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from csdesk.domain.password_policy import PasswordPolicy


class Argon2Cost(TypedDict):
    """Argon2 parameters: passes, memory in KiB, lanes (RFC 9106 §3.1)."""

    argon2_time_cost: int
    argon2_memory_cost: int
    argon2_parallelism: int


#: The demo queues: (name, channel). Names are ``<channel>.<topic>``.
DEFAULT_QUEUES: tuple[tuple[str, str], ...] = (
    ("chat.general", "chat"),
    ("phone.general", "phone"),
    ("phone.cards", "phone"),
)


#: The channels simulated customers may use.
SIMULATOR_CHANNELS: tuple[str, ...] = ("chat", "phone")

#: Channel mixes by name (``--channels`` of ``csdesk demo``/``csdesk server``).
CHANNEL_MIXES: dict[str, tuple[str, ...]] = {"both": SIMULATOR_CHANNELS, "chat": ("chat",), "phone": ("phone",)}


@dataclass(frozen=True)
class ServerSettings:
    """How one backend instance runs.

    - ``db_path``: the SQLite file (its folder is created with mode 0700).
    - ``access_ttl``: access-token lifetime, s (1 h).
    - ``refresh_ttl``: lifetime of a sign-in's refresh tokens, s (10 h, one
      shift). Rotation keeps the sign-in's absolute end; it does not extend it.
    - ``mfa_ticket_ttl``: how long the ticket from ``/auth/login`` lives, s.
    - ``mfa_max_attempts``: wrong codes accepted on one ticket before it dies.
    - ``totp_window``: steps of 30 s accepted either side of now (RFC 6238 §5.2).
    - ``heartbeat``: interval of the SSE ``: ping`` comment, s; also how often
      an idle stream re-checks its token and the database.
    - ``idempotency_ttl``: how long an ``Idempotency-Key`` answer is kept, s.
    - ``argon2_time_cost`` / ``argon2_memory_cost`` (KiB) / ``argon2_parallelism``:
      password hashing cost. The defaults are argon2-cffi's production profile
      (RFC 9106 "second recommended option": t=3, m=64 MiB, p=4, ~0.1 s per
      hash). Tests may pass :meth:`fast_hashing` values; never do so in production.
    - ``seed_demo``: put the demo agents and announcements into a new database.

    Sign-in security (issue #3, operating guide §1.2-§1.3):

    - ``password_policy``: the :class:`PasswordPolicy` enforced on every new
      password (lengths in characters, ages in days).
    - ``lockout_threshold``: failed passwords in a row that lock an account (5).
    - ``lockout_duration``: how long a locked account stays locked, s (15 min).
    - ``mfa_ticket_max_age``: the steps of a first sign-in (password change,
      TOTP enrolment, SMS send) renew the MFA ticket for ``mfa_ticket_ttl``,
      but never beyond this age, s (30 min).
    - ``sms_enabled``: offer SMS codes as a second factor (off by default;
      the demo turns it on).
    - ``sms_code_ttl``: lifetime of an SMS code, s (5 min).
    - ``sms_max_sends``: SMS codes one MFA ticket may ask for (3).
    - ``sms_log_path``: file the demo SMS sender appends to; ``None`` means
      ``sms.log`` beside the database (:attr:`sms_log_file`).

    Bank policy for the desk (``GET /auth/desk-policy``):

    - ``max_idle_lock_minutes``: the longest idle lock an agent may choose,
      whole minutes (15). Published to the client, which offers 1..this and
      applies a stored longer value as this; ``PUT /me/settings`` stores an
      ``idle_lock_minutes`` above it as this maximum. At least 1
      (``ValueError`` otherwise).

    Live session (issue #4, operating guide §2.1):

    - ``queues``: the contact queues as ``(name, channel)`` pairs, channel
      ``chat`` or ``phone`` (:data:`DEFAULT_QUEUES`: ``chat.general``,
      ``phone.general``, ``phone.cards``).
    - ``offer_timeout``: how long an offer rings before it counts as missed, s (20).
    - ``acw_seconds``: the after-contact-work timer, s (60); an agent may
      extend it once by the same amount.
    - ``routing_tick``: how often the routing engine looks at the queues,
      offer timeouts and ACW deadlines when nothing wakes it earlier, s (0.5).
    - ``disclosure_timeout``: how long a risk disclosure waits for the
      customer's answer, s (120); then it lapses as "no answer", which is
      no consent (``csdesk.server.disclosures.expire_disclosures``). > 0.

    Training simulator (issue #4, ``csdesk demo`` / ``csdesk server --simulate``):

    - ``simulate``: run simulated customers in this backend (off by default;
      ``csdesk demo`` turns it on). They are the demo customers, so the demo
      customers are seeded into the database whenever this is on.
    - ``simulator_customers``: a ``text,category`` CSV (such as Banking77's
      ``train.csv``) whose texts are the customers' first words, a scenario
      picked by category; ``None``: the scenarios' own first words (Chinese).
    - ``simulator_arrival_seconds``: mean time between two customers, s (30,
      i.e. 2 a minute); arrivals are a Poisson process (exponential gaps).
    - ``simulator_channels``: the channels customers may arrive on, a subset
      of ``("chat", "phone")`` (both); each needs a configured queue.
    - ``simulator_speed``: reply delays and patience are divided by this
      (1.0 = real time); tests make it large.
    - ``simulator_seed``: seeds the simulator's randomness (``None``: random).
    - ``work_orders_file``: the work-order departments, routing rules and
      business calendar (TOML, ``csdesk.server.work_order_config``); ``None``:
      the packaged demo file (issue #6).
    - ``sla_sweep_seconds``: how often the routing engine's loop looks for
      breached work orders to escalate, s (30).
    """

    db_path: Path
    access_ttl: int = 3600
    refresh_ttl: int = 36000
    mfa_ticket_ttl: int = 300
    mfa_max_attempts: int = 5
    totp_window: int = 1
    heartbeat: float = 15.0
    idempotency_ttl: int = 86400
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4
    seed_demo: bool = True
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    lockout_threshold: int = 5
    lockout_duration: float = 900.0
    mfa_ticket_max_age: int = 1800
    sms_enabled: bool = False
    sms_code_ttl: int = 300
    sms_max_sends: int = 3
    sms_log_path: Path | None = None
    max_idle_lock_minutes: int = 15
    # Live session (issue #4, operating guide §2.1): see the docstring.
    queues: tuple[tuple[str, str], ...] = DEFAULT_QUEUES
    offer_timeout: float = 20.0
    acw_seconds: float = 60.0
    routing_tick: float = 0.5
    disclosure_timeout: float = 120.0
    # Training simulator (issue #4): see the docstring.
    simulate: bool = False
    simulator_customers: Path | None = None
    simulator_arrival_seconds: float = 30.0
    simulator_channels: tuple[str, ...] = SIMULATOR_CHANNELS
    simulator_speed: float = 1.0
    simulator_seed: int | None = None
    work_orders_file: Path | None = None
    sla_sweep_seconds: float = 30.0

    def __post_init__(self) -> None:
        minutes = self.max_idle_lock_minutes
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
            raise ValueError(f"max_idle_lock_minutes must be a whole number >= 1, not {minutes!r}")
        if not self.disclosure_timeout > 0:
            raise ValueError(f"disclosure_timeout must be > 0, not {self.disclosure_timeout!r}")
        if not self.simulator_arrival_seconds > 0:
            raise ValueError(f"simulator_arrival_seconds must be > 0, not {self.simulator_arrival_seconds!r}")
        if not self.simulator_speed > 0:
            raise ValueError(f"simulator_speed must be > 0, not {self.simulator_speed!r}")
        channels = self.simulator_channels
        queued = {channel for _name, channel in self.queues}
        if not channels or any(c not in SIMULATOR_CHANNELS or c not in queued for c in channels):
            raise ValueError(
                f"simulator_channels must be some of {', '.join(sorted(queued))} "
                f"(channels with a queue), not {channels!r}"
            )

    @property
    def sms_log_file(self) -> Path:
        """Where the demo SMS sender writes: ``sms_log_path`` or ``sms.log`` beside the database."""
        return self.sms_log_path or Path(self.db_path).parent / "sms.log"

    @staticmethod
    def fast_hashing() -> Argon2Cost:
        """Argon2 parameters for tests only (~1 ms per hash instead of ~100 ms).

        Use as ``ServerSettings(db_path=..., **ServerSettings.fast_hashing())``.
        """
        return {"argon2_time_cost": 1, "argon2_memory_cost": 1024, "argon2_parallelism": 1}


def default_db_path() -> Path:
    """The embedded database under the user data folder (``…/csdesk/server.db``)."""
    from platformdirs import user_data_path

    return user_data_path("csdesk", appauthor=False) / "server.db"
