"""Settings from `SINMUN_…` environment variables; defaults run embedded on one box."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, IPvAnyNetwork
from pydantic_settings import BaseSettings, SettingsConfigDict


class Mode(StrEnum):
    EMBEDDED = "embedded"
    DISTRIBUTED = "distributed"


class SearchEngine(StrEnum):
    LOCAL = "local"
    ELASTICSEARCH = "elasticsearch"
    OPENSEARCH = "opensearch"


DEFAULT_SECTIONS = {
    "pohang": "포항",
    "gyeongju": "경주",
    "daegu": "대구",
    "gumi": "구미",
    "andong": "안동",
    "politics": "정치",
    "economy": "경제",
    "society": "사회",
    "culture": "문화",
    "sports": "스포츠",
    "education": "교육",
}


class SinmunSettings(BaseSettings):
    """Settings every process reads; each service extends it with its own."""

    model_config = SettingsConfigDict(env_prefix="SINMUN_", extra="ignore")

    mode: Mode = Field(
        default=Mode.EMBEDDED,
        description="embedded: in-process bus + SQLite; distributed: Kafka + MongoDB",
    )
    host: str = Field(default="127.0.0.1", description="address the HTTP server binds")
    port: int = Field(default=8080, ge=0, le=65535, description="HTTP port")
    data_dir: Path = Field(default=Path("data"), description="embedded mode's data files")
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092", description="Kafka brokers (distributed mode)"
    )
    kafka_client_id: str = Field(default="sinmun", description="Kafka client id prefix")
    kafka_namespace: str = Field(
        default="", description="prefix of every topic and group name (papers sharing a cluster)"
    )
    kafka_replication_factor: int = Field(
        default=1, ge=1, description="replication factor of topics the platform creates"
    )
    mongo_url: str = Field(
        default="mongodb://127.0.0.1:37017/?directConnection=true",
        description="MongoDB (or FerretDB) URL (distributed mode)",
    )
    mongo_db_prefix: str = Field(default="sinmun_", description="each service's database prefix")
    search_engine: SearchEngine = Field(
        default=SearchEngine.LOCAL, description="local | opensearch | elasticsearch"
    )
    search_url: str = Field(default="http://127.0.0.1:9200", description="search engine URL")
    search_index_prefix: str = Field(
        default="", description="prefix of the engine's index and alias names (papers sharing one)"
    )
    session_public_key: str = Field(
        default="",
        description="boards' Ed25519 public key (PEM) that verifies member sessions "
        "(embedded: from the data folder when empty)",
    )
    sections: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_SECTIONS),
        description="the paper's sections as JSON {slug: name}, in menu order",
    )
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="JSON list of networks of the reverse proxies whose X-Forwarded-For names "
        "the client (login throttling, view counts); empty: the peer's address",
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR")
    log_format: str = Field(default="console", description="console or json")
    trace_exporter: str = Field(
        default="none",
        pattern="^(none|console|otlp)$",
        description="OpenTelemetry spans: none (only pass trace context along), console "
        "(stderr) or otlp (OTLP over HTTP)",
    )
    trace_otlp_endpoint: str = Field(
        default="",
        description="OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces "
        "(empty: the exporter's OTEL_EXPORTER_OTLP_* defaults)",
    )
    metrics_lag_interval_s: float = Field(
        default=5.0, gt=0, description="how often consumer lag is measured for /metrics"
    )
    consumer_max_attempts: int = Field(
        default=5,
        ge=1,
        description="tries of a failing event handler before the record is dead-lettered",
    )
    consumer_retry_backoff_s: float = Field(
        default=0.2, ge=0, description="first back-off between handler tries (doubles each try)"
    )
