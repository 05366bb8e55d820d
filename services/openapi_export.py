"""Every service's OpenAPI document, as its own process (`sinmun serve NAME`) serves it at
`/api/<name>/openapi.json`; `sinmun schemas export` writes them to docs/openapi/."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from services.boards import openapi as boards
from services.bootstrap import create_app
from services.ingest import openapi as ingest
from services.render import openapi as render
from services.search import openapi as search
from shared.openapi import route_patterns
from shared.settings import SinmunSettings

Routes = Mapping[tuple[str, str], Mapping[str, str]]
DOCUMENTS: dict[str, Callable[[Routes], dict[str, Any]]] = {
    ingest.SERVICE: ingest.document,
    search.SERVICE: search.document,
    boards.SERVICE: boards.document,
    render.SERVICE: render.document,
}


def openapi_documents() -> dict[str, dict[str, Any]]:
    """Service name -> its document, built from the routes of an app that is never started."""
    documents = {}
    for name, document in DOCUMENTS.items():
        app = create_app(SinmunSettings(), [name])
        documents[name] = document(route_patterns(app))
    return documents
