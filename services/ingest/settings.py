"""Ingest's own settings (`SINMUN_INGEST_…`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import SinmunSettings


class IngestSettings(SinmunSettings):
    model_config = SettingsConfigDict(env_prefix="SINMUN_", extra="ignore")

    ingest_partner_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="JSON {source: secret} of partners allowed on articles.submitted (secret!)",
    )
    ingest_newsroom_source: str = Field(
        default="newsroom", description="the `source` of the paper's own submissions"
    )
    ingest_outbox_sweep_s: float = Field(
        default=30.0,
        gt=0,
        description="how often unpublished events are looked for (also at once after a failed "
        "publish, and at start)",
    )
