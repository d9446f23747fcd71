"""Display names of the contact queues, shared by the desk and the backend.

A queue's id (``phone.cards``) is for machines; people read its display
name in their language ("Cards phone line" / "信用卡热线"). The desk shows
them through :func:`csdesk.i18n.queue_label` (its catalogues take their
``queue.<id>`` entries from :data:`QUEUE_NAMES`); the backend uses them in
the transcript lines it writes (``转接至 信用卡热线 · Transferred to Cards
phone line``). A queue without an entry here is shown by its id.

Pure data: no I/O, no pydantic (the desk's start path imports it).
"""

from __future__ import annotations

from typing import Final

#: Queue id → display name per language (``zh-CN``, ``en``).
QUEUE_NAMES: Final[dict[str, dict[str, str]]] = {
    "chat.general": {"zh-CN": "在线综合", "en": "General chat"},
    "phone.general": {"zh-CN": "电话综合", "en": "General phone"},
    "phone.cards": {"zh-CN": "信用卡热线", "en": "Cards phone line"},
}


def queue_name(queue: str, language: str) -> str | None:
    """The display name of ``queue`` in ``language`` (``zh-CN``/``en``; another
    language gets the English one), or None for a queue without one."""
    names = QUEUE_NAMES.get(queue)
    if names is None:
        return None
    return names.get(language) or names.get("en")


def catalogue_entries(language: str) -> dict[str, str]:
    """The ``queue.<id>`` messages of the UI catalogue of ``language``."""
    return {f"queue.{queue}": names.get(language) or names["en"] for queue, names in QUEUE_NAMES.items()}
