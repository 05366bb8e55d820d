"""The seed article's page shows every element of the seed page's article area
(../shared/reference/seed_page.txt), with correct share links, SEO and the sidebar."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import Visit
from tests.e2e.platform import (
    DATA,
    SITE_NAME,
    UPDATED_HEADLINE,
    Platform,
    request,
    wait_until,
)

Visitor = Callable[[str], Visit]
SEED = json.loads((DATA / "seed_article.json").read_text(encoding="utf-8"))
PARAGRAPHS = re.findall(r"<p>(.*?)</p>", SEED["body_html"])
# network label -> (share host, query parameter that must carry the article's URL)
SHARE = {
    "트위터": ({"twitter.com", "x.com"}, "url"),
    "페이스북": ({"www.facebook.com", "facebook.com"}, "u"),
    "밴드": ({"band.us", "www.band.us"}, "body"),
    "카카오스토리": ({"story.kakao.com"}, "url"),
    "네이버블로그": ({"blog.naver.com", "share.naver.com"}, "url"),
}


@pytest.fixture
def seed_page(visit: Visitor, platform: Platform) -> Visit:
    v = visit("desktop")
    response = v.open(f"/news/{platform.seed_id}")
    assert response.status == 200
    return v


def test_seed_article_area(seed_page: Visit, platform: Platform) -> None:
    main = seed_page.page.get_by_role("main")
    crumbs = main.get_by_role("navigation", name="현재 위치")
    expect(crumbs.get_by_role("link")).to_have_text(["뉴스", "포항"])
    expect(crumbs.get_by_role("link", name="포항")).to_have_attribute("href", "/news/pohang")
    expect(main.get_by_role("heading", level=1)).to_have_text(SEED["headline"])
    byline = main.locator(".byline")
    # As on the seed page, and no 최종편집: it was never updated.
    seed_byline = r"^\s*강동진 기자 / 입력 : 2019년 08월 13일\(화\) 21:09\s*$"
    expect(byline).to_have_text(re.compile(seed_byline))
    body = main.locator(".article-body p")
    expect(body).to_have_count(len(PARAGRAPHS))
    for shown, written in zip(body.all_inner_texts(), PARAGRAPHS, strict=True):
        assert shown.strip() == written
    expect(main).to_contain_text(f"- Copyrights ⓒ{SITE_NAME}. 무단 전재 및 재배포 금지 -")
    expect(main.get_by_role("link", name="이전 페이지로")).to_have_count(1)
    seed_page.assert_no_console_errors()


def test_share_links_point_at_the_article(seed_page: Visit, platform: Platform) -> None:
    canonical = seed_page.page.locator("link[rel=canonical]").get_attribute("href")
    assert canonical and canonical.startswith(platform.url(f"/news/{platform.seed_id}")), canonical
    main = seed_page.page.get_by_role("main")
    for label, (hosts, parameter) in SHARE.items():
        link = main.get_by_role("link", name=re.compile(label))
        expect(link).to_have_count(1)
        href = link.get_attribute("href") or ""
        parts = urlsplit(href)
        assert parts.scheme == "https" and parts.hostname in hosts, href
        values = parse_qs(parts.query).get(parameter, [])
        assert any(canonical in value for value in values), (label, href)
        expect(link).to_have_attribute("rel", re.compile("noopener"))
    tweet = main.get_by_role("link", name=re.compile("트위터")).get_attribute("href") or ""
    assert parse_qs(urlsplit(tweet).query).get("text") == [SEED["headline"]]


def test_back_link_returns_to_the_previous_page(visit: Visitor, platform: Platform) -> None:
    v = visit("desktop")
    v.open("/news/pohang")
    v.page.get_by_role("main").get_by_role("link", name=SEED["headline"]).first.click()
    v.page.wait_for_url(re.compile(rf"/news/{platform.seed_id}"))
    v.page.get_by_role("link", name="이전 페이지로").click()
    v.page.wait_for_url(re.compile(r"/news/pohang$"))
    v.assert_no_console_errors()


def test_seo_metadata(seed_page: Visit, platform: Platform) -> None:
    page = seed_page.page

    def meta(attribute: str, name: str) -> list[str]:
        contents: list[str] = page.locator(f"meta[{attribute}='{name}']").evaluate_all(
            "ms => ms.map(m => m.getAttribute('content'))"
        )
        return contents

    assert SEED["headline"] in page.title()
    assert meta("name", "description")[0].startswith("포항시는 4차 산업혁명")
    assert SEED["headline"] in meta("property", "og:title")[0]
    assert meta("property", "og:type") == ["article"]
    assert meta("property", "article:published_time") == ["2019-08-13T21:09:00+09:00"]
    assert meta("property", "article:section") == ["포항"]
    assert sorted(meta("property", "article:tag")) == sorted(SEED["tags"])
    assert meta("name", "twitter:card")
    ld = json.loads(page.locator("script[type='application/ld+json']").first.inner_text())
    assert ld["@type"] == "NewsArticle"
    assert ld["headline"] == SEED["headline"]
    assert ld["datePublished"].startswith("2019-08-13T21:09")


def test_sidebar_latest_and_most_viewed(visit: Visitor, platform: Platform) -> None:
    """최신뉴스 holds 15; 실시간 많이본 뉴스 counts this browser's views of the seed article."""
    v = visit("desktop")
    v.open(f"/news/{platform.seed_id}")
    latest = v.page.get_by_role("region", name="최신뉴스").get_by_role("link")
    expect(latest).to_have_count(15)
    for href in latest.evaluate_all("ls => ls.map(l => l.getAttribute('href'))"):
        assert re.fullmatch(r"/news/\d{16}(/.*)?", href), href

    def seed_is_ranked() -> bool:
        v.page.reload()
        box = v.page.get_by_role("region", name="실시간 많이본 뉴스")
        hrefs = box.get_by_role("link").evaluate_all("ls => ls.map(l => l.getAttribute('href'))")
        assert len(hrefs) <= 10
        return any(h.startswith(f"/news/{platform.seed_id}") for h in hrefs)

    wait_until("the seed article in 실시간 많이본 뉴스", seed_is_ranked, budget_s=60)
    v.shot("article-most-viewed")
    v.assert_no_console_errors()


def test_an_updated_article_shows_when_it_was_last_edited(
    visit: Visitor, platform: Platform
) -> None:
    """A new version with `updated_at`: 입력 stays, 최종편집 appears, both in KST."""
    story = {
        **{k: SEED[k] for k in ("source", "section", "byline", "body_html", "tags")},
        "guid": "e2e-updated",
        "headline": UPDATED_HEADLINE,
        "published_at": "2026-10-05T08:30:00+09:00",  # a 월요일
    }
    status, receipt = request(platform.url("/api/articles"), story, platform.token)
    assert status == 201, receipt
    path = f"/news/{receipt['article_id']}"
    revised = {**story, "body_html": "<p>보수 공사가 끝나 다시 개방한다.</p>",
               "updated_at": "2026-10-06T01:05:00Z"}  # fmt: skip
    status, receipt = request(platform.url("/api/articles"), revised, platform.token)
    assert status == 202, receipt
    v = visit("mobile")

    def revised_shown() -> bool:
        v.open(path)
        return "다시 개방한다" in v.page.locator(".article-body").inner_text()

    wait_until("the second version on the page", revised_shown)
    byline = v.page.get_by_role("main").locator(".byline")
    expect(byline).to_contain_text("입력 : 2026년 10월 05일(월) 08:30")
    expect(byline).to_contain_text("최종편집 : 2026년 10월 06일(화) 10:05")  # 01:05 UTC
    v.assert_no_console_errors()
