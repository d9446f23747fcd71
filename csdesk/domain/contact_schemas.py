"""Wire schemas of the live session (issue #4, guide §2.1–2.3).

Shared by the desk and the backend; times are ISO 8601 UTC on the wire,
durations are seconds (float). Personal data in these models is already
masked by the backend (DESIGN §8): the desk never receives a full phone
number, ID number or card number. See ``docs/protocol.md`` ("Live session")
for the endpoints that carry them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from csdesk.domain.contacts import Channel, ContactStatus, Speaker, VerificationMethod
from csdesk.domain.schemas import WireModel

#: Longest chat message or note an agent may send, characters.
MAX_MESSAGE_CHARS = 4000


class CardView(WireModel):
    """One of the customer's cards: ``number_masked`` is first 6 + last 4 (PCI DSS 3.4)."""

    number_masked: str
    product: str
    status: Literal["active", "frozen", "closed"]


class PastContact(WireModel):
    """A previous contact of the customer, for the card's history."""

    at: datetime
    channel: Channel
    disposition: str | None = None


class CustomerCard(WireModel):
    """What the desk shows about the customer of a contact.

    ``phone_masked`` like ``138****5678``; ``id_number_masked`` first 3 +
    last 4 with ``*`` between; ``risk_rating`` the customer's investment risk
    tolerance 1 (lowest) to 5; ``possible_fraud`` set when verification was
    locked in a contact.
    """

    customer_ref: str
    name: str
    segment: str
    phone_masked: str
    id_number_masked: str
    cards: list[CardView] = []
    risk_rating: int = Field(ge=1, le=5)
    open_work_orders: int = 0
    last_contacts: list[PastContact] = []
    possible_fraud: bool = False


class TranscriptLine(WireModel):
    """One line of a contact's transcript.

    ``kind``: ``message`` (chat text), ``caption`` (a phone customer's
    words, from the simulator's speech), ``note`` (agent's private note,
    never sent to the customer), ``event`` (system: hold, transfer…).
    ``text`` from a customer is untrusted: render it as plain text.
    """

    seq: int
    at: datetime
    speaker: Speaker
    kind: Literal["message", "caption", "note", "event"] = "message"
    text: str


class OfferView(WireModel):
    """An offer ringing at an agent: accept before ``expires_at``.

    ``waited_seconds`` is how long the customer has waited in queue so far;
    ``first_words`` the customer's opening message (untrusted text).
    """

    contact_id: str
    channel: Channel
    queue: str
    waited_seconds: float
    first_words: str
    offered_at: datetime
    expires_at: datetime


class OperationDone(WireModel):
    """A business operation carried out in a contact, with its reference number."""

    code: str
    reference: str
    at: datetime
    summary: str


class ContactView(WireModel):
    """A contact as the agent handling it sees it (``GET /contacts/{id}``).

    ``verification_level`` 0–3 (see ``domain.contacts.verification_level``);
    ``verification_locked`` after 3 failures in this contact.
    ``acw_deadline``: when the ACW timer runs out (None outside ACW).
    ``customer_left``: the customer hung up / closed the chat.
    """

    id: str
    channel: Channel
    queue: str
    status: ContactStatus
    agent_id: str | None = None
    customer: CustomerCard | None = None
    first_words: str = ""
    queued_at: datetime
    offered_at: datetime | None = None
    accepted_at: datetime | None = None
    ended_at: datetime | None = None
    on_hold: bool = False
    muted: bool = False
    hold_seconds: float = 0.0
    verification_level: int = Field(default=0, ge=0, le=3)
    verified_methods: list[VerificationMethod] = []
    failed_verifications: int = 0
    verification_locked: bool = False
    customer_left: bool = False
    operations: list[OperationDone] = []
    transcript: list[TranscriptLine] = []
    acw_deadline: datetime | None = None
    acw_extended: bool = False
    greeting: str = ""


class QueueStats(WireModel):
    """One queue's depth (``GET /queues``): contacts waiting and the longest wait (seconds)."""

    queue: str
    channel: Channel
    waiting: int
    longest_wait_seconds: float


class DeclineRequest(WireModel):
    """``POST /contacts/{id}/decline``: why the agent declined the offer."""

    reason: str = Field(min_length=1, max_length=64)


class MessageRequest(WireModel):
    """``POST /contacts/{id}/messages``: a chat message, or a note (``kind='note'``)."""

    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    kind: Literal["message", "note"] = "message"


class TransferRequest(WireModel):
    """``POST /contacts/{id}/transfer``: move a phone contact to another queue."""

    queue: str = Field(min_length=1, max_length=64)


class VerifyRequest(WireModel):
    """``POST /contacts/{id}/verify``: what the customer said for ``method``.

    ``answer`` is empty for ``transaction_password`` (the backend asks the
    customer's keypad itself).
    """

    method: VerificationMethod
    answer: str = Field(default="", max_length=256)


class VerifyResult(WireModel):
    """Pass or fail only (DESIGN §8), the level now, and whether verification is locked."""

    passed: bool
    level: int
    failed_attempts: int
    locked: bool


class FieldSpec(WireModel):
    """One form field of a business operation.

    ``kind``: ``text``, ``amount`` (yuan, 2 decimals, ``minimum``/``maximum``),
    ``account`` (one of the customer's masked cards/accounts), ``choice``
    (one of ``choices``), ``phone`` (11-digit mainland mobile number),
    ``bool``. ``pattern`` is a Python regular expression the value must match.
    """

    name: str
    label: dict[str, str]
    kind: Literal["text", "amount", "account", "choice", "phone", "bool"]
    required: bool = True
    choices: list[str] = []
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None


class OperationSpec(WireModel):
    """A business operation of the catalogue (``GET /operations``).

    ``level`` the verification level required (0–3); ``disclosure`` the risk
    disclosure text per language when one is required (else empty);
    ``tell_customer`` per language: conditions, materials, time to complete
    (guide §2.3.1).
    """

    code: str
    name: dict[str, str]
    level: int = Field(ge=0, le=3)
    disclosure: dict[str, str] = {}
    fields: list[FieldSpec] = []
    tell_customer: dict[str, str] = {}


class DisclosureResult(WireModel):
    """``POST /contacts/{id}/disclosures`` (``{"operation": code}``): the text was
    sent; ``consent`` is the customer's answer (None while awaited)."""

    id: str
    operation: str
    consent: bool | None = None


class OperationRequest(WireModel):
    """``POST /contacts/{id}/operations/{code}``: field values, and the disclosure
    whose consent covers it (required when the operation has one)."""

    fields: dict[str, str | float | bool] = {}
    disclosure_id: str | None = None


class WrapUpRequest(WireModel):
    """``POST /contacts/{id}/wrap-up``: leave ACW with a disposition code.

    ``disposition`` a code of the two-level list (``GET /dispositions``);
    ``missed_steps`` the checklist steps the desk saw skipped (recorded).
    ``submitted_at`` (optional, UTC) when the agent submitted it, sent by a
    desk that queued the wrap-up in its outbox while the backend was
    unreachable: the backend counts the ACW seconds up to it instead of up
    to the arrival, clamped to [ACW start, now] (a client clock is never
    trusted beyond that). It names the moment of the same wrap-up, not a
    different request: the backend leaves it out of the idempotency
    fingerprint.
    """

    disposition: str = Field(min_length=1, max_length=64)
    notes: str = Field(default="", max_length=MAX_MESSAGE_CHARS)
    business_types: list[str] = []
    missed_steps: list[str] = []
    callback_needed: bool = False
    #: Leave ACW to Not Ready with this reason (one of
    #: ``agent_state.AGENT_REASONS``) instead of Ready; ``None``: Ready.
    not_ready_reason: str | None = Field(default=None, max_length=16)
    submitted_at: datetime | None = None


class DispositionCategory(WireModel):
    """One category of the wrap-up list with its codes (``code`` → label per language)."""

    code: str
    label: dict[str, str]
    codes: list[dict[str, str]]


class VerificationInfo(WireModel):
    """``GET /contacts/{id}/verification``: what the verification modal needs.

    ``security_question`` the text to read to the customer (never the
    answer); ``methods`` the methods this customer can be verified with
    (``card_last4`` only when the customer has cards); ``keypad_available``
    whether the backend can ask the customer's keypad for the transaction
    password; ``level``/``verified_methods``/``failed_attempts``/``locked``
    the state so far in this contact.
    """

    security_question: str
    methods: list[VerificationMethod]
    keypad_available: bool = False
    level: int = Field(default=0, ge=0, le=3)
    verified_methods: list[VerificationMethod] = []
    failed_attempts: int = 0
    locked: bool = False


class DisclosureRequest(WireModel):
    """``POST /contacts/{id}/disclosures``: send the risk disclosure of ``operation``
    in ``language`` (``zh-CN`` or ``en``)."""

    operation: str = Field(min_length=1, max_length=64)
    language: Literal["zh-CN", "en"] = "zh-CN"


class WealthProduct(WireModel):
    """A wealth-management product on sale (``GET /operations/products``).

    ``risk`` 1–5 (R1 lowest … R5 highest); a customer may buy it only when
    ``risk`` ≤ their ``risk_rating``. ``minimum`` yuan.
    """

    code: str
    name: dict[str, str]
    risk: int = Field(ge=1, le=5)
    minimum: float
    term_days: int


class SessionRecordView(WireModel):
    """The session record made by a wrap-up (issue #4, guide §3.3).

    Durations in seconds: ``wait_seconds`` in queue until accepted,
    ``ring_seconds`` the accepted offer's ringing, ``talk_seconds`` accepted
    → ended without hold, ``hold_seconds``, ``acw_seconds`` ended → wrap-up.
    ``transferred_to`` the queue the customer was transferred to, if any.
    """

    id: str
    contact_id: str
    agent_id: str
    channel: Channel
    queue: str
    customer_ref: str
    started_at: datetime
    ended_at: datetime
    wrapped_up_at: datetime
    wait_seconds: float
    ring_seconds: float
    talk_seconds: float
    hold_seconds: float
    acw_seconds: float
    verification_level: int = Field(ge=0, le=3)
    operations: list[OperationDone] = []
    disposition: str
    notes: str = ""
    business_types: list[str] = []
    missed_steps: list[str] = []
    callback_needed: bool = False
    customer_left: bool = False
    transferred_to: str | None = None


class SessionRecordDoc(SessionRecordView):
    """A session record as the ``session_records`` sync collection carries it
    (the local copy F8 reads): the record plus the contact's ``transcript``
    (lines as the agent saw them, already cleaned by the backend)."""

    transcript: list[TranscriptLine] = []


class TranscriptEvent(WireModel):
    """Data of the ``transcript`` SSE event: a new line of the agent's contact."""

    contact_id: str
    line: TranscriptLine


class AcwOverdueEvent(WireModel):
    """Data of the ``acw_overdue`` SSE event: the ACW timer ran out without a wrap-up."""

    contact_id: str
    acw_deadline: datetime
