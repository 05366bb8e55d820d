"""Share links: each network's public share endpoint with the article's address and title."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from services.render.share import share_links

URL = "https://news.example.kr/news/0313648983524554"
TITLE = "포항시, 4차 산업혁명 시대 플랫폼시티 포항 본격 추진 & 더"
SITE = "https://news.example.kr/"


def _links() -> dict[str, tuple[str, str, dict[str, list[str]]]]:
    out = {}
    for link in share_links(URL, TITLE, SITE):
        parts = urlsplit(link.url)
        out[link.network] = (link.label, f"{parts.scheme}://{parts.netloc}{parts.path}",
                             parse_qs(parts.query))  # fmt: skip
    return out


def test_five_networks_in_the_seed_pages_order_and_words() -> None:
    labels = [link.label for link in share_links(URL, TITLE, SITE)]
    assert labels == ["트위터(X)", "페이스북", "밴드", "카카오스토리", "네이버블로그"]


def test_each_share_url_carries_the_article_address_and_title_encoded() -> None:
    links = _links()
    assert links["x"][1] == "https://twitter.com/intent/tweet"
    assert links["x"][2] == {"text": [TITLE], "url": [URL]}
    assert links["facebook"][1] == "https://www.facebook.com/sharer/sharer.php"
    assert links["facebook"][2] == {"u": [URL]}
    assert links["band"][1] == "https://band.us/plugin/share"
    assert links["band"][2] == {"body": [f"{TITLE}\n{URL}"], "route": [SITE]}
    assert links["kakaostory"][1] == "https://story.kakao.com/share"
    assert links["kakaostory"][2] == {"url": [URL]}
    assert links["naverblog"][1] == "https://blog.naver.com/openapi/share"
    assert links["naverblog"][2] == {"url": [URL], "title": [TITLE]}


def test_no_raw_korean_or_ampersand_leaks_into_a_query() -> None:
    for link in share_links(URL, TITLE, SITE):
        query = urlsplit(link.url).query
        assert query.isascii()
        assert " " not in query
