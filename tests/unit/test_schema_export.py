"""The committed partner docs and OpenAPI documents are exactly what the code generates."""

from __future__ import annotations

from pathlib import Path

from services.openapi_export import openapi_documents
from shared.schema_export import asyncapi, export_all, json_schemas, render_all

DOCS = Path(__file__).parent.parent.parent / "docs"


def test_committed_schemas_and_asyncapi_match_the_models() -> None:
    stale = [
        relative
        for relative, text in render_all().items()
        if not (DOCS / relative).exists() or (DOCS / relative).read_text("utf-8") != text
    ]
    assert not stale, f"run `sinmun schemas export`; out of date: {stale}"
    committed = {p.name for p in (DOCS / "schemas").glob("*.json")}
    assert committed == set(json_schemas()), "remove schemas no model generates"


def test_the_submission_schema_carries_the_limits_partners_must_respect() -> None:
    schema = json_schemas()["ArticleSubmission.v1.json"]
    assert set(schema["required"]) >= {"guid", "source", "headline", "section", "body_html"}
    assert schema["properties"]["headline"]["maxLength"] == 300
    assert schema["properties"]["tags"]["maxItems"] == 50
    assert schema["additionalProperties"] is False


def test_asyncapi_describes_every_topic_with_resolvable_references() -> None:
    doc = asyncapi()
    assert doc["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in doc["channels"].values()}
    assert {"articles.submitted", "articles.published", "articles.submitted.dlq"} <= addresses
    text = str(doc)
    for name in doc["components"]["schemas"]:
        assert f"#/components/schemas/{name}" in text or name == "Article"
    for channel in doc["channels"].values():
        for ref in channel["messages"].values():
            assert (
                ref["$ref"].removeprefix("#/components/messages/") in doc["components"]["messages"]
            )


def test_export_writes_every_file(tmp_path: Path) -> None:
    written = export_all(tmp_path)
    assert tmp_path / "asyncapi.yaml" in written
    assert len(written) == len(render_all())


def test_committed_openapi_documents_match_the_code() -> None:
    documents = openapi_documents()
    files = {k: v for k, v in render_all(documents).items() if k.startswith("openapi/")}
    stale = [
        relative
        for relative, text in files.items()
        if not (DOCS / relative).exists() or (DOCS / relative).read_text("utf-8") != text
    ]
    assert not stale, f"run `sinmun schemas export`; out of date: {stale}"
    committed = {f"openapi/{p.name}" for p in (DOCS / "openapi").glob("*.json")}
    assert committed == set(files), "remove OpenAPI documents no service generates"
