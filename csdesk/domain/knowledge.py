"""Knowledge articles: the sync document, its status and its limits (issue #5).

Operating guide §2.2 ("answer from the knowledge base") and §3.1 ("knowledge
base, FAQ, policies; read updates"). The backend keeps articles in the
``knowledge_articles`` table; published ones travel to every agent's desk
through ``GET /api/v1/sync/knowledge`` as :class:`KnowledgeArticleDoc`
documents and are kept in the local store (collection ``knowledge``) so they
are readable offline. An article that leaves the published state (retired, or
back to draft) is reported in the page's ``deleted`` list and the desk drops
its copy.

Every text field is untrusted for display: the desk renders titles and
summaries as plain text and bodies as Markdown without raw HTML. The backend
stores only text that went through :func:`csdesk.domain.text.clean_text`
(no control characters, no terminal escape sequences).

No I/O and no Textual here: the backend, ``csdesk kb`` and the desk share it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from csdesk.domain.ids import ID_MAX, ID_PATTERN  # article ids (kb.ID_MAX, kb.ID_PATTERN)

#: Name of the sync collection (``GET /api/v1/sync/knowledge``, local ``knowledge.json``).
KNOWLEDGE_COLLECTION: Final = "knowledge"

# -- limits (characters, counted as Python ``len``; checked by the backend on every write)

#: Longest title and English title.
TITLE_MAX: Final = 200
#: Longest Markdown body (a long manual chapter fits; a whole book does not).
BODY_MAX: Final = 200_000
#: Longest summary (what the desk sends into a chat, a few sentences).
SUMMARY_MAX: Final = 1_000
#: Deepest category path, and the longest name of one level.
CATEGORY_DEPTH_MAX: Final = 8
CATEGORY_PART_MAX: Final = 100
#: Most tags, and the longest tag.
TAGS_MAX: Final = 32
TAG_MAX: Final = 64
#: Most sample questions, and the longest one.
QUESTIONS_MAX: Final = 50
QUESTION_MAX: Final = 300
#: Most intents, and the longest intent name (free strings such as Banking77's ``card_arrival``).
INTENTS_MAX: Final = 32
INTENT_MAX: Final = 64



class KnowledgeStatus(StrEnum):
    """Where an article is in its life (issue #5).

    ``draft``: being written or imported, not shown to agents;
    ``published``: synced to every desk; ``retired``: withdrawn, kept for the
    record, removed from the desks.
    """

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


#: The status as it appears on the wire.
KnowledgeStatusName = Literal["draft", "published", "retired"]


def _check_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(
            f"article id {value!r} must be 1-{ID_MAX} letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("updated_at must carry a time zone (UTC)")
    return value.astimezone(UTC)


ArticleId = Annotated[str, AfterValidator(_check_id)]


class KnowledgeArticleDoc(BaseModel):
    """One knowledge article as synced (collection ``knowledge``) and stored on the desk.

    Fields (JSON names):

    - ``id``: stable id, e.g. ``KB-CARD-001`` (see :data:`ID_PATTERN`);
    - ``title``: Chinese title, one line (≤ :data:`TITLE_MAX`); imported
      sections keep their heading, e.g. ``2.1 客户接入与身份核实``;
    - ``title_en``: English title (``""`` when there is none);
    - ``body``: Markdown (≤ :data:`BODY_MAX`); no raw HTML is meant to be rendered;
    - ``category``: category path from the root, e.g. ``["银行卡", "申领与寄送"]``;
      imported sections carry their heading path;
    - ``tags``: free keywords (Chinese or English);
    - ``questions``: sample questions customers ask that this article answers;
    - ``intents``: intent names it answers (free strings, e.g. ``card_arrival``);
    - ``summary``: a few plain sentences (may be ``""``);
    - ``version``: 1 for a new article, +1 with every change;
    - ``updated_at``: last change, aware UTC (ISO 8601 on the wire);
    - ``status``: ``draft`` / ``published`` / ``retired`` (only ``published``
      documents are synced).

    Unknown fields from a newer backend are ignored. Raises
    ``pydantic.ValidationError`` (a ``ValueError``) when a field breaks a limit.
    """

    model_config = ConfigDict(extra="ignore")

    id: ArticleId
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    title_en: str = Field(default="", max_length=TITLE_MAX)
    body: str = Field(max_length=BODY_MAX)
    category: list[Annotated[str, Field(min_length=1, max_length=CATEGORY_PART_MAX)]] = Field(
        default_factory=list, max_length=CATEGORY_DEPTH_MAX
    )
    tags: list[Annotated[str, Field(min_length=1, max_length=TAG_MAX)]] = Field(
        default_factory=list, max_length=TAGS_MAX
    )
    questions: list[Annotated[str, Field(min_length=1, max_length=QUESTION_MAX)]] = Field(
        default_factory=list, max_length=QUESTIONS_MAX
    )
    intents: list[Annotated[str, Field(min_length=1, max_length=INTENT_MAX)]] = Field(
        default_factory=list, max_length=INTENTS_MAX
    )
    summary: str = Field(default="", max_length=SUMMARY_MAX)
    version: int = Field(ge=1)
    updated_at: datetime
    status: KnowledgeStatusName

    @field_validator("updated_at")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        return _utc(value)


def category_label(path: list[str]) -> str:
    """A category path as one line, levels joined by `` / `` (``[]`` gives ``""``)."""
    return " / ".join(path)
