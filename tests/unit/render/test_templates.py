"""The template environment itself: autoescaping, the JSON-LD filter, the pager macro."""

from __future__ import annotations

import json

from services.render.pagination import Pagination
from services.render.templating import asset_version, json_ld, make_environment


def test_templates_escape_by_default_and_safe_is_explicit() -> None:
    env = make_environment()
    template = env.from_string("{{ text }}|{{ html|safe }}")
    assert template.render(text="<b>&", html="<p>ok</p>") == "&lt;b&gt;&amp;|<p>ok</p>"


def test_json_ld_cannot_close_its_script_and_round_trips() -> None:
    value = {"headline": "</script><script>alert(1)</script> & 포항"}
    text = str(json_ld(value))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value
    assert "포항" in text  # Korean stays readable, not \\u escapes


def test_pager_shows_ten_numbers_a_block_and_keeps_the_query() -> None:
    env = make_environment()
    macro = env.get_template("_macros.html").module.pager  # type: ignore[attr-defined]
    html = str(macro(Pagination.of(12, 10, 400, "/search", {"q": "포항", "page": "12"})))
    assert 'href="/search?q=%ED%8F%AC%ED%95%AD&amp;page=11" rel="prev"' in html
    assert 'aria-current="page">12<' in html
    numbers = [n for n in range(1, 41) if f">{n}</a>" in html]
    assert numbers == list(range(11, 21))
    assert str(macro(Pagination.of(1, 10, 5, "/news"))).strip() == ""


def test_asset_version_is_a_short_stable_hash() -> None:
    assert asset_version() == asset_version()
    assert len(asset_version()) == 12
