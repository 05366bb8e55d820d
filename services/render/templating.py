"""The Jinja2 environment: autoescaped templates with the site's formatting filters."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from services.render import formatting

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def asset_version() -> str:
    """A hash of the site's CSS and script: their URLs change when they do, so browsers may
    keep them for a year."""
    digest = hashlib.blake2b(digest_size=6)
    for name in ("site.css", "site.js"):
        digest.update((STATIC / name).read_bytes())
    return digest.hexdigest()


def json_ld(value: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> block; `<` escaped so no text ends it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        enable_async=False,
    )
    env.filters.update(
        byline_time=formatting.byline_time,
        edited_stamp=formatting.edited_stamp,
        short_date=formatting.short_date,
        list_time=formatting.list_time,
        iso=formatting.iso,
        cut=formatting.cut,
        number=formatting.number,
        json_ld=json_ld,
        paragraphs=formatting.paragraphs,
    )
    env.globals.update(article_path=formatting.article_path)
    return env
