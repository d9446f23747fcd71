"""The operating-procedure checklist rule (guide §2.1–2.3, issue #4).

Pure: no Textual, no I/O. Given what actually happened in a contact (its
transcript, verification level, operations done, consented disclosures,
quick phrases used, the disposition), :func:`evaluate_procedure` says for
each :class:`~csdesk.domain.contacts.ChecklistStep` whether it is done,
still open, or not needed in this contact; :func:`missed_steps` lists the
required steps not done (recorded at wrap-up, ``WrapUpRequest.missed_steps``).

The steps, in order, and when each ticks:

``greet``
    the agent sent a message (the greeting script or their own words), or the
    desk reports the greeting done another way (``greeted``: the phone call
    script was read).
``learn_need``
    the customer said something (message or caption) after the greeting, or
    their opening words (before the greeting) stated it and the agent acted
    on them after the greeting (an operation, or an answer).
``verify`` (conditional)
    needed when an operation done requires a level above L0: done when the
    contact's ``verification_level`` is at least the highest level required.
    Not needed otherwise (done anyway when the agent verified the customer).
``handle``
    a business operation was done, or the agent answered: any agent message
    after the need was learned counts as an answer (knowledge answer, guidance).
``risk_disclosure`` (conditional)
    needed when an operation done has a risk disclosure: done when the
    customer consented to the disclosure of each such operation.
``confirm``
    the agent asked whether the customer understood / needs anything else:
    one of :data:`CONFIRM_PHRASES` in an agent message after the need (either
    language), or a quick phrase of :data:`CONFIRM_PHRASE_IDS` was used.
``wrap_up``
    a disposition code was chosen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from csdesk.domain.contacts import ChecklistStep, Speaker

if TYPE_CHECKING:
    from csdesk.domain.contact_schemas import ContactView, OperationSpec, TranscriptLine


class StepState(StrEnum):
    """Where one checklist step stands: ``done``, ``open`` (required, not done
    yet) or ``not_needed`` (a conditional step this contact did not need)."""

    DONE = "done"
    OPEN = "open"
    NOT_NEEDED = "not_needed"


#: Phrases (lower case, whitespace collapsed) by which an agent checks the
#: customer understood / has anything else (guide §2.2 closing). Matched as
#: substrings of an agent message after the need was learned.
CONFIRM_PHRASES: tuple[str, ...] = (
    # English
    "anything else",
    "something else i can",
    "any other question",
    "any other questions",
    "anything more i can",
    "is that clear",
    "is everything clear",
    "does that make sense",
    "did that answer",
    "does that answer",
    "have i answered",
    # 简体中文
    "还有其他",
    "还有什么",
    "还有别的",
    "其他问题",
    "其他需要",
    "其他业务",
    "还需要办理",
    "还需要什么",
    "是否清楚",
    "清楚了吗",
    "明白了吗",
    "听明白",
    "是否明白",
    "解答清楚",
)

#: Quick phrase ids (the quick-phrase library) that count as the confirm step.
CONFIRM_PHRASE_IDS: frozenset[str] = frozenset({"anything_else", "confirm_understood", "closing"})

_SPACES = re.compile(r"\s+")


def _normalise(text: str) -> str:
    """Case-fold, full-width → half-width (NFKC) and collapse whitespace."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def asks_anything_else(text: str) -> bool:
    """True when ``text`` holds one of :data:`CONFIRM_PHRASES` (either language)."""
    norm = _normalise(text)
    return any(phrase in norm for phrase in CONFIRM_PHRASES)


@dataclass(frozen=True)
class OperationNeeds:
    """What one operation done in the contact required: the verification
    ``level`` (0–3) and whether it had a risk ``disclosure``."""

    code: str
    level: int = 0
    disclosure: bool = False


@dataclass(frozen=True)
class ProcedureFacts:
    """What happened in a contact, as the rule needs it (plain data).

    ``lines`` the transcript in order, as ``(seq, speaker, kind, text)``;
    ``verification_level`` 0–3 reached; ``operations`` the operations done;
    ``consented`` operation codes whose risk disclosure the customer accepted;
    ``quick_phrases`` ids of quick phrases sent; ``greeted`` the greeting was
    done outside the transcript (phone call script); ``disposition`` the
    wrap-up code once chosen.
    """

    lines: Sequence[tuple[int, str, str, str]] = ()
    verification_level: int = 0
    operations: Sequence[OperationNeeds] = ()
    consented: frozenset[str] = frozenset()
    quick_phrases: frozenset[str] = frozenset()
    greeted: bool = False
    disposition: str | None = None

    @classmethod
    def from_contact(
        cls,
        contact: ContactView,
        catalogue: Mapping[str, OperationSpec] | None = None,
        *,
        consented: Iterable[str] = (),
        quick_phrases: Iterable[str] = (),
        greeted: bool = False,
        disposition: str | None = None,
    ) -> ProcedureFacts:
        """Facts from a ``ContactView`` and the operation ``catalogue`` (code → spec).

        An operation missing from the catalogue counts as needing L0 and no
        disclosure (the rule never flags what it cannot know).
        """
        catalogue = catalogue or {}
        ops = []
        for done in contact.operations:
            spec = catalogue.get(done.code)
            ops.append(
                OperationNeeds(
                    code=done.code,
                    level=spec.level if spec is not None else 0,
                    disclosure=bool(spec is not None and any(spec.disclosure.values())),
                )
            )
        return cls(
            lines=tuple(_line_tuple(line) for line in contact.transcript),
            verification_level=contact.verification_level,
            operations=tuple(ops),
            consented=frozenset(consented),
            quick_phrases=frozenset(quick_phrases),
            greeted=greeted,
            disposition=disposition,
        )


def _line_tuple(line: TranscriptLine) -> tuple[int, str, str, str]:
    return (line.seq, str(line.speaker), line.kind, line.text)


@dataclass(frozen=True)
class ChecklistResult:
    """The state of every step (in procedure order) for one contact."""

    states: Mapping[ChecklistStep, StepState] = field(default_factory=dict)

    def state(self, step: ChecklistStep) -> StepState:
        """The state of ``step`` (``open`` when unknown)."""
        return self.states.get(step, StepState.OPEN)

    def done(self, step: ChecklistStep) -> bool:
        """True when ``step`` is done."""
        return self.state(step) is StepState.DONE

    @property
    def current(self) -> ChecklistStep | None:
        """The first required step not done yet (what the agent should do next), or None."""
        for step in ChecklistStep:
            if self.state(step) is StepState.OPEN:
                return step
        return None

    @property
    def missed(self) -> list[ChecklistStep]:
        """Required steps not done, in procedure order."""
        return [step for step in ChecklistStep if self.state(step) is StepState.OPEN]


def _is_customer_words(speaker: str, kind: str) -> bool:
    return speaker == Speaker.CUSTOMER and kind in ("message", "caption")


def _is_agent_message(speaker: str, kind: str) -> bool:
    return speaker == Speaker.AGENT and kind in ("message", "caption")


def evaluate_procedure(facts: ProcedureFacts) -> ChecklistResult:
    """Tick each :class:`ChecklistStep` from ``facts`` (rules in the module docstring)."""
    lines = sorted(facts.lines, key=lambda item: item[0])
    states: dict[ChecklistStep, StepState] = {}

    # Greet: the agent's first message (or the call script read).
    greeting_seq: int | None = next(
        (seq for seq, speaker, kind, _ in lines if _is_agent_message(speaker, kind)), None
    )
    greeted = greeting_seq is not None or facts.greeted
    states[ChecklistStep.GREET] = StepState.DONE if greeted else StepState.OPEN

    # Learn the need: the customer speaks after the greeting. Greeted outside
    # the transcript (phone): any customer words after their opening line.
    need_seq: int | None = None
    customer_seqs = [seq for seq, speaker, kind, _ in lines if _is_customer_words(speaker, kind)]
    if greeting_seq is not None:
        need_seq = next((seq for seq in customer_seqs if seq > greeting_seq), None)
        if need_seq is None and customer_seqs and customer_seqs[0] < greeting_seq:
            # The need was in the customer's opening words ("my card is lost"):
            # learned once the agent acts on it after the greeting.
            acted = facts.operations or any(
                seq > greeting_seq and _is_agent_message(speaker, kind) for seq, speaker, kind, _ in lines
            )
            need_seq = greeting_seq if acted else None
    elif facts.greeted and len(customer_seqs) >= 2:
        need_seq = customer_seqs[1]
    states[ChecklistStep.LEARN_NEED] = StepState.DONE if need_seq is not None else StepState.OPEN

    # Verify: as high as the most demanding operation done.
    required_level = max((op.level for op in facts.operations), default=0)
    if required_level <= 0:
        states[ChecklistStep.VERIFY] = StepState.DONE if facts.verification_level > 0 else StepState.NOT_NEEDED
    else:
        states[ChecklistStep.VERIFY] = (
            StepState.DONE if facts.verification_level >= required_level else StepState.OPEN
        )

    # Handle: an operation, or an agent answer after the need.
    answered = need_seq is not None and any(
        seq > need_seq and _is_agent_message(speaker, kind) for seq, speaker, kind, _ in lines
    )
    states[ChecklistStep.HANDLE] = StepState.DONE if facts.operations or answered else StepState.OPEN

    # Risk disclosure: consent for every operation that had one.
    needing = {op.code for op in facts.operations if op.disclosure}
    if not needing:
        states[ChecklistStep.RISK_DISCLOSURE] = StepState.NOT_NEEDED
    else:
        states[ChecklistStep.RISK_DISCLOSURE] = (
            StepState.DONE if needing <= set(facts.consented) else StepState.OPEN
        )

    # Confirm: "anything else?" after the need (or a confirm quick phrase).
    after = need_seq if need_seq is not None else (greeting_seq if greeting_seq is not None else -1)
    asked = any(
        seq > after and _is_agent_message(speaker, kind) and asks_anything_else(text)
        for seq, speaker, kind, text in lines
    )
    confirmed = asked or bool(set(facts.quick_phrases) & CONFIRM_PHRASE_IDS)
    states[ChecklistStep.CONFIRM] = StepState.DONE if confirmed else StepState.OPEN

    states[ChecklistStep.WRAP_UP] = StepState.DONE if (facts.disposition or "").strip() else StepState.OPEN
    return ChecklistResult(states=states)


def missed_steps(result: ChecklistResult | ProcedureFacts) -> list[str]:
    """Required steps not done, as step ids in procedure order (for
    ``WrapUpRequest.missed_steps``). Takes a result or the facts to evaluate."""
    if isinstance(result, ProcedureFacts):
        result = evaluate_procedure(result)
    return [step.value for step in result.missed]
