"""The simulated customer: a pure state machine, and the arrival process.

:class:`SimulatedCustomer` takes what the agent (or the backend) did and
returns what the customer says or does as a :class:`Reply`; it has no clock
and no I/O, and its only randomness is the injected :class:`random.Random`.
The driver (:mod:`.driver`) owns time: queue patience, reply delays, hold.

:class:`ArrivalSchedule` draws the delays between customer arrivals
(a Poisson process: exponential inter-arrival times).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from csdesk.domain.contacts import VerificationMethod
from csdesk.server.simulator.openings import Opening
from csdesk.server.simulator.scenarios import Scenario


@dataclass(frozen=True)
class CustomerSecrets:
    """What a (demo) customer knows about themself, in clear.

    Only the simulator and the backend's checks ever see these values.
    ``phone`` 11 digits; ``id_number`` 18 characters (the last may be ``X``);
    ``cards`` full card numbers, the first one is the one the customer quotes;
    ``transaction_password`` 6 digits.
    """

    customer_ref: str
    name: str
    phone: str
    id_number: str
    cards: tuple[str, ...]
    security_question: str
    security_answer: str
    transaction_password: str


@dataclass(frozen=True)
class Reply:
    """What the customer does in answer to one event.

    ``text`` the words said ("" = says nothing); ``answers`` the raw
    verification values given, by method; ``consent`` the answer to a risk
    disclosure (None when not a disclosure); ``hang_up`` the customer leaves
    after saying ``text``; ``done`` the customer has nothing more to ask.
    """

    text: str = ""
    answers: dict[VerificationMethod, str] = field(default_factory=dict)
    consent: bool | None = None
    hang_up: bool = False
    done: bool = False


class Cue(StrEnum):
    """What an agent's message asks of the customer (see :func:`read_agent_text`)."""

    GREETING = "greeting"
    VERIFY = "verify"
    VERIFIED_OK = "verified_ok"
    VERIFIED_FAIL = "verified_fail"
    NEW_PHONE = "new_phone"
    ANYTHING_ELSE = "anything_else"
    HOLD = "hold"
    RESUME = "resume"
    UNDERSTOOD = "understood"
    QUESTION = "question"
    STATEMENT = "statement"


_METHOD_WORDS: dict[VerificationMethod, tuple[str, ...]] = {
    VerificationMethod.RESERVED_PHONE: ("预留手机", "手机号", "电话号码", "phone number", "mobile number",
                                        "reserved phone", "registered phone"),
    VerificationMethod.ID_LAST6: ("身份证", "证件号", "后六位", "后6位", "id number", "id card",
                                  "identity card", "last six", "last 6"),
    VerificationMethod.CARD_LAST4: ("卡号", "后四位", "后4位", "card number", "last four", "last 4",
                                    "card ending"),
    VerificationMethod.SECURITY_QUESTION: ("安全问题", "密保", "security question"),
    VerificationMethod.TRANSACTION_PASSWORD: ("交易密码", "键盘", "keypad", "transaction password"),
}
_VERIFIED_OK_WORDS = ("验证通过", "核验通过", "验证成功", "核实通过", "verification passed", "verified",
                      "verification was successful", "identity is confirmed", "identity confirmed")
_VERIFIED_FAIL_WORDS = ("不正确", "不一致", "验证失败", "核验失败", "未通过", "incorrect", "does not match",
                        "doesn't match", "verification failed", "not correct", "could not verify")
_NEW_PHONE_WORDS = ("新手机", "新号码", "新的手机", "new phone", "new mobile", "new number")
_ANYTHING_ELSE_WORDS = ("还有什么", "还有其他", "其他问题", "其他业务", "还有别的", "还需要",
                        "anything else", "something else", "any other", "else i can")
_HOLD_WORDS = ("请稍等", "稍候", "稍等", "保持通话", "hold", "one moment", "a moment", "bear with")
_RESUME_WORDS = ("久等", "让您等", "thank you for waiting", "thanks for waiting", "thanks for holding",
                 "thank you for holding")
_UNDERSTOOD_WORDS = ("明白", "清楚", "理解", "听懂", "understand", "is that clear", "make sense")
_GREETING_WORDS = ("您好", "你好", "工号", "hello", "hi ", "hi,", "good morning", "good afternoon",
                   "good evening", "welcome", "my name is", "how can i help", "how may i help")


def read_agent_text(text: str, security_question: str = "") -> tuple[Cue, tuple[VerificationMethod, ...]]:
    """What the agent's ``text`` asks of the customer, from keywords (zh and en).

    Returns the cue and, for :attr:`Cue.VERIFY`, the methods asked in the
    order of :class:`VerificationMethod`. ``security_question`` (the
    customer's own question) also counts as asking for the security answer.
    Priority: anything else > verification result (failed, then passed) >
    new phone > verification question > resume > hold >
    greeting > understood > other question (ends with ?/？/吗) > statement.
    """
    low = text.lower()

    def has(words: tuple[str, ...]) -> bool:
        return any(w in low for w in words)

    if has(_ANYTHING_ELSE_WORDS):
        return Cue.ANYTHING_ELSE, ()
    if has(_VERIFIED_FAIL_WORDS):
        return Cue.VERIFIED_FAIL, ()
    if has(_VERIFIED_OK_WORDS):
        return Cue.VERIFIED_OK, ()
    if has(_NEW_PHONE_WORDS):
        return Cue.NEW_PHONE, ()
    methods = [m for m, words in _METHOD_WORDS.items() if has(words)]
    question = security_question.strip().lower().rstrip("?？")
    if question and question in low and VerificationMethod.SECURITY_QUESTION not in methods:
        methods.append(VerificationMethod.SECURITY_QUESTION)
    if methods:
        order = list(VerificationMethod)
        return Cue.VERIFY, tuple(sorted(methods, key=order.index))
    if has(_RESUME_WORDS):
        return Cue.RESUME, ()
    if has(_HOLD_WORDS):
        return Cue.HOLD, ()
    if has(_GREETING_WORDS):
        return Cue.GREETING, ()
    if has(_UNDERSTOOD_WORDS):
        return Cue.UNDERSTOOD, ()
    if re.search(r"[?？吗]\s*$", text.strip()):
        return Cue.QUESTION, ()
    return Cue.STATEMENT, ()


_WRONG_ANSWERS = ("不记得了", "北京", "小白", "1990", "red", "London", "Max")


class SimulatedCustomer:
    """One simulated customer following ``scenario`` (pure state machine).

    ``customer_secrets`` the right verification values; ``opening`` the real
    message used as first words (an :class:`Opening`, a string, or None for
    one of the scenario's own ``first_words``); ``rng`` all randomness
    (seeded → reproducible); ``lang`` ``"zh"`` or ``"en"`` for the
    scenario's lines (openings keep their own language).

    Every ``on_*`` method is one thing the agent or backend did; each counts
    as an agent event for the scenario's hang-up point, and after the
    customer hung up (or said "that's all") they return an empty
    :class:`Reply`. Raises ValueError for an unknown ``lang``.
    """

    def __init__(self, scenario: Scenario, customer_secrets: CustomerSecrets,
                 opening: Opening | str | None, rng: random.Random, lang: str = "en") -> None:
        if lang not in scenario.need:
            raise ValueError(f"unknown language {lang!r}")
        self.scenario = scenario
        self.secrets = customer_secrets
        self.rng = rng
        self.lang = lang
        if isinstance(opening, Opening):
            opening = opening.text
        self.first_words: str = opening or self._line_of(scenario.first_words)
        self.need_stated = False
        self.events = 0
        self.answers_given = 0
        self.follow_up_asked = False
        self.holding = False
        self.gone = False
        self.done = False
        self.consented: bool | None = None
        self._wrong_cache: dict[VerificationMethod, str] = {}

    # -- lines ---------------------------------------------------------------

    def _line_of(self, text: dict[str, tuple[str, ...]] | object) -> str:
        lines = text[self.lang]  # type: ignore[index]
        return lines[0] if len(lines) == 1 else self.rng.choice(lines)

    def line(self, key: str, **values: str) -> str:
        """The scenario's reaction ``key`` in the customer's language, placeholders filled."""
        return self._line_of(self.scenario.reactions[key]).format_map({"answer": "", "reference": "", **values})

    def _join(self, *parts: str) -> str:
        sep = "" if self.lang == "zh" else " "
        return sep.join(p for p in parts if p)

    # -- events --------------------------------------------------------------

    def should_hang_up(self, event_count: int) -> bool:
        """True when the scenario hangs up at agent event number ``event_count`` (1-based)."""
        point = self.scenario.hang_up_after
        return point is not None and event_count >= point

    def _event(self) -> Reply | None:
        """Count one agent event; a hang-up :class:`Reply` when it is the hang-up point,
        an empty one when the customer is already gone, else None (go on)."""
        if self.gone or self.done:
            return Reply()
        self.events += 1
        if self.should_hang_up(self.events):
            self.gone = True
            return Reply(text=self.line("hang_up"), hang_up=True)
        return None

    def on_greeting(self, agent_text: str = "") -> Reply:
        """The agent greeted: say hello and state the need (once; later greetings get an ack)."""
        if (stop := self._event()) is not None:
            return stop
        if self.need_stated:
            return Reply(text=self.line("ack"))
        self.need_stated = True
        return Reply(text=self._join(self.line("greeting"), self._line_of(self.scenario.need)))

    def answer_for(self, method: VerificationMethod) -> str:
        """The value the customer gives for ``method`` now, right or wrong per the
        scenario (counts as one answer for ``identity.wrong_times``)."""
        ident = self.scenario.identity
        wrong = ident.all_wrong or method in ident.wrong_methods or self.answers_given < ident.wrong_times
        self.answers_given += 1
        right = self._right_value(method)
        return self._wrong_value(method, right) if wrong else right

    def _right_value(self, method: VerificationMethod) -> str:
        s = self.secrets
        match method:
            case VerificationMethod.RESERVED_PHONE:
                return s.phone
            case VerificationMethod.ID_LAST6:
                return s.id_number[-6:]
            case VerificationMethod.CARD_LAST4:
                return s.cards[0][-4:] if s.cards else ""
            case VerificationMethod.SECURITY_QUESTION:
                return s.security_answer
            case VerificationMethod.TRANSACTION_PASSWORD:
                return s.transaction_password
        raise ValueError(method)  # pragma: no cover

    def _wrong_value(self, method: VerificationMethod, right: str) -> str:
        if method in self._wrong_cache and self._wrong_cache[method] != right:
            return self._wrong_cache[method]
        if method is VerificationMethod.SECURITY_QUESTION:
            choices = [w for w in _WRONG_ANSWERS if w.lower() != right.strip().lower()]
            value = self.rng.choice(choices)
        else:
            value = right
            while value == right:
                digits = [self.rng.choice("0123456789") for _ in right or "000000"]
                if method is VerificationMethod.RESERVED_PHONE:
                    digits[:2] = ["1", self.rng.choice("3589")]
                value = "".join(digits)
        self._wrong_cache[method] = value
        return value

    def on_verification_asked(self, *methods: VerificationMethod) -> Reply:
        """The agent asked for ``methods``: the answers (right or wrong per the
        scenario) in a line, and in :attr:`Reply.answers`. For the transaction
        password the customer only says they key it in (see :meth:`keypad`)."""
        if (stop := self._event()) is not None:
            return stop
        answers: dict[VerificationMethod, str] = {}
        parts: list[str] = []
        for method in methods:
            if method is VerificationMethod.TRANSACTION_PASSWORD:
                parts.append(self.line("keypad"))
                continue
            value = self.answer_for(method)
            answers[method] = value
            parts.append(self.line("verify_answer", answer=value))
        return Reply(text=self._join(*parts), answers=answers)

    def keypad(self) -> str:
        """The digits the customer keys for the transaction password (right or wrong
        per the scenario). Called by the backend's keypad hook; not an agent event."""
        return self.answer_for(VerificationMethod.TRANSACTION_PASSWORD)

    def on_verification_result(self, passed: bool, locked: bool = False) -> Reply:
        """The agent told the customer the verification result."""
        if (stop := self._event()) is not None:
            return stop
        return Reply(text=self.line("verification_passed" if passed else "verification_failed"))

    def on_disclosure(self, text: str = "") -> Reply:
        """A risk disclosure (``text``) was read/sent: consent or refuse per the scenario.

        :attr:`Reply.consent` carries the answer the backend records."""
        if (stop := self._event()) is not None:
            return stop
        consent = self.scenario.disclosure_consent
        self.consented = consent
        return Reply(text=self.line("disclosure_consent" if consent else "disclosure_refuse"), consent=consent)

    def on_operation_done(self, reference: str) -> Reply:
        """The operation was carried out with ``reference`` (the result number)."""
        if (stop := self._event()) is not None:
            return stop
        return Reply(text=self.line("operation_done", reference=reference))

    def on_anything_else(self) -> Reply:
        """"Anything else?": the scenario's follow-up question once, then "that's all"
        (:attr:`Reply.done`)."""
        if (stop := self._event()) is not None:
            return stop
        if self.scenario.follow_up is not None and not self.follow_up_asked:
            self.follow_up_asked = True
            return Reply(text=self._line_of(self.scenario.follow_up))
        self.done = True
        return Reply(text=self.line("thats_all"), done=True)

    def on_hold(self) -> Reply:
        """The agent put the call on hold (or asked the customer to wait)."""
        if (stop := self._event()) is not None:
            return stop
        self.holding = True
        return Reply(text=self.line("hold_ok"))

    def on_resume(self) -> Reply:
        """The agent took the call off hold."""
        if (stop := self._event()) is not None:
            return stop
        was = self.holding
        self.holding = False
        return Reply(text=self.line("resumed") if was else "")

    def hold_exceeded(self, seconds_on_hold: float) -> bool:
        """True when ``seconds_on_hold`` is past the scenario's hold patience."""
        return self.holding and seconds_on_hold > self.scenario.hold_patience_seconds

    def abandons_queue_after(self) -> float:
        """Seconds the customer waits in queue before leaving (scenario patience)."""
        return self.scenario.patience_seconds

    def new_phone_number(self) -> str:
        """A new mainland mobile number for the change-of-phone form (stable per customer)."""
        if not hasattr(self, "_new_phone"):
            value = self.secrets.phone
            while value == self.secrets.phone:
                value = "1" + self.rng.choice("3589") + "".join(self.rng.choice("0123456789") for _ in range(9))
            self._new_phone = value
        return self._new_phone

    def on_agent_message(self, text: str) -> Reply:
        """An agent chat message / spoken line: read what it asks (:func:`read_agent_text`)
        and react. The first message always gets the need stated."""
        cue, methods = read_agent_text(text, self.secrets.security_question)
        if not self.need_stated and cue in (Cue.GREETING, Cue.STATEMENT, Cue.QUESTION, Cue.UNDERSTOOD):
            return self.on_greeting(text)
        match cue:
            case Cue.VERIFY:
                return self.on_verification_asked(*methods)
            case Cue.ANYTHING_ELSE:
                return self.on_anything_else()
            case Cue.VERIFIED_OK | Cue.VERIFIED_FAIL:
                return self.on_verification_result(cue is Cue.VERIFIED_OK)
            case Cue.HOLD:
                return self.on_hold()
            case Cue.RESUME:
                return self.on_resume()
            case Cue.NEW_PHONE:
                if (stop := self._event()) is not None:
                    return stop
                return Reply(text=self.line("verify_answer", answer=self.new_phone_number()))
            case Cue.UNDERSTOOD:
                if (stop := self._event()) is not None:
                    return stop
                return Reply(text=self.line("understood"))
            case Cue.QUESTION | Cue.GREETING:
                if (stop := self._event()) is not None:
                    return stop
                return Reply(text=self.line("ack"))
        if (stop := self._event()) is not None:
            return stop
        return Reply()


class ArrivalSchedule:
    """Customer arrivals as a Poisson process of ``rate_per_minute`` (> 0).

    :meth:`next_delay` returns the seconds until the next arrival, drawn from
    an exponential distribution of mean ``60 / rate_per_minute``; iterating
    yields delays for ever. ``rate_per_minute`` may be changed at any time
    (configurable). Raises ValueError for a rate ≤ 0.
    """

    def __init__(self, rate_per_minute: float, rng: random.Random) -> None:
        self.rng = rng
        self.rate_per_minute = rate_per_minute

    @property
    def rate_per_minute(self) -> float:
        """Mean arrivals per minute."""
        return self._rate

    @rate_per_minute.setter
    def rate_per_minute(self, value: float) -> None:
        if not value > 0:
            raise ValueError("rate_per_minute must be > 0")
        self._rate = float(value)

    def next_delay(self) -> float:
        """Seconds until the next arrival (exponential, mean 60 / rate)."""
        return self.rng.expovariate(self._rate / 60.0)

    def __iter__(self) -> Iterator[float]:
        while True:
            yield self.next_delay()
