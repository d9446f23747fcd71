"""Quick phrases and templates: the phrase, its checks and the placeholder rules (issue #5).

Operating guide §1.3 (the agent keeps personal quick phrases) and §3.4 (quick
phrases and templates, adapted to the contact). Shared by the desk and the
backend; pure: no I/O, no Textual, no pydantic (the wire models are in
:mod:`csdesk.domain.phrase_schemas`).

A phrase (:class:`Phrase`)
--------------------------
``id`` (``[A-Za-z0-9][A-Za-z0-9._-]{0,63}``; team phrases are named in the
backend's seed file, personal ones are made by the desk, ``p-<32 hex>``),
``code`` (the shortcut typed as ``/code``: 1–16 ASCII letters, digits, ``_``
or ``-``, starting with a letter or digit, kept lower-case, e.g. ``greet``,
``lost1``), ``title`` (one line, 1–80 characters), ``body`` (1–2,000
characters, line breaks kept), ``category`` (one line, 0–32 characters),
``scope`` (``"team"``: from the backend, the same for every agent;
``"personal"``: the agent's own), ``version`` (1, then +1 per change) and
``updated_at`` (ISO 8601 UTC text). Codes are unique among one agent's
personal phrases; a personal phrase may reuse a team code, and then wins.

Placeholders
------------
A placeholder is ``{`` name ``}``, where name is an ASCII identifier
(``[A-Za-z_][A-Za-z0-9_]{0,39}``) or ``?`` followed by at most 40 characters
other than braces and line breaks. Any other brace is plain text (``{}``,
``{ 1, 2 }``, a lone ``{``). Kinds (:data:`PlaceholderKind`):

``known`` — filled from the contact by :func:`fill_placeholders`:

* ``{agent_id}`` the agent's employee ID (``A1001``);
* ``{agent_name}`` the agent's name (``张伟``);
* ``{customer_title}`` how the customer is addressed, from the contact's
  customer card (:func:`customer_title`): ``王先生`` / ``王女士`` in a Chinese
  phrase, ``Mr Wang`` / ``Ms Wang`` in another;
* ``{today}`` the local date: ``2026年3月5日`` in a Chinese phrase,
  ``2026-03-05`` in another;
* ``{reference}`` the reference number of the contact's latest business
  operation (``OP-20260305-AB12CD``).

``input`` — ``{?label}`` (a non-blank label, e.g. ``{?金额}``): a value the
agent types when the phrase goes into the composer.

``unknown`` — any other identifier (``{agent_nmae}``), and ``{?}`` with a
blank label.

A Chinese phrase is one whose text holds a CJK ideograph (:func:`is_chinese`).
A known placeholder whose value is not known (no contact yet, no operation
done, the customer's sex unknown) stays as it is. Whatever placeholder is
left in a message blocks sending it (:func:`placeholders_left`), and the
composer highlights it; the phrase editor refuses unknown ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

from csdesk.domain.ids import ID_PATTERN  # phrase ids: also ph.ID_PATTERN for the backend
from csdesk.domain.surnames import split_surname
from csdesk.domain.text import clean_body, one_line

# -- limits and names -----------------------------------------------------------------

#: Longest shortcut code, characters.
CODE_MAX: Final = 16
#: Longest title, characters.
TITLE_MAX: Final = 80
#: Longest category, characters.
CATEGORY_MAX: Final = 32
#: Longest body, characters (well under the composer's cap of 4,000).
BODY_MAX: Final = 2000
#: Longest ``{?label}`` label, characters.
LABEL_MAX: Final = 40
#: Most personal phrases one agent may keep.
PERSONAL_MAX: Final = 500
#: What a code looks like once lower-cased (:func:`normalize_code`).
CODE_PATTERN: Final = re.compile(r"\A[a-z0-9][a-z0-9_-]{0,15}\Z")

#: Sync collection of the team phrases (every agent; ``GET /api/v1/sync/team_phrases``).
TEAM_PHRASES: Final = "team_phrases"
#: Sync collection of the agent's personal phrases (``GET /api/v1/sync/my_phrases``).
MY_PHRASES: Final = "my_phrases"
#: Both collections, in the order the desk merges them (personal first).
PHRASE_COLLECTIONS: Final = (MY_PHRASES, TEAM_PHRASES)

#: Outbox kinds of a personal phrase saved / deleted on the desk.
PHRASE_SAVE_KIND: Final = "phrase.save"
PHRASE_DELETE_KIND: Final = "phrase.delete"
PHRASE_KINDS: Final = frozenset({PHRASE_SAVE_KIND, PHRASE_DELETE_KIND})
#: Path (under ``/api/v1``) of personal phrases: ``PUT``/``DELETE`` ``/me/phrases/{id}``.
PHRASES_PATH: Final = "/me/phrases"

Scope = Literal["team", "personal"]
PlaceholderKind = Literal["known", "input", "unknown"]

#: The placeholders filled from the contact, in the order the editor lists them.
KNOWN_PLACEHOLDERS: Final = ("agent_id", "agent_name", "customer_title", "today", "reference")

_TOKEN: Final = re.compile(r"\{(\?[^{}\n]{0,40}|[A-Za-z_][A-Za-z0-9_]{0,39})\}")
_CJK: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
#: ``/code`` right before the cursor; not inside a path or URL (``a/b``, ``x.com/y``).
_SHORTCUT: Final = re.compile(r"(?<![A-Za-z0-9_./:\\-])/([A-Za-z0-9][A-Za-z0-9_-]{0,15})\Z")


def phrase_path(phrase_id: str) -> str:
    """The API path of personal phrase ``phrase_id``: ``/me/phrases/<id>``."""
    return f"{PHRASES_PATH}/{phrase_id}"


def phrase_id_from_path(path: str) -> str | None:
    """The phrase id in an outbox path made by :func:`phrase_path`, or None for another path."""
    prefix = PHRASES_PATH + "/"
    if not path.startswith(prefix):
        return None
    ident = path[len(prefix):]
    return ident if ID_PATTERN.match(ident) else None


def is_chinese(text: str) -> bool:
    """True when ``text`` holds a CJK ideograph (the phrase is written in Chinese)."""
    return _CJK.search(text) is not None


# -- placeholders ----------------------------------------------------------------------


@dataclass(frozen=True)
class Placeholder:
    """One placeholder found in a text.

    ``start``/``end``: character offsets in the text (``end`` exclusive),
    ``token`` the text ``text[start:end]`` (``"{?金额}"``), ``name`` what is
    between the braces (``"?金额"``, ``"agent_id"``), ``kind`` its
    :data:`PlaceholderKind`.
    """

    start: int
    end: int
    token: str
    name: str
    kind: PlaceholderKind

    @property
    def label(self) -> str:
        """The label of an ``input`` placeholder (``"金额"``), stripped; else the name."""
        return self.name[1:].strip() if self.name.startswith("?") else self.name


def find_placeholders(text: str) -> list[Placeholder]:
    """Every placeholder of ``text``, in order (grammar and kinds: module docstring)."""
    found: list[Placeholder] = []
    for match in _TOKEN.finditer(text):
        name = match.group(1)
        kind: PlaceholderKind
        if name.startswith("?"):
            kind = "input" if name[1:].strip() else "unknown"
        else:
            kind = "known" if name in KNOWN_PLACEHOLDERS else "unknown"
        found.append(Placeholder(match.start(), match.end(), match.group(0), name, kind))
    return found


def placeholders_left(text: str) -> list[Placeholder]:
    """The placeholders that block sending ``text``: every one still in it.

    A known placeholder is filled when the phrase goes into the composer; one
    still there had no value (and the agent has to write it), an ``input``
    one waits for the agent's value, an ``unknown`` one is a mistake.
    """
    return find_placeholders(text)


def unknown_placeholders(text: str) -> list[Placeholder]:
    """The placeholders of ``text`` of kind ``unknown`` (the phrase editor refuses them)."""
    return [p for p in find_placeholders(text) if p.kind == "unknown"]


def tokens_of(placeholders: Iterable[Placeholder]) -> list[str]:
    """The distinct tokens of ``placeholders`` in order of first appearance (for a notice)."""
    seen: dict[str, None] = {}
    for placeholder in placeholders:
        seen.setdefault(placeholder.token, None)
    return list(seen)


@dataclass(frozen=True)
class PlaceholderContext:
    """What the known placeholders are filled from; None (or ``""``) = not known.

    ``agent_id``/``agent_name`` from the signed-in agent's profile;
    ``customer_name`` and ``customer_id_masked`` from the contact's customer
    card (``CustomerCard.name``, ``.id_number_masked``: first 3 + last 4 of
    the ID number, so the sex digit stays visible); ``today`` the local date;
    ``reference`` the latest operation reference of the contact.
    """

    agent_id: str | None = None
    agent_name: str | None = None
    customer_name: str | None = None
    customer_id_masked: str | None = None
    today: date | None = None
    reference: str | None = None

    def value(self, name: str, *, chinese: bool) -> str | None:
        """The value of known placeholder ``name`` for a Chinese (``chinese``) or
        other phrase, or None when not known (or ``name`` is not a known one)."""
        if name == "agent_id":
            raw = self.agent_id
        elif name == "agent_name":
            raw = self.agent_name
        elif name == "customer_title":
            raw = customer_title(self.customer_name or "", self.customer_id_masked, chinese=chinese)
        elif name == "today":
            raw = today_text(self.today, chinese=chinese) if self.today else None
        elif name == "reference":
            raw = self.reference
        else:
            return None
        return _safe_value(raw)


def _safe_value(raw: str | None) -> str | None:
    """A filled value: one line, no control characters, no braces (a value never
    makes a new placeholder); None when empty."""
    if raw is None:
        return None
    value = one_line(str(raw))
    value = value.replace("{", "｛").replace("}", "｝")
    return value or None


def fill_placeholders(
    text: str, context: PlaceholderContext, *, chinese: bool | None = None
) -> str:
    """``text`` with each known placeholder replaced by its value from ``context``.

    ``chinese`` picks the forms of ``{customer_title}`` and ``{today}``
    (default: :func:`is_chinese` of ``text``). Placeholders without a value,
    ``{?label}`` and unknown ones are left as they are
    (:func:`placeholders_left` lists them afterwards).
    """
    if chinese is None:
        chinese = is_chinese(text)
    out: list[str] = []
    last = 0
    for placeholder in find_placeholders(text):
        if placeholder.kind != "known":
            continue
        value = context.value(placeholder.name, chinese=chinese)
        if value is None:
            continue
        out.append(text[last:placeholder.start])
        out.append(value)
        last = placeholder.end
    out.append(text[last:])
    return "".join(out)


def today_text(day: date, *, chinese: bool) -> str:
    """``day`` as ``{today}`` shows it: ``2026年3月5日`` (Chinese) or ``2026-03-05``."""
    if chinese:
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def sex_from_masked_id(id_number_masked: str | None) -> Literal["m", "f"] | None:
    """The customer's sex from a masked 18-character resident ID number, or None.

    The 17th character of a PRC resident identity number is odd for men and
    even for women (GB 11643-1999); the mask (first 3 + last 4) keeps it.
    Anything else (another length, a hidden or non-digit 17th character: a
    passport, an old 15-digit number) gives None.
    """
    if not id_number_masked or len(id_number_masked) != 18:
        return None
    digit = id_number_masked[16]
    if not digit.isascii() or not digit.isdigit():
        return None
    return "m" if int(digit) % 2 else "f"


def customer_title(name: str, id_number_masked: str | None, *, chinese: bool) -> str | None:
    """How a Chinese (``chinese``) or other phrase addresses the customer, or None.

    ``name`` (cleaned; from the customer card) and the sex of
    :func:`sex_from_masked_id`: a Chinese name gives ``王先生`` / ``王女士``
    or ``Mr Wang`` / ``Ms Wang`` (pinyin of :mod:`csdesk.domain.surnames`;
    compound surnames such as 欧阳 kept whole); a Latin-script name
    (``John Smith``) gives ``Smith先生`` or ``Mr Smith`` (its last word).
    None when the sex is not known, the name is empty, or (English) the
    surname has no pinyin in the table: the agent then writes it.
    """
    name = one_line(name)
    sex = sex_from_masked_id(id_number_masked)
    if not name or sex is None:
        return None
    if is_chinese(name):
        surname, pinyin = split_surname(name.replace(" ", ""))
        if chinese:
            return surname + ("先生" if sex == "m" else "女士")
        if pinyin is None:
            return None
        return ("Mr " if sex == "m" else "Ms ") + pinyin
    surname = name.split()[-1]
    if chinese:
        return surname + ("先生" if sex == "m" else "女士")
    return ("Mr " if sex == "m" else "Ms ") + surname


# -- the /code shortcut ---------------------------------------------------------------


def parse_shortcut(before_cursor: str) -> tuple[int, str] | None:
    """The ``/code`` typed right before the cursor: ``(offset of "/", code lower-cased)``.

    ``before_cursor`` is the text of the line up to the cursor. The slash
    must open the text or follow a character that cannot be part of a path
    or URL (a space, Chinese text, punctuation other than ``. / : \\ - _``).
    None when there is no such shortcut.
    """
    match = _SHORTCUT.search(before_cursor)
    if match is None:
        return None
    return match.start(), match.group(1).lower()


# -- the phrase and its checks ---------------------------------------------------------


def normalize_code(raw: str) -> str:
    """A typed code as stored: NFKC (full-width letters become ASCII), stripped, lower-cased."""
    return unicodedata.normalize("NFKC", raw).strip().lower()


@dataclass(frozen=True)
class PhraseFields:
    """The editable content of a phrase: ``code``, ``title``, ``body``, ``category``.

    Make it with :meth:`clean` (cleans what a person or a file typed); check
    it with :func:`check_phrase`.
    """

    code: str
    title: str
    body: str
    category: str = ""

    @classmethod
    def clean(cls, *, code: str, title: str, body: str, category: str = "") -> PhraseFields:
        """The fields as stored: code by :func:`normalize_code`, title and category on
        one line (whitespace runs collapsed), body by :func:`clean_body`."""
        return cls(
            code=normalize_code(code),
            title=one_line(title),
            body=clean_body(body),
            category=one_line(category),
        )


ProblemCode = Literal["required", "too-long", "code-format", "code-taken", "unknown-placeholder", "too-many"]


@dataclass(frozen=True)
class PhraseProblem:
    """Why a phrase cannot be saved: ``field`` (``code``, ``title``, ``body``,
    ``category``), ``code`` (a :data:`ProblemCode`) and ``detail`` (the limit
    for ``too-long``, the tokens for ``unknown-placeholder``, the other
    phrase's title for ``code-taken``; else ``""``)."""

    field: str
    code: ProblemCode
    detail: str = ""

    def english(self) -> str:
        """One line in English (the backend's field error)."""
        if self.code == "required":
            return f"the {self.field} is required"
        if self.code == "too-long":
            return f"the {self.field} is longer than {self.detail} characters"
        if self.code == "code-format":
            return (f"a code is 1-{CODE_MAX} ASCII letters, digits, '_' or '-', "
                    "starting with a letter or digit")
        if self.code == "code-taken":
            return f"another of your phrases already has this code ({self.detail})"
        if self.code == "too-many":
            return f"at most {PERSONAL_MAX} personal phrases"
        return f"unknown placeholder(s): {self.detail}"


def check_phrase(
    fields: PhraseFields, *, taken_codes: Mapping[str, str] | None = None
) -> list[PhraseProblem]:
    """Every problem of ``fields`` (cleaned, see :meth:`PhraseFields.clean`); ``[]`` = fine.

    ``taken_codes`` maps the codes of the agent's *other* personal phrases
    to their titles (a code must be unique among them). Checks: code format
    (:data:`CODE_PATTERN`), title and body required, the limits
    (:data:`TITLE_MAX`, :data:`BODY_MAX`, :data:`CATEGORY_MAX`), and no
    unknown placeholder in the title or body.
    """
    problems: list[PhraseProblem] = []
    if not fields.code:
        problems.append(PhraseProblem("code", "required"))
    elif not CODE_PATTERN.match(fields.code):
        problems.append(PhraseProblem("code", "code-format"))
    elif taken_codes and fields.code in taken_codes:
        problems.append(PhraseProblem("code", "code-taken", taken_codes[fields.code]))
    for name, value, limit in (("title", fields.title, TITLE_MAX), ("body", fields.body, BODY_MAX)):
        if not value:
            problems.append(PhraseProblem(name, "required"))
        elif len(value) > limit:
            problems.append(PhraseProblem(name, "too-long", str(limit)))
    if len(fields.category) > CATEGORY_MAX:
        problems.append(PhraseProblem("category", "too-long", str(CATEGORY_MAX)))
    for name, value in (("title", fields.title), ("body", fields.body)):
        unknown = tokens_of(unknown_placeholders(value))
        if unknown:
            problems.append(PhraseProblem(name, "unknown-placeholder", ", ".join(unknown)))
    return problems


@dataclass(frozen=True)
class Phrase:
    """A quick phrase as the desk holds it (fields: module docstring).

    ``pending`` is True for a personal phrase whose latest change made on
    this desk has not reached the backend yet (local only, never on the wire).
    """

    id: str
    code: str
    title: str
    body: str
    category: str
    scope: Scope
    version: int
    updated_at: str
    pending: bool = False

    @property
    def fields(self) -> PhraseFields:
        """The editable content."""
        return PhraseFields(self.code, self.title, self.body, self.category)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any], scope: Scope) -> Phrase | None:
        """A phrase from a stored or synced document (untrusted), or None when it is
        not one: a missing or bad id, code, title or body. Text is cleaned again and
        cut to the limits; ``scope`` is the collection's (never the document's)."""
        ident, code, title, body = (doc.get(name) for name in ("id", "code", "title", "body"))
        if not (isinstance(ident, str) and isinstance(code, str) and isinstance(title, str)
                and isinstance(body, str)):
            return None
        category = doc.get("category")
        fields = PhraseFields.clean(
            code=code, title=title, body=body, category=category if isinstance(category, str) else ""
        )
        if not ID_PATTERN.match(ident) or not CODE_PATTERN.match(fields.code):
            return None
        if not fields.title or not fields.body:
            return None
        version = doc.get("version")
        updated = doc.get("updated_at")
        return cls(
            id=ident,
            code=fields.code,
            title=fields.title[:TITLE_MAX],
            body=fields.body[:BODY_MAX],
            category=fields.category[:CATEGORY_MAX],
            scope=scope,
            version=version if isinstance(version, int) and not isinstance(version, bool) and version >= 0 else 0,
            updated_at=updated if isinstance(updated, str) else "",
            pending=doc.get("pending") is True,
        )

    def to_doc(self) -> dict[str, Any]:
        """The stored form (the wire fields, plus ``pending`` when True)."""
        doc: dict[str, Any] = {
            "id": self.id, "code": self.code, "title": self.title, "body": self.body,
            "category": self.category, "scope": self.scope, "version": self.version,
            "updated_at": self.updated_at,
        }
        if self.pending:
            doc["pending"] = True
        return doc
