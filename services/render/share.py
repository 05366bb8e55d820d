"""Share links of the article page: 트위터(X), 페이스북, 밴드, 카카오스토리, 네이버블로그.

Plain links to each network's public share endpoint (no script or pixel from their sites),
opened in a new window by the reader's click.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class ShareLink:
    network: str  # css class and test handle
    label: str
    url: str


def share_links(url: str, title: str, site_url: str) -> list[ShareLink]:
    """The five networks' share URLs for an article at `url` titled `title`."""
    return [
        ShareLink("x", "트위터(X)", "https://twitter.com/intent/tweet?" + urlencode(
            {"text": title, "url": url})),
        ShareLink("facebook", "페이스북", "https://www.facebook.com/sharer/sharer.php?" + urlencode(
            {"u": url})),
        ShareLink("band", "밴드", "https://band.us/plugin/share?" + urlencode(
            {"body": f"{title}\n{url}", "route": site_url})),
        ShareLink("kakaostory", "카카오스토리", "https://story.kakao.com/share?" + urlencode(
            {"url": url})),
        ShareLink("naverblog", "네이버블로그", "https://blog.naver.com/openapi/share?" + urlencode(
            {"url": url, "title": title})),
    ]  # fmt: skip
