"""Lays out JSON schemas for kubeconform, offline, from what the registries ship.

kubeconform normally downloads its schemas; here they come from packages instead:

- `kubernetes` WHEEL VERSION OUT: the Kubernetes schemas of PyPI's `kubernetes-validate` wheel
  point into one shared `_definitions.json` by an absolute path that kubeconform cannot
  follow, so each kind's schema is written standalone (the definitions it reaches copied
  into its own `$defs`), in kubeconform's `<version>-standalone-strict/<kind>-<group>-<v>.json`
  layout.
- `crds` OUT CRD.yaml...: every version of every CustomResourceDefinition becomes
  `<group>/<kind>_<version>.json` (kubeconform's CRD catalogue layout), strict like
  openapi2jsonschema: an object that lists its properties refuses others, unless the CRD lets
  unknown fields through.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml

WHEEL_ROOT = "kubernetes_validate/kubernetes-json-schema"
DEFINITIONS_REF = "/api/_definitions.json#/$defs/"
LOCAL_REF = "#/$defs/"


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            for prefix in (DEFINITIONS_REF, LOCAL_REF):
                if ref.startswith(prefix):
                    found.add(ref.removeprefix(prefix))
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _localise(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _localise(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(DEFINITIONS_REF):
            out["$ref"] = LOCAL_REF + ref.removeprefix(DEFINITIONS_REF)
        return out
    if isinstance(node, list):
        return [_localise(v) for v in node]
    return node


def standalone(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """The schema with every definition it reaches (transitively) inlined under `$defs`."""
    wanted: set[str] = set()
    todo = _refs(schema)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        todo |= _refs(definitions[name]) - wanted
    out = _localise(schema)
    # Its $id would make kubeconform resolve local references against kubernetes.io.
    out.pop("$id", None)
    if wanted:
        out["$defs"] = {name: _localise(definitions[name]) for name in sorted(wanted)}
    return out  # type: ignore[no-any-return]


def kubernetes(wheel: Path, version: str, out: Path) -> int:
    source = f"{WHEEL_ROOT}/v{version}-local-strict/"
    target = out / f"v{version}-standalone-strict"
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        definitions = json.loads(archive.read(source + "_definitions.json"))["$defs"]
        names = [n for n in archive.namelist() if n.startswith(source) and n.endswith(".json")]
        count = 0
        for name in names:
            base = name.removeprefix(source)
            if base.startswith("_") or base == "all.json":
                continue
            schema = json.loads(archive.read(name))
            (target / base).write_text(json.dumps(standalone(schema, definitions)))
            count += 1
    return count


def strict(node: Any) -> Any:
    """openapi2jsonschema's strict mode, and int-or-string spelled as JSON schema."""
    if isinstance(node, list):
        return [strict(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    preserve = out.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


# Every object's root takes these (the API server adds them); fabric8's generator leaves them out.
ROOT_FIELDS = {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"type": "object"},
}
# Strimzi's CRDs are generated from the Java model of `io.strimzi:api` by fabric8's generator
# (Strimzi's own generator is not published), which maps `Map<String, Object>` values to
# objects; Strimzi declares a topic's `config` as free-form (strings and numbers).
FREE_FORM = {("kafka.strimzi.io", "kafkatopic"): [("spec", "config")]}


def _free_form(schema: dict[str, Any], path: tuple[str, ...]) -> None:
    node = schema
    for name in path:
        node = node["properties"][name]
    node.pop("additionalProperties", None)
    node["x-kubernetes-preserve-unknown-fields"] = True


def crds(out: Path, files: list[Path]) -> int:
    count = 0
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            group, kind = spec["group"], spec["names"]["kind"].lower()
            for version in spec["versions"]:
                schema = version["schema"]["openAPIV3Schema"]
                schema.setdefault("properties", {})
                for name, field in ROOT_FIELDS.items():
                    schema["properties"].setdefault(name, field)
                for fields in FREE_FORM.get((group, kind), []):
                    _free_form(schema, fields)
                schema = strict(schema)
                target = out / group / f"{kind}_{version['name']}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(schema, indent=1))
                count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[0] == "kubernetes":
        count = kubernetes(Path(argv[1]), argv[2], Path(argv[3]))
    elif len(argv) >= 3 and argv[0] == "crds":
        count = crds(Path(argv[1]), [Path(p) for p in argv[2:]])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(f"[k8s_schemas] wrote {count} schemas", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
