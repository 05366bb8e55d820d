"""`sinmun topics`: the topic registry for operators (list, kafka-topics.sh, Strimzi, ensure)."""

from __future__ import annotations

import argparse

import yaml

from shared.settings import Mode, SinmunSettings
from shared.topic_export import kafka_topics_commands, strimzi_topics
from shared.topics import ALL_TOPICS

GENERATED_NOTE = (
    "# Generated from the topic registry (shared/topics.py) by\n"
    "#   sinmun topics strimzi {args}\n"
    "# Do not edit by hand: tests/deploy fails when this file and the registry differ.\n"
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    topics = commands.add_parser("topics", help="the Kafka topics of the topic registry")
    sub = topics.add_subparsers(dest="topics_command", required=True)
    sub.add_parser("list", help="name, partitions, retention and consumers of every topic")
    script = sub.add_parser("kafka-topics", help="print idempotent kafka-topics.sh commands")
    script.add_argument("--bootstrap-server", help="default SINMUN_KAFKA_BOOTSTRAP_SERVERS")
    _add_replication(script)
    strimzi = sub.add_parser("strimzi", help="print Strimzi KafkaTopic resources (YAML)")
    strimzi.add_argument("--cluster", required=True, help="the Strimzi Kafka cluster's name")
    _add_replication(strimzi)
    sub.add_parser(
        "ensure", help="create the missing topics on SINMUN_KAFKA_BOOTSTRAP_SERVERS (a deploy job)"
    )


def _add_replication(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--replication-factor", type=int, help="default SINMUN_KAFKA_REPLICATION_FACTOR"
    )


def run(args: argparse.Namespace) -> int:
    settings = SinmunSettings(mode=Mode.DISTRIBUTED)
    replication = getattr(args, "replication_factor", None) or settings.kafka_replication_factor
    namespace = settings.kafka_namespace
    if args.topics_command == "list":
        for t in ALL_TOPICS:
            retention = "forever" if t.retention_ms is None else f"{t.retention_ms / 86_400_000:g}d"
            consumers = ",".join(t.consumers) or "-"
            print(f"{namespace + t.name:32} {t.partitions:>3} {retention:>8}  {consumers}")
    elif args.topics_command == "kafka-topics":
        bootstrap = args.bootstrap_server or settings.kafka_bootstrap_servers
        for command in kafka_topics_commands(
            ALL_TOPICS, bootstrap=bootstrap, namespace=namespace, replication_factor=replication
        ):
            print(command)
    elif args.topics_command == "strimzi":
        print(strimzi_manifest(args.cluster, replication, namespace), end="")
    else:
        import asyncio

        return asyncio.run(_ensure(settings))
    return 0


def strimzi_manifest(cluster: str, replication_factor: int, namespace: str = "") -> str:
    """The KafkaTopic resources as one YAML stream, headed by how it was generated."""
    resources = strimzi_topics(
        ALL_TOPICS, cluster=cluster, namespace=namespace, replication_factor=replication_factor
    )
    args = f"--cluster {cluster} --replication-factor {replication_factor}"
    body = yaml.safe_dump_all(resources, sort_keys=False, allow_unicode=True)
    return GENERATED_NOTE.format(args=args) + "---\n" + body


async def _ensure(settings: SinmunSettings) -> int:
    from services.bootstrap import make_bus

    bus = make_bus(settings)
    await bus.start()
    try:
        await bus.ensure_topics(list(ALL_TOPICS))
    finally:
        await bus.stop()
    print(f"{len(ALL_TOPICS)} topics present on {settings.kafka_bootstrap_servers}")
    return 0
