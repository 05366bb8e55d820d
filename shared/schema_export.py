"""Partner documentation generated from the models: JSON Schemas, an AsyncAPI 3.0 document
and the services' OpenAPI 3.1 documents (built by shared.openapi, given by the caller: shared
imports no service).

`sinmun schemas export` writes them; a unit test fails when the committed files differ.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.schemas import Article, ArticleSubmission, Envelope
from shared.schemas.envelope import Event
from shared.signatures import SIGNATURE_HEADER
from shared.topics import ALL_TOPICS, Topic

COMPONENT_REF = "#/components/schemas/{model}"


def message_model(value: type[BaseModel]) -> type[BaseModel]:
    """What travels on the wire for a value type: events in their envelope, others bare."""
    if issubclass(value, Event):
        return Envelope[value]  # type: ignore[valid-type]
    return value


def schema_name(model: type[BaseModel]) -> str:
    if issubclass(model, Event):
        return f"{model.event_type}.v{model.schema_version}"
    return f"{model.__name__}.v1"


def partner_models() -> list[type[BaseModel]]:
    """Every model partners produce or may read, each once, in a stable order."""
    seen: dict[str, type[BaseModel]] = {
        schema_name(ArticleSubmission): ArticleSubmission,
        schema_name(Article): Article,
    }
    for topic in ALL_TOPICS:
        for value in topic.values:
            seen.setdefault(schema_name(value), value)
    return list(seen.values())


def json_schemas() -> dict[str, dict[str, Any]]:
    """One standalone JSON Schema (2020-12) per partner-facing model, by file name."""
    out: dict[str, dict[str, Any]] = {}
    for model in partner_models():
        schema = message_model(model).model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://sinmun.example/schemas/{schema_name(model)}.json"
        out[f"{schema_name(model)}.json"] = schema
    return out


def _message(topic: Topic, value: type[BaseModel], ref: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": schema_name(value),
        "contentType": "application/json",
        "payload": ref,
    }
    if topic.enveloped:
        message["headers"] = {
            "type": "object",
            "properties": {
                "sinmun-event-type": {"type": "string"},
                "sinmun-schema-version": {"type": "string"},
                "sinmun-event-id": {"type": "string", "format": "uuid"},
                "traceparent": {"type": "string"},
            },
        }
    else:
        message["headers"] = {
            "type": "object",
            "required": [SIGNATURE_HEADER],
            "properties": {
                SIGNATURE_HEADER: {
                    "type": "string",
                    "description": "sha256=<hex HMAC-SHA256 of the value, partner's secret>",
                }
            },
        }
    return message


def asyncapi() -> dict[str, Any]:
    """An AsyncAPI 3.0 document of every topic, its key, messages and who produces it."""
    models = [message_model(m) for m in partner_models()]
    refs, defs = models_json_schema([(m, "validation") for m in models], ref_template=COMPONENT_REF)
    by_value = {m: refs[(message_model(m), "validation")] for m in partner_models()}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in ALL_TOPICS:
        channel_id = topic.name.replace(".", "_")
        channel_messages = {}
        for value in topic.values:
            message_id = schema_name(value).replace(".", "_")
            messages[message_id] = _message(topic, value, by_value[value])
            channel_messages[message_id] = {"$ref": f"#/components/messages/{message_id}"}
        channels[channel_id] = {
            "address": topic.name,
            "description": topic.description,
            "messages": channel_messages,
            "bindings": {
                "kafka": {
                    "partitions": topic.partitions,
                    "topicConfiguration": {
                        "retention.ms": -1 if topic.retention_ms is None else topic.retention_ms
                    },
                }
            },
            "x-key": topic.key,
        }
        action = "receive" if topic.consumers else "send"
        operations[f"{action}_{channel_id}"] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"produced by {', '.join(topic.producers) or 'consumers (dead letters)'}; "
            f"consumed by {', '.join(topic.consumers) or 'operators'}",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Sinmun events",
            "version": "1.0.0",
            "description": "Topics of the Sinmun news platform (docs/partners.md: producing).",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": defs.get("$defs", {}), "messages": messages},
    }


def _json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render_all(openapi: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, str]:
    """Relative path -> file text, for every generated documentation file (`openapi`:
    service name -> its OpenAPI document, written as openapi/<service>.json)."""
    files = {f"schemas/{name}": _json(schema) for name, schema in json_schemas().items()}
    files["asyncapi.yaml"] = yaml.safe_dump(asyncapi(), allow_unicode=True, sort_keys=False)
    for service, document in (openapi or {}).items():
        files[f"openapi/{service}.json"] = _json(document)
    return files


def export_all(
    docs_dir: Path, openapi: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Path]:
    written = []
    for relative, text in render_all(openapi).items():
        path = docs_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
