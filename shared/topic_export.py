"""The topic registry written out for operators' tools: kafka-topics.sh commands and Strimzi
KafkaTopic resources, so no deployment copies partitions or retention by hand."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from shared.topics import Topic

STRIMZI_API_VERSION = "kafka.strimzi.io/v1"
NOT_IN_NAME = re.compile(r"[^a-z0-9.-]+")


def _config_value(value: str) -> int | str:
    """Numbers as numbers (`retention.ms: -1`), the rest as given."""
    return int(value) if re.fullmatch(r"-?\d+", value) else value


def kafka_topics_commands(
    topics: Iterable[Topic], *, bootstrap: str, namespace: str = "", replication_factor: int = 1
) -> list[str]:
    """One idempotent `kafka-topics.sh --create` command per topic."""
    commands = []
    for t in topics:
        words = [
            "kafka-topics.sh", "--bootstrap-server", bootstrap, "--create", "--if-not-exists",
            "--topic", namespace + t.name, "--partitions", str(t.partitions),
            "--replication-factor", str(replication_factor),
        ]  # fmt: skip
        for key, value in t.kafka_config().items():
            words += ["--config", f"{key}={value}"]
        commands.append(shlex.join(words))
    return commands


def strimzi_resource_name(topic_name: str) -> str:
    """A Kubernetes object name (lower-case letters, digits, '-' and '.') for a topic."""
    return NOT_IN_NAME.sub("-", topic_name.lower()).strip("-.")


def strimzi_topics(
    topics: Iterable[Topic], *, cluster: str, namespace: str = "", replication_factor: int = 1
) -> list[dict[str, object]]:
    """A Strimzi KafkaTopic resource per topic; `spec.topicName` keeps the exact name."""
    resources: list[dict[str, object]] = []
    for t in topics:
        name = namespace + t.name
        config = {key: _config_value(value) for key, value in t.kafka_config().items()}
        resources.append(
            {
                "apiVersion": STRIMZI_API_VERSION,
                "kind": "KafkaTopic",
                "metadata": {
                    "name": strimzi_resource_name(name),
                    "labels": {"strimzi.io/cluster": cluster},
                },
                "spec": {
                    "topicName": name,
                    "partitions": t.partitions,
                    "replicas": replication_factor,
                    "config": config,
                },
            }
        )
    return resources
