"""Board text to HTML: escaped, links made, nothing executable."""

from __future__ import annotations

import re

import pytest

from services.boards.text import to_html


def test_urls_become_links_and_everything_else_is_escaped() -> None:
    html = to_html(
        '주차 정보는 https://example.kr/parking?a=1&b=2 참고하세요.\n<b>감사</b> & "인사"'
    )
    assert (
        '<a href="https://example.kr/parking?a=1&amp;b=2" rel="nofollow ugc noopener">'
        "https://example.kr/parking?a=1&amp;b=2</a>"
    ) in html
    assert "&lt;b&gt;감사&lt;/b&gt; &amp; &quot;인사&quot;" in html
    assert "<br>" in html


def test_trailing_punctuation_stays_outside_the_link() -> None:
    assert to_html("(https://a.example/x).").endswith("https://a.example/x</a>).")


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        'https://a.example/"onmouseover="alert(1)',
        "javascript:alert(1)",
        "https://a.example/<svg/onload=alert(1)>",
        "<a href='javascript:alert(1)'>x</a>",
    ],
)
def test_nothing_a_member_types_becomes_markup(hostile: str) -> None:
    html = to_html(hostile)
    assert "<script" not in html
    # The only markup is ours: links and line breaks; an attribute never escapes its quotes.
    assert all(tag in {"a", "/a", "br"} for tag in _tags(html)), html
    assert all(t.count('"') == 4 for t in re.findall(r"<a [^>]+>", html)), html
    assert 'href="javascript' not in html


def _tags(html: str) -> list[str]:
    return [m.group(1).split()[0] for m in re.finditer(r"<([^>]+)>", html)]
