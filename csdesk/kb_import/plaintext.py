"""Plain text → Markdown for ``csdesk kb import``: numbered headings, boilerplate left out (issue #5).

Operating manuals in plain text have no markup; their structure is in
numbered headings on lines of their own: ``1.2系统登录步骤``, ``2.1 客户接入``,
``3.2.1 …``, grouped by chapter lines ``一、前置准备与系统登录`` or
``第二章 …``. Text copied from a web page also carries the site around the
document (navigation, notices, "related documents", footers). This module
finds the document by its headings and keeps only that:

1. *Numbered headings.* A line is a candidate when it starts with a number
   of two to four parts (``1.2``, ``3.2.1``; full-width ``．`` too),
   followed by a short title (≤ :data:`HEADING_MAX` characters) that does not
   start with a digit or ``%`` and is not a sentence (no ``。``, no final
   ``，；：！？``). The headings of the document are the longest chain of
   candidates in which each number follows the one before (greater, and the
   first part grows by at most one) — so a stray "2.0版本" in a menu is
   not taken for the document. With fewer than two, the file has no
   structure: it becomes one article.
2. *Chapters.* A line ``一、…`` / ``第一章 …`` (short, not a sentence) is a
   chapter heading when its number is the first part of the next numbered
   heading and chapters go up one by one. The document starts at its first
   heading (a chapter just before the first numbered heading, with at most
   :data:`CHAPTER_INTRO_LINES` lines of introduction, counts).
3. *The end.* After the last heading the document runs to the last line
   that reads like text — a sentence (ends with ``。！？；：`` or their
   ASCII forms, closing quotes allowed), a list item (``1.``, ``-``, ``(1)``)
   or a long line (≥ :data:`PROSE_MIN` characters). The short lines after
   it (``文档评论(0)``, ``相关文档`` …) are the site's footer and are left out.
   A heading left with no text (a document cut short) yields no article.

Everything before the document and after its end is dropped. Inside it,
chapters become ``#`` headings and numbered headings one ``#`` per part
(``## 1.2 系统登录步骤``: a space is put between number and title), step
lines (``1.打开…``, ``2、…``) become ordered list items and every other line
is escaped text (:func:`~csdesk.kb_import.markdown_split.escape_markdown`).

No Textual, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from csdesk.kb_import.markdown_split import escape_inline, escape_markdown

#: Longest heading title (characters, number excluded).
HEADING_MAX: Final = 50
#: A line at least this long counts as text even without a sentence end.
PROSE_MIN: Final = 40
#: Lines allowed between a chapter heading and the first numbered heading.
CHAPTER_INTRO_LINES: Final = 3
#: Numbered-heading candidates looked at, at most.
MAX_CANDIDATES: Final = 100_000
#: How many candidates back a heading's predecessor may be (stray candidates between
#: two real headings); keeps the chain search linear.
CHAIN_WINDOW: Final = 64

_NUMBERED: Final = re.compile(
    r"^(?P<num>\d{1,3}(?:[.．]\d{1,3}){1,3})(?![.．]?\d)[.．]?[ \t\u3000]*(?P<title>\S.*)$"
)
_CHAPTER: Final = re.compile(
    r"^(?:(?P<cn>[一二三四五六七八九十]{1,3})[、．.]|第(?P<nth>[一二三四五六七八九十\d]{1,4})[章部篇])"
    r"[ \t\u3000]*(?P<title>\S.*)$"
)
_STEP: Final = re.compile(r"^(?P<n>\d{1,2})[.．、)）](?!\d)[ \t\u3000]*(?P<text>\S.*)$")
_LIST_LINE: Final = re.compile(r"^(?:\d{1,2}[.．、)）](?!\d)|[-•·*]\s|[(（]\d{1,2}[)）])")
_NOT_A_TITLE_END: Final = tuple("。，,；;！!？?：:、")
_SENTENCE_ENDS: Final = tuple("。！？!?；;：:….")
_CLOSERS: Final = "”’\"'」』）)】]"
_DIGITS: Final = {c: i for i, c in enumerate("零一二三四五六七八九")}


def chinese_number(text: str) -> int | None:
    """``"三"`` → 3, ``"十二"`` → 12, ``"二十"`` → 20, ``"7"`` → 7; None if not 1–99."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _DIGITS.get(tens, -1) if tens else 1
        o = _DIGITS.get(ones, -1) if ones else 0
        return t * 10 + o if t > 0 and o >= 0 else None
    if len(text) == 1 and text in _DIGITS and text != "零":
        return _DIGITS[text]
    return None


def _is_title(title: str) -> bool:
    title = title.strip()
    return (
        0 < len(title) <= HEADING_MAX
        and "。" not in title
        and not title.endswith(_NOT_A_TITLE_END)
        and title[0] not in "0123456789%％.．"
    )


def is_prose(line: str) -> bool:
    """True when a stripped line reads like document text (see the module docstring, step 3)."""
    return bool(line) and (bool(_LIST_LINE.match(line)) or len(line) >= PROSE_MIN or is_sentence(line))


@dataclass(frozen=True)
class _Heading:
    line: int
    level: int
    text: str  # as written in Markdown: "1.2 系统登录步骤" / "一、前置准备"
    major: int  # first number (chapter number for chapters)
    numbers: tuple[int, ...]


def _numbered_candidates(lines: list[str]) -> list[_Heading]:
    found: list[_Heading] = []
    for n, line in enumerate(lines):
        match = _NUMBERED.match(line)
        if not match or not _is_title(match["title"]):
            continue
        numbers = tuple(int(part) for part in re.split(r"[.．]", match["num"]))
        found.append(
            _Heading(
                line=n,
                level=len(numbers),
                text=f"{'.'.join(map(str, numbers))} {match['title'].strip()}",
                major=numbers[0],
                numbers=numbers,
            )
        )
        if len(found) >= MAX_CANDIDATES:
            break
    return found


def _follows(prev: _Heading, nxt: _Heading) -> bool:
    return nxt.numbers > prev.numbers and nxt.major - prev.major <= 1 and nxt.line > prev.line


def _longest_chain(candidates: list[_Heading]) -> list[_Heading]:
    """The longest run of candidates whose numbers follow each other (earliest on ties).

    Each link looks back at most :data:`CHAIN_WINDOW` candidates.
    """
    if not candidates:
        return []
    best_len = [1] * len(candidates)
    back = [-1] * len(candidates)
    for j, cand in enumerate(candidates):
        for i in range(max(0, j - CHAIN_WINDOW), j):
            if best_len[i] + 1 > best_len[j] and _follows(candidates[i], cand):
                best_len[j] = best_len[i] + 1
                back[j] = i
    end = max(range(len(candidates)), key=lambda k: (best_len[k], -k))
    chain: list[_Heading] = []
    while end != -1:
        chain.append(candidates[end])
        end = back[end]
    return chain[::-1]


def _chapters(lines: list[str], numbered: list[_Heading]) -> list[_Heading]:
    """Chapter headings that introduce the numbered headings after them."""
    out: list[_Heading] = []
    first = numbered[0].line
    last_value = 0
    for n, line in enumerate(lines):
        match = _CHAPTER.match(line)
        if not match or not _is_title(match["title"]):
            continue
        value = chinese_number(match["cn"] or match["nth"] or "")
        if value is None:
            continue
        following = next((h for h in numbered if h.line > n), None)
        if following is None or following.major != value or value != last_value + 1 and out:
            continue
        if n < first:
            between = [x for x in lines[n + 1:first] if x]
            if len(between) > CHAPTER_INTRO_LINES:
                continue
        out.append(_Heading(line=n, level=1, text=line.strip(), major=value, numbers=(value,)))
        last_value = value
    return out


def _body_markdown(lines: list[str]) -> list[str]:
    """Escaped Markdown for body lines: paragraphs, and ordered items for step lines."""
    blocks: list[list[str]] = []
    in_paragraph = False
    for line in lines:
        if not line:
            in_paragraph = False
            continue
        step = _STEP.match(line)
        if step:
            blocks.append([f"{int(step['n'])}. {escape_markdown(step['text'].strip())}"])
            in_paragraph = False
        elif in_paragraph:
            blocks[-1].append(escape_markdown(line))
        else:
            blocks.append([escape_markdown(line)])
            in_paragraph = True
    out: list[str] = []
    for block in blocks:
        out += [*block, ""]
    return out


def text_to_markdown(text: str) -> tuple[str, str]:
    """Convert plain text (already decoded and cleaned) to Markdown; return ``(markdown, title)``.

    With numbered headings: only the document between its first heading and
    its end, as the module docstring describes; ``title`` is ``""``.
    Without: the whole text, as one article whose ``title`` is the first
    line when that is short and not a sentence (it then leaves the body).
    """
    lines = [line.strip() for line in text.split("\n")]
    chain = _longest_chain(_numbered_candidates(lines))
    if len(chain) < 2:
        first = next((n for n, line in enumerate(lines) if line), None)
        title = ""
        if first is not None and len(lines[first]) <= 80 and not is_sentence(lines[first]):
            title = lines[first]
            lines = lines[first + 1:]
        return "\n".join(_body_markdown(lines)).strip(), title
    heads = sorted([*_chapters(lines, chain), *chain], key=lambda h: h.line)
    end = len(lines)
    tail = heads[-1].line + 1
    while end > tail and not is_prose(lines[end - 1]):
        end -= 1
    out: list[str] = []
    for k, head in enumerate(heads):
        stop = heads[k + 1].line if k + 1 < len(heads) else end
        out += ["#" * min(6, head.level) + " " + escape_inline(head.text), ""]
        out += _body_markdown(lines[head.line + 1:stop])
    return "\n".join(out).strip(), ""


def is_sentence(line: str) -> bool:
    """True when ``line`` ends like a sentence (``。！？；：`` or ASCII forms, closers allowed)."""
    return line.rstrip(_CLOSERS).endswith(_SENTENCE_ENDS)
