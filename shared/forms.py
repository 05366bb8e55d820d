"""HTML form bodies read safely: a malformed one is the client's error, not the server's."""

from __future__ import annotations

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

from shared.errors import ServiceError

FormValue = str | bytes | bytearray | web.FileField


async def read_form(request: web.Request) -> MultiDictProxy[FormValue]:
    """The fields of a urlencoded or multipart body. aiohttp raises its parser's errors
    (InvalidHeader for a broken part, ValueError for a missing boundary or undecodable text)
    out of `request.post()`; they are answered 400, not 500."""
    try:
        return await request.post()
    except (HttpProcessingError, ValueError) as exc:
        raise ServiceError(400, "malformed_form", f"the form body cannot be read: {exc}") from exc
