"""Scenario files of the training simulator: loading, validation, picking.

A scenario is one TOML file (written for this project, shipped in
``csdesk/server/simulator/scenarios/``) describing what a simulated customer
wants and how they behave. Fields (``Text`` is a table ``{zh = ..., en = ...}``
whose values are a string or a non-empty list of strings to vary the line):

=====================  ==========================================================
``id``                 unique id, ``[a-z0-9_]+`` (stored as ``Contact.scenario``)
``title``              Text, one string per language
``categories``         Banking77-style categories the scenario serves (list)
``operation``          expected operation code (:data:`OPERATION_CODES`) or ``""``
``complaint``          bool: the customer complains (a complaint work order)
``fallback``           bool, optional: used when no scenario serves a category
                       (exactly one shipped scenario has it)
``weight``             float > 0, optional (1.0): share among scenarios serving
                       the same category
``topic``              queue topic, optional (``general``): the customer joins
                       queue ``<channel>.<topic>`` when it exists
``patience_seconds``   seconds the customer waits in queue before abandoning
``channels``           ``{chat = w, phone = w}`` channel weights, ≥ 0, sum > 0
``need``               Text: the customer's need, said after the greeting
``first_words``        Text: openings used when no customer CSV is given
``follow_up``          Text, optional: one more question on "anything else?"
``[identity]``         ``answers = "right" | "wrong"`` (all wrong),
                       ``wrong_methods`` (methods always answered wrong),
                       ``wrong_times`` (the first N answers are wrong)
``[disclosure]``       ``reaction = "consent" | "refuse"``
``[hang_up]``          ``after_agent_events`` (0 = never): hang up when the
                       agent does its N-th thing in the contact
``[hold]``             ``needs_hold`` (bool), ``patience_seconds`` on hold
``[reactions]``        Text for each key of :data:`REACTION_KEYS`
=====================  ==========================================================

:func:`load_scenario` and :func:`load_scenarios` raise :class:`ScenarioError`
naming the file and the field; :func:`pick_scenario` chooses a scenario for a
category with a seeded :class:`random.Random`.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csdesk.domain.contacts import Channel, VerificationMethod
from csdesk.server.operations import catalogue

#: Folder of the scenario files shipped with csdesk.
SCENARIO_DIR = Path(__file__).with_name("scenarios")

#: Languages every text of a scenario must have.
LANGUAGES = ("zh", "en")

#: Operation codes a scenario may expect: those of the backend's catalogue
#: (``csdesk/server/data/operations.toml``, the one source of the codes).
OPERATION_CODES = frozenset(catalogue())

#: Lines every scenario declares in ``[reactions]``. ``verify_answer`` must
#: contain ``{answer}``; ``operation_done`` may contain ``{reference}``.
REACTION_KEYS = (
    "greeting",  # first words back to the agent's greeting, before the need
    "verify_answer",  # says an identity answer: contains {answer}
    "keypad",  # asked for the transaction password: keys it on the phone
    "verification_passed",  # told the check passed
    "verification_failed",  # told the check failed
    "disclosure_consent",  # agrees to the risk disclosure
    "disclosure_refuse",  # refuses the risk disclosure
    "operation_done",  # told the result, may repeat {reference}
    "understood",  # "did I explain it clearly?" → yes
    "thats_all",  # "anything else?" → no, goodbye
    "hold_ok",  # agrees to be put on hold
    "resumed",  # back from hold
    "hang_up",  # last words before hanging up (may be empty)
    "ack",  # reply to any other question from the agent
)

_ID_RE = re.compile(r"^[a-z0-9_]+$")


class ScenarioError(ValueError):
    """A scenario file is missing, malformed or invalid.

    ``path`` the file (None for errors across files), ``field`` the dotted
    field name ("" for the whole file); ``str()`` reads
    ``"lost_card.toml: identity.wrong_times: must be an integer ≥ 0"``.
    """

    def __init__(self, path: Path | None, field: str, message: str) -> None:
        self.path = path
        self.field = field
        self.message = message
        where = [p for p in (path.name if path else "", field) if p]
        super().__init__(": ".join([*where, message]))


Text = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class IdentityBehaviour:
    """How the customer answers verification questions.

    ``all_wrong`` every answer wrong; ``wrong_methods`` methods always answered
    wrong; ``wrong_times`` the first N answers (any method) are wrong.
    """

    all_wrong: bool = False
    wrong_methods: frozenset[VerificationMethod] = frozenset()
    wrong_times: int = 0


@dataclass(frozen=True)
class Scenario:
    """One validated scenario (see the module docstring for the fields).

    Texts are ``{lang: (line, ...)}`` with at least one line per language;
    ``operation`` is None when the need is answered without an operation;
    ``hang_up_after`` is None when the customer never hangs up by themself.
    """

    id: str
    title: Mapping[str, str]
    categories: tuple[str, ...]
    operation: str | None
    complaint: bool
    fallback: bool
    weight: float
    patience_seconds: float
    channels: Mapping[Channel, float]
    need: Text
    first_words: Text
    follow_up: Text | None
    identity: IdentityBehaviour
    disclosure_consent: bool
    hang_up_after: int | None
    needs_hold: bool
    hold_patience_seconds: float
    reactions: Mapping[str, Text]
    topic: str = "general"
    source: Path | None = field(default=None, compare=False)


class _Reader:
    """Field access with errors that name the file and the field."""

    def __init__(self, path: Path, data: Mapping[str, Any]) -> None:
        self.path = path
        self.data = data

    def fail(self, name: str, message: str) -> ScenarioError:
        return ScenarioError(self.path, name, message)

    def get(self, name: str, *, required: bool = True, default: Any = None) -> Any:
        node: Any = self.data
        for part in name.split("."):
            if not isinstance(node, Mapping):
                raise self.fail(name, "parent must be a table")
            if part not in node:
                if required:
                    raise self.fail(name, "missing")
                return default
            node = node[part]
        return node

    def string(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.get(name, required=required, default=default)
        if not isinstance(value, str):
            raise self.fail(name, f"must be a string, got {type(value).__name__}")
        return value

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self.get(name, required=False, default=default)
        if not isinstance(value, bool):
            raise self.fail(name, "must be true or false")
        return value

    def number(self, name: str, *, required: bool = True, default: float = 0.0, minimum: float = 0.0,
               exclusive: bool = False) -> float:
        value = self.get(name, required=required, default=default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(name, "must be a number")
        if value < minimum or (exclusive and value == minimum):
            raise self.fail(name, f"must be {'>' if exclusive else '≥'} {minimum:g}")
        return float(value)

    def integer(self, name: str, *, default: int = 0) -> int:
        value = self.get(name, required=False, default=default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(name, "must be an integer ≥ 0")
        return value

    def text(self, name: str, *, required: bool = True, allow_empty: bool = False) -> Text | None:
        value = self.get(name, required=required)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.fail(name, "must be a table {zh = ..., en = ...}")
        out: dict[str, tuple[str, ...]] = {}
        for lang in LANGUAGES:
            sub = f"{name}.{lang}"
            if lang not in value:
                raise self.fail(sub, "missing")
            lines = value[lang]
            if isinstance(lines, str):
                lines = [lines]
            if not isinstance(lines, list) or not lines or not all(isinstance(x, str) for x in lines):
                raise self.fail(sub, "must be a string or a non-empty list of strings")
            if not allow_empty and not all(x.strip() for x in lines):
                raise self.fail(sub, "must not be empty")
            out[lang] = tuple(lines)
        extra = set(value) - set(LANGUAGES)
        if extra:
            raise self.fail(f"{name}.{sorted(extra)[0]}", f"unknown language (expected {', '.join(LANGUAGES)})")
        return out


def _check_template(reader: _Reader, name: str, text: Text, placeholder: str, required: bool) -> None:
    for lang, lines in text.items():
        for line in lines:
            if required and placeholder not in line:
                raise reader.fail(f"{name}.{lang}", f"must contain {placeholder}")
            try:
                line.format(answer="", reference="")
            except (KeyError, IndexError, ValueError) as exc:
                raise reader.fail(f"{name}.{lang}", f"bad placeholder ({exc})") from None


def parse_scenario(data: Mapping[str, Any], path: Path) -> Scenario:
    """Validate the parsed TOML ``data`` of the file ``path`` into a :class:`Scenario`.

    Raises :class:`ScenarioError` (file name + dotted field) on the first problem.
    """
    r = _Reader(path, data)
    sid = r.string("id")
    if not _ID_RE.match(sid):
        raise r.fail("id", "must match [a-z0-9_]+")
    title_text = r.text("title")
    assert title_text is not None
    title = {lang: lines[0] for lang, lines in title_text.items()}

    categories = r.get("categories")
    if (not isinstance(categories, list) or not all(isinstance(c, str) and c for c in categories)):
        raise r.fail("categories", "must be a list of category names")
    if len(set(categories)) != len(categories):
        raise r.fail("categories", "has duplicates")

    operation = r.string("operation", required=False, default="") or None
    if operation is not None and operation not in OPERATION_CODES:
        raise r.fail("operation", f"unknown operation code {operation!r} (expected one of {', '.join(sorted(OPERATION_CODES))})")

    raw_channels = r.get("channels")
    if not isinstance(raw_channels, Mapping) or not raw_channels:
        raise r.fail("channels", "must be a table {chat = weight, phone = weight}")
    channels: dict[Channel, float] = {}
    for key in raw_channels:
        try:
            channel = Channel(key)
        except ValueError:
            raise r.fail(f"channels.{key}", "unknown channel (expected chat, phone)") from None
        channels[channel] = r.number(f"channels.{key}")
    if sum(channels.values()) <= 0:
        raise r.fail("channels", "weights must not all be 0")

    answers = r.string("identity.answers", required=False, default="right")
    if answers not in ("right", "wrong"):
        raise r.fail("identity.answers", "must be \"right\" or \"wrong\"")
    wrong_raw = r.get("identity.wrong_methods", required=False, default=[])
    if not isinstance(wrong_raw, list):
        raise r.fail("identity.wrong_methods", "must be a list of verification methods")
    wrong_methods = set()
    for item in wrong_raw:
        try:
            wrong_methods.add(VerificationMethod(item))
        except ValueError:
            raise r.fail("identity.wrong_methods",
                         f"unknown method {item!r} (expected one of {', '.join(m.value for m in VerificationMethod)})") from None
    identity = IdentityBehaviour(all_wrong=answers == "wrong", wrong_methods=frozenset(wrong_methods),
                                 wrong_times=r.integer("identity.wrong_times"))

    reaction = r.string("disclosure.reaction", required=False, default="consent")
    if reaction not in ("consent", "refuse"):
        raise r.fail("disclosure.reaction", "must be \"consent\" or \"refuse\"")

    hang_up_after = r.integer("hang_up.after_agent_events") or None

    reactions_raw = r.get("reactions")
    if not isinstance(reactions_raw, Mapping):
        raise r.fail("reactions", "must be a table")
    unknown = set(reactions_raw) - set(REACTION_KEYS)
    if unknown:
        raise r.fail(f"reactions.{sorted(unknown)[0]}", "unknown reaction")
    reactions: dict[str, Text] = {}
    for key in REACTION_KEYS:
        text = r.text(f"reactions.{key}", allow_empty=key == "hang_up")
        assert text is not None
        reactions[key] = text
    _check_template(r, "reactions.verify_answer", reactions["verify_answer"], "{answer}", True)
    for key in REACTION_KEYS:
        if key != "verify_answer":
            _check_template(r, f"reactions.{key}", reactions[key], "{reference}", False)

    topic = r.string("topic", required=False, default="general")
    if not _ID_RE.match(topic):
        raise r.fail("topic", "must match [a-z0-9_]+")
    need = r.text("need")
    first_words = r.text("first_words")
    assert need is not None and first_words is not None
    return Scenario(
        id=sid,
        title=title,
        categories=tuple(categories),
        operation=operation,
        complaint=r.boolean("complaint"),
        fallback=r.boolean("fallback"),
        weight=r.number("weight", required=False, default=1.0, exclusive=True),
        patience_seconds=r.number("patience_seconds", exclusive=True),
        channels=channels,
        need=need,
        first_words=first_words,
        follow_up=r.text("follow_up", required=False),
        identity=identity,
        disclosure_consent=reaction == "consent",
        hang_up_after=hang_up_after,
        needs_hold=r.boolean("hold.needs_hold"),
        hold_patience_seconds=r.number("hold.patience_seconds", required=False, default=120.0, exclusive=True),
        reactions=reactions,
        topic=topic,
        source=path,
    )


def load_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file.

    Raises :class:`ScenarioError` naming the file (and the line for TOML
    syntax errors, or the field for invalid content).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(path, "", f"cannot read ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(path, "", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, "", f"TOML syntax error: {exc}") from None
    return parse_scenario(data, path)


def load_scenarios(folder: Path | None = None, *, known_categories: Iterable[str] | None = None) -> list[Scenario]:
    """Load every ``*.toml`` in ``folder`` (default :data:`SCENARIO_DIR`), sorted by file name.

    Checks across files: ids unique, exactly one ``fallback`` scenario, and
    (when ``known_categories`` is given) that every category a scenario lists
    is known. Raises :class:`ScenarioError`.
    """
    folder = folder or SCENARIO_DIR
    scenarios = [load_scenario(p) for p in sorted(folder.glob("*.toml"))]
    if not scenarios:
        raise ScenarioError(None, "", f"no scenario files in {folder}")
    seen: dict[str, Scenario] = {}
    for s in scenarios:
        if s.id in seen:
            other = seen[s.id].source
            raise ScenarioError(s.source, "id", f"duplicate id {s.id!r} (also in {other.name if other else '?'})")
        seen[s.id] = s
    fallbacks = [s for s in scenarios if s.fallback]
    if len(fallbacks) != 1:
        names = ", ".join(s.source.name for s in fallbacks if s.source) or "none"
        raise ScenarioError(None, "fallback", f"exactly one scenario must have fallback = true (found: {names})")
    if known_categories is not None:
        known = set(known_categories)
        for s in scenarios:
            for c in s.categories:
                if c not in known:
                    raise ScenarioError(s.source, "categories", f"unknown category {c!r}")
    return scenarios


def pick_scenario(category: str | None, scenarios: Sequence[Scenario], rng: random.Random) -> Scenario:
    """The scenario a customer with an opening of ``category`` follows.

    Among the scenarios that serve ``category``, one is drawn with probability
    proportional to ``weight``; when none serves it, the fallback scenario
    (the general inquiry); when ``category`` is None, any scenario by weight.
    Deterministic for a given ``rng`` state. Raises ValueError on an empty list.
    """
    if not scenarios:
        raise ValueError("no scenarios")
    if category is None:
        candidates = list(scenarios)
    else:
        candidates = [s for s in scenarios if category in s.categories]
    if not candidates:
        return next((s for s in scenarios if s.fallback), scenarios[0])
    return rng.choices(candidates, weights=[s.weight for s in candidates], k=1)[0]


def pick_channel(scenario: Scenario, rng: random.Random, allowed: Iterable[Channel] | None = None) -> Channel:
    """A channel for a customer of ``scenario``, drawn by its channel weights.

    ``allowed`` (the backend's channel mix, ``ServerSettings.simulator_channels``)
    keeps only those channels; when the scenario has weight on none of them,
    one of ``allowed`` is drawn uniformly (the scenario is played on a channel
    it does not usually take). Raises ValueError for an empty ``allowed``.
    """
    items = [(c, w) for c, w in scenario.channels.items() if w > 0]
    if allowed is not None:
        keep = list(dict.fromkeys(Channel(c) for c in allowed))
        if not keep:
            raise ValueError("no allowed channel")
        items = [(c, w) for c, w in items if c in keep] or [(c, 1.0) for c in keep]
    return rng.choices([c for c, _ in items], weights=[w for _, w in items], k=1)[0]
