"""Sanitising: nothing executable survives; allowed markup and Korean text do."""

from __future__ import annotations

import re
import unicodedata

import pytest

from services.ingest.sanitize import clean_html, clean_text

XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<img src="javascript:alert(1)">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<a href="javascript:alert(1)">클릭</a>',
    '<a href="JaVaScRiPt:alert(1)">클릭</a>',
    '<a href="&#106;avascript:alert(1)">클릭</a>',
    '<a href=" javascript:alert(1)">클릭</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<svg onload=alert(1)><circle r=1></circle></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    '<p style="background:url(javascript:alert(1))">스타일</p>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<form action="https://evil.example"><input name=x><button>보내기</button></form>',
    '<body onload="alert(1)">본문</body>',
    '<div onmouseover="alert(1)">마우스</div>',
    "<p><b onclick=alert(1)>굵게<i>기울임</b></i></p>",  # misnested
    "<p>닫지 않은 태그<img src=x onerror=alert(1)",  # unterminated
    "<!--<script>alert(1)</script>-->주석",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<template><script>alert(1)</script></template>",
    '<table background="javascript:alert(1)"><tr><td onclick="alert(1)">셀</td></tr></table>',
]
EXECUTABLE = re.compile(
    r"<\s*(script|style|svg|math|iframe|object|embed|form|meta|base|link|body|template)\b"
    r"|\son[a-z]+\s*=|javascript:|vbscript:|data:|style\s*=",
    re.IGNORECASE,
)


@pytest.mark.parametrize("attack", XSS_CORPUS)
def test_nothing_executable_survives(attack: str) -> None:
    cleaned = clean_html(attack)
    assert not EXECUTABLE.search(cleaned), cleaned


def test_allowed_markup_survives_and_links_get_rel() -> None:
    html = (
        "<h2>소제목</h2><p>포항시는 <strong>배터리</strong> <em>특구</em>를</p>"
        '<p><a href="https://www.example.go.kr/battery">누리집</a></p>'
        '<figure><img src="https://img.example.kr/a.jpg" alt="영일만" width="640" height="360">'
        "<figcaption>영일만</figcaption></figure>"
        '<table><caption>예산</caption><thead><tr><th scope="col">연도</th></tr></thead>'
        '<tbody><tr><td colspan="2">2026</td></tr></tbody></table>'
        "<ul><li>하나</li></ul><blockquote>인용</blockquote><p>줄<br>바꿈</p>"
    )
    cleaned = clean_html(html)
    for kept in (
        "<h2>",
        "<strong>",
        "<figure>",
        'alt="영일만"',
        'colspan="2"',
        "<blockquote>",
        "<br>",
    ):
        assert kept in cleaned
    assert 'href="https://www.example.go.kr/battery" rel="noopener nofollow"' in cleaned
    assert clean_html('<a href="mailto:desk@example.kr">제보</a>').startswith('<a href="mailto:')


def test_text_is_normalised_to_nfc_without_control_characters() -> None:
    decomposed = unicodedata.normalize("NFD", "포항시")
    assert decomposed != "포항시"
    assert clean_text(decomposed + "\x00\x1b") == "포항시"
    assert clean_text("속\ufffe보\uffff") == "속보"  # XML (feeds, sitemaps) cannot hold them
    assert clean_text("줄\n바꿈\t탭") == "줄\n바꿈\t탭"
    assert clean_html(f"<p>{decomposed}</p>") == "<p>포항시</p>"
