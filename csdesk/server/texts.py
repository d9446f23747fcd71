"""Texts the backend writes for people: transcript system lines and operation results.

The backend does not know which language the agent reads a transcript line
in (a transcript is shared: the desk, the session record, the next agent
after a transfer), so every system line it writes is bilingual, Chinese
first: ``中文 · English`` (:func:`bilingual`, e.g. ``通话保持 · Call on
hold``). An operation result (``OperationDone.summary``) is for the agent
who asked: in the request's language when it names one (``?lang=`` or
``Accept-Language``), else bilingual (:meth:`Text.pick`).
"""

from __future__ import annotations

from typing import NamedTuple

from csdesk.domain.queues import queue_name

#: Between the Chinese and the English half of a bilingual line.
SEPARATOR = " · "


def bilingual(zh: str, en: str) -> str:
    """``"<zh> · <en>"``: the style of every system line."""
    return f"{zh}{SEPARATOR}{en}"


class Text(NamedTuple):
    """One text in both languages: ``zh`` (``zh-CN``) and ``en``.

    ``both`` overrides the bilingual form when joining the two halves would
    be too long (a list whose numbers are the same in both languages).
    """

    zh: str
    en: str
    both: str | None = None

    def pick(self, language: str | None) -> str:
        """The text for ``language``: ``zh-CN`` → zh, ``en`` → en, None (or unknown) → bilingual."""
        if language == "zh-CN":
            return self.zh
        if language == "en":
            return self.en
        return self.both or bilingual(self.zh, self.en)


def amount(cents: int) -> str:
    """An amount of fen as yuan without a currency: ``1,234.50`` (negative: ``-1,234.50``)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def yuan(cents: int, language: str) -> str:
    """An amount of fen: ``zh-CN`` ``1,234.50 元``, otherwise ``CNY 1,234.50``."""
    return f"{amount(cents)} 元" if language == "zh-CN" else f"CNY {amount(cents)}"


def queue_text(queue: str) -> Text:
    """A queue's display name in both languages (``csdesk.domain.queues``): a
    queue without one is named by its id in both."""
    return Text(queue_name(queue, "zh-CN") or queue, queue_name(queue, "en") or queue)


def transferred_to(queue: str) -> str:
    """The system line of a transfer: ``转接至 信用卡热线 · Transferred to Cards phone line``."""
    name = queue_text(queue)
    return bilingual(f"转接至 {name.zh}", f"Transferred to {name.en}")
