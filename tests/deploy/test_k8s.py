"""deploy/k8s: every overlay builds, is valid for Kubernetes and the CRDs it uses (kubeconform
-strict, offline schemas), and keeps the promises of the manifests: probes, limits, autoscaling
on the right consumer groups, topics equal to the registry, network reach, the URL space."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from services.ingest.app import CONSUMER_GROUP as INGEST_GROUP
from services.render.projections import ARTICLES_GROUP, BOARDS_GROUP, VIEWS_GROUP
from services.search.app import CONSUMER_GROUP as SEARCH_GROUP
from services.topics_cli import strimzi_manifest
from shared.topics import (
    ALL_TOPICS,
    ARTICLES_PUBLISHED,
    ARTICLES_SUBMITTED,
    ARTICLES_VIEWED,
    BOARDS_EVENTS,
    topic,
)
from tests.deploy.conftest import (
    DEPLOY,
    OVERLAYS,
    ROOT,
    Tools,
    documents,
    kubeconform,
    of_kind,
    run,
)

pytestmark = pytest.mark.timeout(600)

PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\s+[A-Za-z0-9+/=]{16}")

SERVICES = ("ingest", "search", "boards", "render")
# Keys of KEDA's kafka trigger (keda.sh/docs/2.x/scalers/apache-kafka) that these files use.
KAFKA_TRIGGER_KEYS = {
    "bootstrapServers", "consumerGroup", "topic", "lagThreshold", "activationLagThreshold",
    "offsetResetPolicy", "allowIdleConsumers", "limitToPartitionsWithLag", "excludePersistentLag",
}  # fmt: skip
# What each service consumes, by the group names the code joins.
CONSUMERS = {
    "ingest": {(ARTICLES_SUBMITTED.name, INGEST_GROUP)},
    "search": {(ARTICLES_PUBLISHED.name, SEARCH_GROUP)},
    "render": {
        (ARTICLES_PUBLISHED.name, ARTICLES_GROUP),
        (BOARDS_EVENTS.name, BOARDS_GROUP),
        (ARTICLES_VIEWED.name, VIEWS_GROUP),
    },
}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_is_valid_kubernetes_with_strict_schemas(
    tools: Tools, built: dict[str, str], tmp_path: Path, overlay: str
) -> None:
    manifest = tmp_path / f"{overlay}.yaml"
    manifest.write_text(built[overlay])
    result = kubeconform(tools, manifest)
    assert result.returncode == 0, result.stdout + result.stderr
    count = len(documents(built[overlay]))
    assert f"{count} resources found" in result.stdout
    assert f"Valid: {count}, Invalid: 0, Errors: 0, Skipped: 0" in result.stdout


BROKEN = {
    "an unknown field in a container": """
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: x, image: x, readinessprobe: {}}]
""",
    "a KafkaTopic with partitions as text": """
apiVersion: kafka.strimzi.io/v1
kind: KafkaTopic
metadata: {name: t}
spec: {partitions: six, replicas: 1}
""",
    "a ScaledObject with a misspelt field": """
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: s}
spec:
  scaleTargetRef: {name: x}
  maxReplicas: 3
  triggers: [{type: kafka, metadata: {topic: t}}]
""",
    "a kind without a schema": """
apiVersion: example.org/v1
kind: Unknown
metadata: {name: u}
""",
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_kubeconform_refuses_what_is_wrong(tools: Tools, tmp_path: Path, case: str) -> None:
    manifest = tmp_path / "broken.yaml"
    manifest.write_text(BROKEN[case])
    result = kubeconform(tools, manifest)
    assert result.returncode != 0, f"{case} passed: {result.stdout}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_probes_limits_and_runs_unprivileged(
    built: dict[str, str], overlay: str
) -> None:
    deployments = of_kind(built[overlay], "Deployment")
    assert sorted(deployments) == sorted(SERVICES)
    for name, deployment in deployments.items():
        pod: Any = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == ["serve", name]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]) & set(resources["limits"])
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["automountServiceAccountToken"] is False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_a_disruption_budget(built: dict[str, str], overlay: str) -> None:
    budgets = of_kind(built[overlay], "PodDisruptionBudget")
    selected = {b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
                for b in budgets.values()}  # fmt: skip
    assert selected == set(SERVICES)


def _scaled(stream: str) -> dict[str, str]:
    """Deployment -> what scales it (one owner each: two HPAs on one Deployment fight)."""
    owners: dict[str, str] = {}
    for kind, ref in (
        ("HorizontalPodAutoscaler", "scaleTargetRef"),
        ("ScaledObject", "scaleTargetRef"),
    ):
        for name, doc in of_kind(stream, kind).items():
            target = doc["spec"][ref]["name"]
            assert target not in owners, f"{target} is scaled by {owners[target]} and {kind} {name}"
            owners[target] = kind
    return owners


def test_dev_scales_render_and_search_with_hpas(built: dict[str, str]) -> None:
    assert _scaled(built["dev"]) == {
        "render": "HorizontalPodAutoscaler",
        "search": "HorizontalPodAutoscaler",
    }


def test_prod_scales_the_consumers_with_keda_alone(built: dict[str, str]) -> None:
    assert _scaled(built["prod"]) == {
        "ingest": "ScaledObject",
        "search": "ScaledObject",
        "render": "ScaledObject",
    }


def test_keda_watches_the_consumer_groups_the_services_join(built: dict[str, str]) -> None:
    bootstrap = of_kind(built["prod"], "ConfigMap")
    (config,) = bootstrap.values()
    servers = config["data"]["SINMUN_KAFKA_BOOTSTRAP_SERVERS"]
    for name, scaled in of_kind(built["prod"], "ScaledObject").items():
        spec: Any = scaled["spec"]
        kafka = [t["metadata"] for t in spec["triggers"] if t["type"] == "kafka"]
        for metadata in kafka:  # a misspelt key is silently ignored by KEDA
            assert set(metadata) <= KAFKA_TRIGGER_KEYS, set(metadata) - KAFKA_TRIGGER_KEYS
        assert {(t["topic"], t["consumerGroup"]) for t in kafka} == CONSUMERS[name]
        assert {t["bootstrapServers"] for t in kafka} == {servers}
        if len(kafka) == len(spec["triggers"]):  # lag alone: more replicas than partitions idle
            assert spec["maxReplicaCount"] <= max(topic(t["topic"]).partitions for t in kafka)


def test_committed_kafka_topics_are_the_registry() -> None:
    committed = (DEPLOY / "k8s" / "base" / "kafka-topics" / "topics.yaml").read_text()
    assert committed == strimzi_manifest("sinmun", 3), (
        "deploy/k8s/base/kafka-topics/topics.yaml differs from shared/topics.py: regenerate it "
        "(command in deploy/k8s/base/kafka-topics/kustomization.yaml)"
    )


@pytest.mark.parametrize(("overlay", "replicas"), [("dev", 1), ("prod", 3)])
def test_built_kafka_topics_carry_partitions_and_retention(
    built: dict[str, str], overlay: str, replicas: int
) -> None:
    topics = {t["spec"]["topicName"]: t for t in of_kind(built[overlay], "KafkaTopic").values()}
    assert sorted(topics) == sorted(t.name for t in ALL_TOPICS)
    for entry in ALL_TOPICS:
        resource: Any = topics[entry.name]
        assert resource["metadata"]["namespace"] == "kafka"  # where Strimzi's operator looks
        assert resource["spec"]["partitions"] == entry.partitions
        assert resource["spec"]["replicas"] == replicas
        config = {k: str(v) for k, v in resource["spec"]["config"].items()}
        assert config == entry.kafka_config()


# What each service may reach besides DNS: (namespace or "same", port).
REACH = {
    "ingest": {("kafka", 9092), ("mongodb", 27017)},
    "search": {("kafka", 9092), ("elastic", 9200)},
    "boards": {("kafka", 9092), ("mongodb", 27017)},
    "render": {("kafka", 9092), ("mongodb", 27017), ("same:search", 8080)},
}


def _selects(selector: Any, name: str) -> bool:
    if not selector:
        return True
    labels = {"app.kubernetes.io/name": name}
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def _egress(stream: str, name: str) -> set[tuple[str, int]]:
    reach: set[tuple[str, int]] = set()
    for policy in of_kind(stream, "NetworkPolicy").values():
        spec: Any = policy["spec"]
        if "Egress" not in spec["policyTypes"] or not _selects(spec["podSelector"], name):
            continue
        for rule in spec.get("egress", []):
            assert rule.get("to"), f"{policy['metadata']}: egress to anywhere"
            for peer in rule["to"]:
                if "namespaceSelector" in peer:
                    where = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                else:
                    where = "same:" + peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                for port in rule["ports"]:
                    reach.add((where, port["port"]))
    return reach


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_reaches_only_its_own_backends(built: dict[str, str], overlay: str) -> None:
    policies = of_kind(built[overlay], "NetworkPolicy")
    deny: Any = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "egress" not in deny and "ingress" not in deny
    dns = {("kube-system", 53)}
    for name in SERVICES:
        assert _egress(built[overlay], name) == REACH[name] | dns, name


ROUTES = {
    "/api/articles": "ingest",
    "/api/articles/01J0ABC/versions": "ingest",
    "/api/search": "search",
    "/api/search/suggest": "search",
    "/api/members": "boards",
    "/api/sessions/me": "boards",
    "/api/boards/free/posts/1/comments": "boards",
    "/": "render",
    "/news/pohang": "render",
    "/community/free": "render",
    "/rss.xml": "render",
    "/api/articlesX": "render",
}


def _route(paths: list[Any], path: str) -> str:
    """Kubernetes Prefix matching: whole path segments, the longest prefix wins."""
    best, service = -1, ""
    for entry in paths:
        assert entry["pathType"] == "Prefix"
        prefix = entry["path"].rstrip("/")
        if (path == prefix or path.startswith(prefix + "/")) and len(prefix) > best:
            best, service = len(prefix), entry["backend"]["service"]["name"]
    return service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_routes_the_url_space(built: dict[str, str], overlay: str) -> None:
    (ingress,) = of_kind(built[overlay], "Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    services = of_kind(built[overlay], "Service")
    for entry in rule["http"]["paths"]:
        assert entry["backend"]["service"]["name"] in services
    routed = {path: _route(rule["http"]["paths"], path) for path in ROUTES}
    assert routed == ROUTES


def test_secrets_come_from_git_ignored_files_only(built: dict[str, str]) -> None:
    secrets = of_kind(built["dev"], "Secret")
    assert {name.rsplit("-", 1)[0] for name in secrets} == {"sinmun-session", "sinmun-partners"}
    assert of_kind(built["prod"], "Secret") == {}  # made in the cluster, never from the repo
    tracked = run("git", "ls-files", "deploy", cwd=ROOT).stdout.split()
    assert "deploy/k8s/overlays/dev/kustomization.yaml" in tracked
    for name in tracked:
        assert not PEM_KEY.search((ROOT / name).read_text(errors="replace")), name
