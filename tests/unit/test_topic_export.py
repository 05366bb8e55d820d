"""The topic registry written for operators: kafka-topics.sh commands, Strimzi KafkaTopics."""

from __future__ import annotations

import shlex

import pytest
import yaml

from services.cli import main
from services.topics_cli import strimzi_manifest
from shared.topic_export import kafka_topics_commands, strimzi_resource_name, strimzi_topics
from shared.topics import ALL_TOPICS, ARTICLES_SUBMITTED, BOARDS_EVENTS


def test_kafka_topics_commands_carry_partitions_retention_and_size() -> None:
    (command,) = kafka_topics_commands(
        [ARTICLES_SUBMITTED], bootstrap="kafka:9092", namespace="daegu.", replication_factor=3
    )
    words = shlex.split(command)
    assert words[0] == "kafka-topics.sh"
    assert "--if-not-exists" in words and "--create" in words
    option = {words[i]: words[i + 1] for i in range(1, len(words) - 1) if words[i] != "--config"}
    assert option["--bootstrap-server"] == "kafka:9092"
    assert option["--topic"] == "daegu.articles.submitted"
    assert option["--partitions"] == "6"
    assert option["--replication-factor"] == "3"
    configs = [words[i + 1] for i, w in enumerate(words) if w == "--config"]
    assert configs == [f"{k}={v}" for k, v in ARTICLES_SUBMITTED.kafka_config().items()]
    assert "max.message.bytes=4194304" in configs


def test_one_command_per_registry_topic() -> None:
    commands = kafka_topics_commands(ALL_TOPICS, bootstrap="b:9092")
    topics = [shlex.split(c)[shlex.split(c).index("--topic") + 1] for c in commands]
    assert topics == [t.name for t in ALL_TOPICS]


@pytest.mark.parametrize(
    ("topic", "name"),
    [
        ("articles.submitted.dlq", "articles.submitted.dlq"),
        ("Paper_A.boards.events", "paper-a.boards.events"),
    ],
)
def test_strimzi_names_are_kubernetes_names(topic: str, name: str) -> None:
    assert strimzi_resource_name(topic) == name


def test_strimzi_topics_keep_the_exact_topic_name_and_numbers() -> None:
    (resource,) = strimzi_topics(
        [BOARDS_EVENTS], cluster="c1", namespace="Paper_A.", replication_factor=2
    )
    assert resource["metadata"] == {
        "name": "paper-a.boards.events",
        "labels": {"strimzi.io/cluster": "c1"},
    }
    spec = resource["spec"]
    assert spec == {
        "topicName": "Paper_A.boards.events",
        "partitions": 3,
        "replicas": 2,
        "config": {"retention.ms": -1, "cleanup.policy": "delete", "max.message.bytes": 1048588},
    }


def test_the_cli_prints_the_manifest_tests_compare(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_code:
        main(["topics", "strimzi", "--cluster", "sinmun", "--replication-factor", "3"])
    assert exit_code.value.code == 0
    out = capsys.readouterr().out
    assert out == strimzi_manifest("sinmun", 3)
    documents = [d for d in yaml.safe_load_all(out) if d]
    assert [d["spec"]["topicName"] for d in documents] == [t.name for t in ALL_TOPICS]
