"""`sinmun topics ensure` (the Compose topic job) on the real Kafka: every topic of the
registry with its partitions and configs, and a second run changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.topics import ALL_TOPICS
from tests.conftest import real_server

pytestmark = pytest.mark.integration


@pytest.fixture
async def admin() -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=real_server("SINMUN_KAFKA_BOOTSTRAP_SERVERS"))
    await client.start()
    yield client
    await client.close()


def ensure(namespace: str) -> subprocess.CompletedProcess[str]:
    bootstrap = real_server("SINMUN_KAFKA_BOOTSTRAP_SERVERS")
    env = {
        **os.environ,
        "SINMUN_KAFKA_NAMESPACE": namespace,
        "SINMUN_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
    }
    sinmun = Path(sys.executable).with_name("sinmun")
    return subprocess.run(
        [str(sinmun), "topics", "ensure"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_ensure_creates_the_registry(admin: AIOKafkaAdminClient) -> None:
    namespace = f"it-topics-{uuid.uuid4().hex[:8]}."
    try:
        first = ensure(namespace)
        assert first.returncode == 0, first.stderr
        assert f"{len(ALL_TOPICS)} topics present" in first.stdout
        names = [namespace + t.name for t in ALL_TOPICS]
        described = {d["topic"]: d for d in await admin.describe_topics(names)}
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        (response,) = await admin.describe_configs(resources)
        configs = {
            r["resource_name"]: {e["config_names"]: e["config_value"] for e in r["config_entries"]}
            for r in response.to_object()["resources"]
        }
        for entry in ALL_TOPICS:
            name = namespace + entry.name
            assert len(described[name]["partitions"]) == entry.partitions
            for key, value in entry.kafka_config().items():
                assert configs[name][key] == value, (name, key)
        again = ensure(namespace)
        assert again.returncode == 0, again.stderr
    finally:
        existing = [t for t in await admin.list_topics() if t.startswith(namespace)]
        if existing:
            await admin.delete_topics(existing)
