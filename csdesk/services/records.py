"""The agent's session records from the local store (F8, guide §3.3, issue #4).

The backend writes a record at each wrap-up; sync pulls the agent's own into
the local ``session_records`` collection (with the transcript), so they can
be read and replayed offline. Store reads are blocking file I/O: they run
through ``SyncService.io`` (a thread).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from csdesk.domain.contact_schemas import SessionRecordDoc
from csdesk.services.sync import RECORDS_COLLECTION as RECORDS

if TYPE_CHECKING:
    from csdesk.services.session import DeskSession



def parse_records(docs: list[dict[str, Any]]) -> list[SessionRecordDoc]:
    """Records from raw local documents, newest wrap-up first; unreadable
    documents (a newer or broken backend) are skipped."""
    records: list[SessionRecordDoc] = []
    for doc in docs:
        try:
            records.append(SessionRecordDoc.model_validate(doc))
        except ValidationError:
            continue
    records.sort(key=lambda record: record.wrapped_up_at, reverse=True)
    return records


async def load_records(session: DeskSession) -> list[SessionRecordDoc]:
    """The signed-in agent's session records from the local copy, newest first.

    Needs an open store (``AssertionError`` otherwise); store errors propagate.
    """
    assert session.sync is not None and session.store is not None
    store = session.store
    docs = await session.sync.io(lambda: list(store.all(RECORDS).values()))
    return parse_records(docs)
