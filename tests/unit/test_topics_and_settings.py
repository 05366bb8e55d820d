"""The topic registry and the settings model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared.schemas import EVENT_TYPES
from shared.settings import Mode, SearchEngine, SinmunSettings
from shared.topics import ALL_TOPICS, ARTICLES_PUBLISHED, TOPICS, dead_letter_topic, topic


def test_every_event_type_travels_on_exactly_one_topic() -> None:
    for model in EVENT_TYPES.values():
        carriers = [t.name for t in TOPICS if model in t.values]
        assert len(carriers) == 1, (model.__name__, carriers)


def test_every_consumed_topic_has_a_dead_letter_topic() -> None:
    names = {t.name for t in ALL_TOPICS}
    for t in TOPICS:
        if t.consumers:
            assert dead_letter_topic(t.name) in names
    assert topic("articles.submitted.dlq").partitions == 1


def test_the_canonical_article_stream_is_kept_forever() -> None:
    assert ARTICLES_PUBLISHED.kafka_config()["retention.ms"] == "-1"
    assert topic("articles.viewed").kafka_config()["retention.ms"] == str(2 * 24 * 3600 * 1000)
    with pytest.raises(KeyError):
        topic("no.such.topic")


def test_defaults_run_embedded_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("SINMUN_")]:
        monkeypatch.delenv(name)
    settings = SinmunSettings()
    assert settings.mode is Mode.EMBEDDED
    assert (settings.host, settings.port, settings.data_dir) == ("127.0.0.1", 8080, Path("data"))
    assert settings.search_engine is SearchEngine.LOCAL


def test_settings_come_from_sinmun_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SINMUN_MODE", "distributed")
    monkeypatch.setenv("SINMUN_PORT", "9000")
    monkeypatch.setenv("SINMUN_KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("SINMUN_SEARCH_ENGINE", "opensearch")
    settings = SinmunSettings()
    assert settings.mode is Mode.DISTRIBUTED
    assert settings.port == 9000
    assert settings.kafka_bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert settings.search_engine is SearchEngine.OPENSEARCH
    monkeypatch.setenv("SINMUN_PORT", "not-a-port")
    with pytest.raises(ValueError, match="port"):
        SinmunSettings()
