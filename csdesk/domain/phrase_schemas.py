"""Wire schemas of quick phrases (issue #5, operating guide §1.3, §3.4).

Shared by the desk and the backend. The rules (codes, limits, placeholders)
are in :mod:`csdesk.domain.phrases`; these models only bound the sizes the
backend accepts before it cleans and checks the text (see ``docs/protocol.md``,
"Quick phrases").
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from csdesk.domain import phrases as ph
from csdesk.domain.schemas import WireModel


class PhraseDoc(WireModel):
    """A phrase as ``/sync/team_phrases`` and ``/sync/my_phrases`` send it.

    ``scope`` ``team`` (every agent) or ``personal`` (the agent's own);
    ``version`` starts at 1 and goes up by one per change; ``updated_at``
    ISO 8601 UTC. Text is cleaned and within the limits of
    :mod:`csdesk.domain.phrases`; render it as plain text.
    """

    id: str
    code: str
    title: str
    body: str
    category: str = ""
    scope: Literal["team", "personal"]
    version: int = Field(ge=1)
    updated_at: datetime


class PhraseWrite(WireModel):
    """``PUT /me/phrases/{id}``: create (``base_version`` 0) or replace a personal phrase.

    ``base_version`` is the version the edit was made on (0: a new phrase,
    or one deleted meanwhile); any other stored version is a 409
    ``version-conflict`` whose problem carries ``current_version``. Sizes
    here are generous bounds; the backend cleans the text, then applies
    :func:`csdesk.domain.phrases.check_phrase` (422 with field errors).
    """

    code: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=ph.TITLE_MAX * 4)
    body: str = Field(min_length=1, max_length=ph.BODY_MAX * 2)
    category: str = Field(default="", max_length=ph.CATEGORY_MAX * 4)
    base_version: int = Field(ge=0)


class PhraseDelete(WireModel):
    """``DELETE /me/phrases/{id}`` body: the version the deletion was decided on."""

    base_version: int = Field(ge=0)


class PhraseDeleted(WireModel):
    """Answer to ``DELETE /me/phrases/{id}``: the phrase is gone at ``version``."""

    id: str
    version: int
    deleted: Literal[True] = True
