"""Database tables of the reference backend (SQLAlchemy 2 typed declarative).

Every time column holds UTC. Secrets that only need to be recognised (access,
refresh and MFA tokens) are stored as SHA-256 hex digests, never in clear.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to naive UTC; raise ``ValueError`` on a naive one."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Mark a stored naive UTC datetime as UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base; JSON columns map from ``dict[str, Any]``."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Meta(Base):
    """Key/value facts about the database itself (``seeded_at``, ``schema``)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Agent(Base):
    """A contact-centre agent: identity, credentials and live state.

    ``totp_secret`` is the confirmed base32 TOTP secret, or ``""`` while the
    agent has none (new agent, or after ``csdesk admin agent reset-mfa``):
    then the agent enrols at the next sign-in. ``totp_last_step`` is the last
    accepted RFC 6238 time step (replay guard, §5.2).
    ``must_change_password`` marks a temporary password (issued by an
    administrator); ``password_changed_at`` starts the policy's maximum age
    (``None`` only in rows older than the column: ``created_at`` counts).
    ``phone`` is the number SMS codes go to (``None``: no SMS factor).
    ``state``/``state_reason`` hold ``AgentState``/``NotReadyReason``
    values; ``state_since`` is when the state was entered. ``role``:
    ``agent``, ``lead`` (takes and assigns work orders of the team's
    queues) or ``supervisor`` (a lead who also approves complaint
    extensions past 30 days and sees the escalation queue; issue #6).
    """

    __tablename__ = "agents"

    employee_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    team: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    totp_secret: Mapped[str] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    state: Mapped[str] = mapped_column(String(16))
    state_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    state_since: Mapped[datetime]
    created_at: Mapped[datetime]
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    role: Mapped[str] = mapped_column(String(16), default="agent", server_default="agent")

    @property
    def totp_enrolled(self) -> bool:
        """Whether the agent has a confirmed TOTP secret."""
        return bool(self.totp_secret)


class PasswordHistory(Base):
    """An Argon2id hash of a password an agent had, newest ``set_at`` last.

    Every password set (temporary ones included) is added; only the newest
    ``PasswordPolicy.history`` rows per agent are kept, for the "must differ
    from the last N passwords" rule (operating guide §1.3).
    """

    __tablename__ = "password_history"
    __table_args__ = (Index("ix_password_history_agent", "agent_id", "set_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"))
    password_hash: Mapped[str] = mapped_column(String(256))
    set_at: Mapped[datetime]


class SignInGuard(Base):
    """Failed passwords in a row for one employee ID, and the lock they caused.

    ``key`` is the normalised employee ID as typed, whether or not such an
    agent exists (no foreign key), so that an unknown ID locks exactly like a
    known one and the answers never tell them apart. ``failed_count`` counts
    attempts in a row (an attempt is counted when it starts and forgiven when
    the password is right); ``locked_until`` is set when the count reaches
    the threshold.
    """

    __tablename__ = "sign_in_guards"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


class PendingTotp(Base):
    """A TOTP secret offered by ``/auth/totp/enrol`` and not yet confirmed.

    Bound to the MFA ticket that asked for it (a new call on the same ticket
    replaces it), so a parallel sign-in cannot swap the secret under the agent.
    """

    __tablename__ = "pending_totp"

    ticket_hash: Mapped[str] = mapped_column(
        ForeignKey("mfa_tickets.ticket_hash", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"), index=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class SmsCode(Base):
    """The SMS code of one MFA ticket: an Argon2id hash, expiring, single use.

    ``sends`` counts the codes sent on the ticket (each new send replaces the
    code); the ticket's wrong-code counter limits guesses.
    """

    __tablename__ = "sms_codes"

    ticket_hash: Mapped[str] = mapped_column(
        ForeignKey("mfa_tickets.ticket_hash", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(256))
    sends: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class Token(Base):
    """An access or refresh token (``kind``), known only by its SHA-256 hash.

    ``sign_in`` groups the tokens issued by one sign-in and its refreshes, so
    that sign-out revokes them all and a replayed refresh token revokes the
    whole family (RFC 9700 §4.14.2).
    """

    __tablename__ = "tokens"
    __table_args__ = (Index("ix_tokens_sign_in", "sign_in"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"), index=True)
    sign_in: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class MfaTicket(Base):
    """The ticket between password and second factor: hashed, expiring, single use."""

    __tablename__ = "mfa_tickets"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)


class Announcement(Base):
    """A bulletin. Editing its text bumps ``version``; acks are per version."""

    __tablename__ = "announcements"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    mandatory: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime]
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime]


class AnnouncementAck(Base):
    """Who acknowledged which version of an announcement, and when (server clock)."""

    __tablename__ = "announcement_acks"
    __table_args__ = (UniqueConstraint("agent_id", "announcement_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"))
    announcement_id: Mapped[str] = mapped_column(ForeignKey("announcements.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    acknowledged_at: Mapped[datetime]


class AgentSettingsRow(Base):
    """An agent's settings document and its version (0 = never saved)."""

    __tablename__ = "agent_settings"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"), primary_key=True)
    data: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class IdempotencyKey(Base):
    """The stored answer to a mutation sent with an ``Idempotency-Key``.

    ``fingerprint`` is the SHA-256 of method, path and canonical JSON body.
    Unique per (agent, key), so two racing requests cannot both apply.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("agent_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(512))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(index=True)


class EventRow(Base):
    """A server-sent event. ``agent_id`` NULL means broadcast to every agent.

    ``id`` never goes back (SQLite AUTOINCREMENT), so it is the SSE resume point.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_agent_id", "agent_id", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.employee_id"), default=None)
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Change(Base):
    """One change to a document of a sync collection; ``seq`` is the sync cursor.

    ``agent_id`` NULL means the change concerns every agent (a new
    announcement); otherwise only that agent sees it (their settings, their
    acknowledgement). ``deleted`` marks a removal.
    """

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_collection_seq", "collection", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collection: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.employee_id"), default=None)
    item_id: Mapped[str] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime]


class AuditEvent(Base):
    """An audit record: ``type`` is e.g. ``sign-in``, ``sign-in-failed``,
    ``sign-out``, ``ack``; ``agent_id`` is NULL when the agent is unknown.
    ``detail`` never holds a password, code or token.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    type: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[datetime]


class WorkOrder(Base):
    """A work order or complaint (operating guide §2.4, §3.2; issue #6).

    ``number`` is the human reference ``WO-YYYYMMDD-NNNN`` (UTC date of
    creation, then a sequence within that day, 4 digits or more); ``client_ref``
    the desk's local id of an order made offline (unique: the same create sent
    twice finds the first order). ``type``/``priority``/``grade``/``status``
    hold :mod:`csdesk.domain.work_orders` values (``priority`` for every type
    but complaints, ``grade`` for complaints). ``queue`` is the department
    queue that holds it and ``team`` the agents' team working that queue (who
    see it); ``assignee_id`` the agent working it (``None``: in the queue, for
    its lead to take or assign). ``customer_ref`` is the
    customer's masked reference (design §8), ``contact_id`` the contact it
    came from. SLA: ``sla`` holds the policy applied at creation
    (``{"basis", "first_response_s", "resolution_s"}``), ``pauses`` the
    pending-customer periods ``[[start, end|null], …]`` (ISO 8601 UTC),
    ``first_response_at`` the first move past ``new`` by a person,
    ``resolution_due_at``/``first_response_due_at`` the deadlines as last
    projected (the sweep re-projects them). ``complaint`` holds the §2.4
    record (reason, demand, contact method, promised time and how it was
    told, extension), ``closing`` the resolution note, the feedback given and
    the satisfaction result. ``version`` starts at 1 and goes up with every
    change (optimistic concurrency, design §4). Text columns are typed by
    people: untrusted when shown.
    """

    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_assignee", "assignee_id", "status"),
        Index("ix_work_orders_queue", "queue", "status"),
        Index("ix_work_orders_creator", "created_by"),
        Index("ix_work_orders_customer", "customer_ref"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    client_ref: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    type: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(64), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    customer_ref: Mapped[str] = mapped_column(String(64), default="")
    contact_id: Mapped[str | None] = mapped_column(String(64), default=None)
    channel: Mapped[str | None] = mapped_column(String(16), default=None)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str | None] = mapped_column(String(4), default=None)
    grade: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[str] = mapped_column(String(24))
    queue: Mapped[str] = mapped_column(String(32))
    team: Mapped[str] = mapped_column(String(128), default="")
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("agents.employee_id"), default=None)
    created_by: Mapped[str] = mapped_column(String(32))
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)
    sla: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pauses: Mapped[list[list[str | None]]] = mapped_column(JSON, default=list)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_due_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_due_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    complaint: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    closing: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)


class WorkOrderEvent(Base):
    """One immutable history entry of a work order (issue #6: who, when, from → to, comment).

    ``seq`` counts from 1 within the order. ``kind``: ``created``,
    ``status``, ``assigned``, ``edited``, ``comment``, ``escalated``,
    ``extended``, ``grade``. ``from_status``/``to_status`` for status moves;
    ``changes`` maps a field to ``[before, after]`` (edits, assignment);
    ``visibility`` ``internal`` or ``customer`` (comments). Rows are only
    ever inserted.
    """

    __tablename__ = "work_order_events"
    __table_args__ = (UniqueConstraint("work_order_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(24), default=None)
    to_status: Mapped[str | None] = mapped_column(String(24), default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default="internal")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Callback(Base):
    """A callback the agent promised a customer (operating guide §1.2 to-dos, §2.4).

    ``customer_name`` and ``phone_masked`` are stored masked (design §8: the
    full number never reaches an agent's terminal), e.g. ``王*`` and
    ``138****5678``. ``scheduled_at`` is UTC; ``status`` one of
    ``scheduled``, ``done``, ``cancelled``; ``version`` as for work orders.
    """

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_agent", "agent_id", "status", "scheduled_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"))
    customer_name: Mapped[str] = mapped_column(String(128))
    phone_masked: Mapped[str] = mapped_column(String(32))
    scheduled_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)


class Customer(Base):
    """A bank customer (demo data and the training simulator; issue #4).

    Held in clear here because the backend checks verification answers
    against it; only masked values ever leave the backend (design §8, see
    ``csdesk.domain.masking``). ``cards`` is a list of
    ``{"number": "6222…", "product": str, "status": "active"|"frozen"|"closed"}``.
    ``security_answer_hash`` and ``transaction_password_hash`` are argon2
    hashes (the answers are never stored in clear). ``risk_rating`` is the
    customer's assessed investment risk tolerance, 1 (lowest) to 5.
    """

    __tablename__ = "customers"

    customer_ref: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    segment: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(32))
    id_number: Mapped[str] = mapped_column(String(32))
    cards: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    security_question: Mapped[str] = mapped_column(String(256))
    security_answer_hash: Mapped[str] = mapped_column(String(256))
    transaction_password_hash: Mapped[str] = mapped_column(String(256))
    risk_rating: Mapped[int] = mapped_column(Integer, default=2)
    sms_alerts: Mapped[bool] = mapped_column(Boolean, default=True)
    possible_fraud: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Contact(Base):
    """One customer interaction on one channel, from queue to wrap-up (issue #4).

    ``status`` is a :class:`csdesk.domain.contacts.ContactStatus` value;
    ``queue_rank`` orders the queue (lower first; a contact put back after a
    missed or declined offer gets a rank below every waiting one, so it is
    next). Durations are seconds. ``verified_methods`` lists the
    :class:`~csdesk.domain.contacts.VerificationMethod` values that passed.
    ``simulated`` marks training-simulator customers; ``scenario`` names the
    scenario they follow; ``simulator_run`` the :class:`SimulatorRun` that
    plays the customer (``None``: made by hand, or before runs were recorded).
    """

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_queue", "status", "queue", "queue_rank"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(64))
    queue_rank: Mapped[float] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), index=True)
    customer_ref: Mapped[str] = mapped_column(ForeignKey("customers.customer_ref"))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.employee_id"), default=None, index=True)
    first_words: Mapped[str] = mapped_column(Text, default="")
    queued_at: Mapped[datetime]
    offered_at: Mapped[datetime | None] = mapped_column(default=None)
    offer_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_started_at: Mapped[datetime | None] = mapped_column(default=None)
    hold_seconds: Mapped[float] = mapped_column(default=0.0)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    failed_verifications: Mapped[int] = mapped_column(Integer, default=0)
    customer_left: Mapped[bool] = mapped_column(Boolean, default=False)
    acw_deadline: Mapped[datetime | None] = mapped_column(default=None)
    acw_extended: Mapped[bool] = mapped_column(Boolean, default=False)
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    scenario: Mapped[str | None] = mapped_column(String(64), default=None)
    simulator_run: Mapped[str | None] = mapped_column(String(64), default=None)
    #: The contact this one continues after a transfer (``None``: a new contact).
    transferred_from: Mapped[str | None] = mapped_column(String(64), default=None, index=True)


class SimulatorRun(Base):
    """One running training simulator, so a backend can tell its customers are gone.

    A simulated customer lives in the memory of the simulator that plays it;
    ``csdesk.server.orphans`` closes out the contacts of a run that is gone:
    ``stopped_at`` set (stopped cleanly), its process dead (``host`` is this
    machine and ``pid`` is not running), or ``seen_at`` (its heartbeat) older
    than the lease.
    """

    __tablename__ = "simulator_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)


class TranscriptEntry(Base):
    """One transcript line of a contact (``seq`` counts from 1 within it)."""

    __tablename__ = "transcript_entries"
    __table_args__ = (UniqueConstraint("contact_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    speaker: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="message")
    text: Mapped[str] = mapped_column(Text)


class OperationRecord(Base):
    """A business operation carried out in a contact (issue #4, guide §2.3).

    ``reference`` is ``OP-YYYYMMDD-XXXXXX`` (UTC date, 6 random capitals or
    digits), unique. ``summary`` is what the desk shows; ``fields`` the
    request's field values with personal data masked (never a full phone,
    card or ID number). ``csdesk.server.operations.operations_of`` lists them.
    """

    __tablename__ = "operation_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"))
    code: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class DisclosureRecord(Base):
    """A risk disclosure read/sent to the customer in a contact, and the answer.

    ``consent`` is None while awaited, then the customer's yes/no.
    ``used_by`` is the operation reference that consumed the consent (one
    consent covers one execution).
    """

    __tablename__ = "disclosures"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    operation: Mapped[str] = mapped_column(String(64))
    consent: Mapped[bool | None] = mapped_column(Boolean, default=None)
    sent_at: Mapped[datetime]
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    used_by: Mapped[str | None] = mapped_column(String(32), default=None)


class LedgerEntry(Base):
    """A movement on a demo customer's account (the backend's small ledger, issue #4).

    ``account`` is the masked card number (first 6 + last 4) the account is
    known by; ``amount_cents`` in fen (0.01 yuan), negative for a debit. The opening balances
    are derived from the customer (``csdesk.server.operations``).
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_customer", "customer_ref", "account", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_ref: Mapped[str] = mapped_column(ForeignKey("customers.customer_ref"))
    account: Mapped[str] = mapped_column(String(32))
    amount_cents: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(128))
    reference: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


class SessionRecord(Base):
    """The record of one handled contact, written at wrap-up (issue #4, guide §3.3).

    One per contact (``contact_id`` unique). Durations are seconds:
    ``wait`` queued → accepted (all queue time, re-queues included), ``ring``
    offered → accepted (the accepted offer), ``talk`` accepted → ended minus
    ``hold``, ``acw`` ended → wrap-up. ``operations`` is a list of
    ``{"code", "reference", "at", "summary"}``; ``business_types`` and
    ``missed_steps`` lists of strings; ``transferred_to`` the queue a
    transfer sent the customer to. The transcript stays in
    ``transcript_entries`` (same ``contact_id``).
    """

    __tablename__ = "session_records"
    __table_args__ = (Index("ix_session_records_customer", "customer_ref", "ended_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), unique=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(64))
    customer_ref: Mapped[str] = mapped_column(ForeignKey("customers.customer_ref"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    wrapped_up_at: Mapped[datetime]
    wait_seconds: Mapped[float] = mapped_column(default=0.0)
    ring_seconds: Mapped[float] = mapped_column(default=0.0)
    talk_seconds: Mapped[float] = mapped_column(default=0.0)
    hold_seconds: Mapped[float] = mapped_column(default=0.0)
    acw_seconds: Mapped[float] = mapped_column(default=0.0)
    verification_level: Mapped[int] = mapped_column(Integer, default=0)
    operations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    disposition: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text, default="")
    business_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    missed_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    callback_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_left: Mapped[bool] = mapped_column(Boolean, default=False)
    transferred_to: Mapped[str | None] = mapped_column(String(64), default=None)


class KnowledgeArticle(Base):
    """A knowledge article (issue #5, operating guide §2.2/§3.1); wire shape
    ``csdesk.domain.knowledge.KnowledgeArticleDoc``.

    ``status`` is a ``KnowledgeStatus`` value; only ``published`` rows are
    synced (collection ``knowledge``, every agent). ``category``, ``tags``,
    ``questions`` and ``intents`` are JSON lists of strings. ``version``
    starts at 1 and goes up with every change; ``updated_at`` is the last
    change (UTC). ``source`` says where it came from (``seed:cards.toml``,
    ``import:guide.txt``; ``""`` when unknown). Text fields hold cleaned text
    (``csdesk.domain.text.clean_text``) within the domain limits.
    """

    __tablename__ = "knowledge_articles"
    __table_args__ = (Index("ix_knowledge_articles_status", "status", "updated_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(255), default="")


class TeamPhrase(Base):
    """A team quick phrase (issue #5, guide §3.4), the same for every agent; wire
    shape ``csdesk.domain.phrase_schemas.PhraseDoc`` (scope ``team``).

    Seeded from ``csdesk/server/data/phrases.toml`` (``csdesk.server.phrases``).
    ``code`` is lower-case and unique; text is cleaned and within the limits of
    ``csdesk.domain.phrases``; ``version`` starts at 1.
    """

    __tablename__ = "team_phrases"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime]


class PersonalPhrase(Base):
    """An agent's own quick phrase (issue #5, guide §1.3/§3.4); wire shape
    ``PhraseDoc`` (scope ``personal``).

    Keyed by (agent, id): the desk makes the id (``p-<32 hex>``), so it can
    create a phrase offline. A deletion keeps the row as a tombstone
    (``deleted``, version + 1), so a stale edit of a deleted phrase is a
    version conflict, not a silent re-creation. ``code`` is unique among the
    agent's live phrases (checked in ``csdesk.server.phrases``).
    """

    __tablename__ = "personal_phrases"
    __table_args__ = (Index("ix_personal_phrases_agent_code", "agent_id", "code"),)

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.employee_id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]
