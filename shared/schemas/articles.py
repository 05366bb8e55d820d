"""Article models: the partner-facing submission, the stored article, and article events."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.schemas.envelope import Event

MAX_HEADLINE_CHARS = 300
MAX_BODY_BYTES = 1_000_000
MAX_TAGS = 50

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
SourceName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[^:\x00-\x1f]{1,64}$")
]
ArticleId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{8,64}$")]


class ArticleStatus(StrEnum):
    PUBLISHED = "published"
    RETRACTED = "retracted"


class ArticleImage(BaseModel):
    """An image shown with the article; `alt` is required for accessibility."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: AnyHttpUrl
    alt: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    caption: str | None = Field(default=None, max_length=1000)
    width: int | None = Field(default=None, gt=0, le=20000)
    height: int | None = Field(default=None, gt=0, le=20000)


class ArticleContent(BaseModel):
    """The editorial fields shared by a submission and a stored article (NINJS-inspired)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    headline: Annotated[str, StringConstraints(min_length=1, max_length=MAX_HEADLINE_CHARS)]
    subhead: str | None = Field(default=None, max_length=MAX_HEADLINE_CHARS)
    section: Slug = Field(description="section slug, one of the paper's configured sections")
    byline: str | None = Field(default=None, max_length=200, examples=["강동진 기자"])
    body_html: str = Field(
        max_length=MAX_BODY_BYTES,
        description="HTML body; sanitised on ingest to an allow-list of tags and safe URLs",
    )
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    images: list[ArticleImage] = Field(default_factory=list, max_length=50)
    published_at: AwareDatetime | None = Field(
        default=None, description="first publication time; ingest uses its receipt time if absent"
    )
    updated_at: AwareDatetime | None = None


class ArticleSubmission(ArticleContent):
    """What the newsroom and partners send to `articles.submitted` (and POST /api/articles).

    `(source, guid)` identifies a story: an identical resubmission changes nothing, changed
    content makes a new version, and `status: retracted` withdraws the story.
    """

    guid: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="identifier unique within `source`"
    )
    source: SourceName = Field(
        description="'newsroom' or the partner's agreed source name (no ':')", examples=["경북통신"]
    )
    status: ArticleStatus = ArticleStatus.PUBLISHED


class Article(ArticleContent):
    """An article as ingest stores and publishes it: one version of one story."""

    article_id: ArticleId
    guid: str
    source: SourceName
    version: int = Field(ge=1)
    status: ArticleStatus
    published_at: AwareDatetime
    updated_at: AwareDatetime | None = None


class ArticlePublished(Event):
    """A new version of an article; carries the whole article (a fat event)."""

    event_type = "ArticlePublished"
    article: Article


class ArticleRetracted(Event):
    """An article withdrawn from publication; carries the article as it is now."""

    event_type = "ArticleRetracted"
    article: Article
    reason: str | None = Field(default=None, max_length=1000)


class ClientClass(StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"
    BOT = "bot"
    OTHER = "other"


class ArticleViewed(Event):
    """A reader opened an article page (no personal data: a client class, a visitor hash)."""

    event_type = "ArticleViewed"
    article_id: ArticleId
    viewed_at: AwareDatetime
    client_class: ClientClass = ClientClass.OTHER
    section: Slug | None = None
    visitor: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{32}$",
        description="a keyed hash of the reader's browser cookie (not personal data), so a "
        "reader's repeated views of one article within 30 minutes count once",
    )
