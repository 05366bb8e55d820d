"""The XSS corpus (`xss_corpus.py`) through ingest and boards, every page that shows it loaded
in headless Chromium: no vector runs (its `__xss` sentinel is never called, no dialog opens,
no Content-Security-Policy violation), every page sends a strict policy and keeps a DOM that
could run nothing, and the reader sees each payload as the text it was, not dropped."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.browser import Visit, log_in
from tests.e2e.platform import REPORTER_EMAIL, REPORTER_NICK, REPORTER_PASSWORD, Platform, request
from tests.e2e.xss_corpus import VECTORS, Vector, squeezed, stored_text, xml_text
from tests.e2e.xss_probe import Probe, assert_clean, assert_safe, csp_problems, watch
from tests.e2e.xss_seed import (
    ALT,
    BOARD,
    BYLINE,
    CAPTION,
    COMMENT,
    HEADLINE,
    MARKER,
    POST_BODY,
    SECTIONS,
    TAG,
    TITLE,
    Corpus,
    call,
    remove_corpus,
    section_of,
    seed_corpus,
)

Visitor = Callable[[str], Visit]
CHUNK = 30
CHUNKS = [VECTORS[i : i + CHUNK] for i in range(0, len(VECTORS), CHUNK)]
CHUNK_IDS = [f"vectors-{c[0].id}-{c[-1].id}" for c in CHUNKS]
MAX_QUERY = 500  # a longer address is refused before any page (aiohttp's line limit)


@pytest.fixture(scope="module")
def corpus(platform: Platform) -> Iterator[Corpus]:
    seeded = seed_corpus(platform)
    yield seeded
    remove_corpus(platform, seeded)


def comparable(text: str | None) -> str:
    """Text as compared with what a page shows: no whitespace (JavaScript's trim also takes
    U+FEFF), and no NUL (HTML drops it from text and makes it U+FFFD in attributes)."""
    return squeezed(text or "").translate({0: None, 0xFEFF: None, 0xFFFD: None})


def headline(v: Vector) -> str:
    return stored_text(v.fit(HEADLINE))


# A payload that escaped its element would swallow or move the parts after it.
WHOLE_JS = """() => ({
  header: document.querySelectorAll("body > header.site-header").length,
  main: document.querySelectorAll("main").length,
  footer: document.querySelectorAll("body > footer.site-footer").length,
  fits: document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1,
})"""
WHOLE = {"header": 1, "main": 1, "footer": 1, "fits": True}


class Watched:
    """One browser page under the probe, opened page after page."""

    def __init__(self, visit: Visitor) -> None:
        self.visit = visit("desktop")
        self.probe: Probe = watch(self.visit)
        self.page: Page = self.visit.page

    def open(self, path: str, statuses: tuple[int, ...] = (200,)) -> Page:
        """The page at `path`, safe (see `assert_safe`) and, if HTML, whole: header, one
        main and footer where the layout puts them, nothing wider than the window."""
        response = self.visit.open(path)
        assert_safe(self.visit, response, self.probe, statuses)
        if (response.header_value("content-type") or "").startswith("text/html"):
            assert self.page.evaluate(WHOLE_JS) == WHOLE, f"{path}: the page's layout broke"
        return self.page

    def texts(self, selector: str) -> list[str]:
        return [comparable(t) for t in self.page.locator(selector).all_text_contents()]


def test_the_probe_sees_a_vector_run_and_the_policy_stop_it(
    visit: Visitor, platform: Platform
) -> None:
    """The detectors can fail: a page of the site's origin without the policy runs a vector
    (sentinel and dialog seen); the same page with the site's policy runs none and reports
    the violation."""
    w = Watched(visit)
    site_policy = w.visit.open("/").header_value("content-security-policy") or ""
    canary = "<!doctype html><img src=x onerror=__xss(0)><script>alert(1)</script>"

    def serve(headers: dict[str, str]) -> Callable[[Route], None]:
        return lambda route: route.fulfill(body=canary, content_type="text/html", headers=headers)

    w.page.route(platform.url("/canary-open"), serve({}))
    w.page.goto(platform.url("/canary-open"))
    w.page.wait_for_timeout(200)  # the image's error event and the reports are tasks
    assert w.probe.calls == ["0"] and w.probe.dialogs == ["alert: 1"]
    w.probe.calls.clear()
    w.probe.dialogs.clear()
    w.page.route(platform.url("/canary-strict"), serve({"Content-Security-Policy": site_policy}))
    w.page.goto(platform.url("/canary-strict"))
    w.page.wait_for_timeout(200)
    assert w.probe.calls == [] and w.probe.dialogs == []
    assert len(w.probe.violations) >= 2, w.probe.violations
    assert csp_problems(site_policy) == []
    weak = "default-src 'self'; script-src 'self' 'unsafe-inline'; object-src *"
    assert len(csp_problems(weak)) == 4


@pytest.mark.parametrize("vectors", CHUNKS, ids=CHUNK_IDS)
def test_article_pages(
    visit: Visitor, platform: Platform, corpus: Corpus, vectors: tuple[Vector, ...]
) -> None:
    w = Watched(visit)
    for v in vectors:
        page = w.open(f"/news/{corpus.articles[v.id]}")
        shown = comparable(page.locator("main h1").text_content())
        assert shown == comparable(headline(v)), f"vector {v.id}: headline {shown!r}"
        for selector, limit in ((".subhead", HEADLINE), (".byline .reporter", BYLINE),
                                ("figcaption", CAPTION), (".tags", TAG)):  # fmt: skip
            text = comparable(page.locator(f"main {selector}").text_content())
            assert comparable(stored_text(v.fit(limit))) in text, f"vector {v.id}: {selector}"
        body = comparable(page.locator("main .article-body").text_content())
        assert comparable(stored_text(v.payload)) in body, f"vector {v.id}: body text dropped"
        alt = page.locator("main figure img").get_attribute("alt")
        assert comparable(alt) == comparable(stored_text(v.fit(ALT))), f"vector {v.id}: alt"
        og_title = page.locator("meta[property='og:title']").get_attribute("content")
        assert og_title == headline(v), f"vector {v.id}: og:title {og_title!r}"
        ld = json.loads(page.locator("script[type='application/ld+json']").text_content() or "")
        assert ld["headline"] == headline(v), f"vector {v.id}: JSON-LD headline"


def test_home_and_news_lists(visit: Visitor, platform: Platform, corpus: Corpus) -> None:
    """Home, 전체기사 and the section's list, page after page: every headline shown as text."""
    w = Watched(visit)
    w.open("/")
    home = set(w.texts("main .card-title, main .lead-story h3"))
    newest = VECTORS[0]
    assert comparable(headline(newest)) in home, "the newest corpus article leads the home page"
    corpus_headlines = {comparable(headline(v)) for v in VECTORS}
    assert set(_all_pages(w, "/news", "main .card-title")) >= corpus_headlines
    for section in SECTIONS:
        listed = set(_all_pages(w, f"/news/{section}", "main .card-title"))
        mine = {comparable(headline(v)) for v in VECTORS if section_of(v) == section}
        assert listed >= mine, f"/news/{section} lacks corpus headlines"


def _all_pages(w: Watched, path: str, selector: str) -> list[str]:
    """The texts of `selector` on every page of a paginated list."""
    found: list[str] = []
    for n in range(1, 50):
        w.open(f"{path}{'&' if '?' in path else '?'}page={n}")
        found += w.texts(selector)
        if w.page.locator("main a[rel=next]").count() == 0:
            return found
    raise AssertionError(f"{path}: more than 50 pages")


def test_search_finds_the_corpus_as_text(
    visit: Visitor, platform: Platform, corpus: Corpus
) -> None:
    w = Watched(visit)
    titles = _all_pages(w, f"/search?q={MARKER}&sort=latest", "main .result-title")
    assert set(titles) >= {comparable(headline(v)) for v in VECTORS}


@pytest.mark.parametrize("vectors", CHUNKS, ids=CHUNK_IDS)
def test_search_with_each_vector_as_the_query(
    visit: Visitor, platform: Platform, corpus: Corpus, vectors: tuple[Vector, ...]
) -> None:
    """The query comes back in the search box, the title and the answer, as text."""
    w = Watched(visit)
    for v in vectors:
        q = v.fit(MAX_QUERY)
        page = w.open(f"/search?q={quote(q, safe='')}", statuses=(200, 400))
        typed = comparable(q.strip())
        assert comparable(page.locator("#q").input_value()) == typed, f"vector {v.id}: box"
        assert comparable(page.locator("#header-q").input_value()) == typed
        if page.locator("main .alert").count() == 0:  # an answer, not a refused query
            assert typed in comparable(page.locator("main").text_content()), f"vector {v.id}"


@pytest.mark.parametrize("vectors", CHUNKS, ids=CHUNK_IDS)
def test_board_posts(
    visit: Visitor, platform: Platform, corpus: Corpus, vectors: tuple[Vector, ...]
) -> None:
    w = Watched(visit)
    for v in vectors:
        page = w.open(f"/community/{BOARD}/{corpus.posts[v.id]}")
        title = comparable(page.locator("main h1").text_content())
        assert title == comparable(v.fit(TITLE).strip()), f"vector {v.id}: title {title!r}"
        body = comparable(page.locator("main .post-body").text_content())
        assert body == comparable(v.fit(POST_BODY)), f"vector {v.id}: post body"
        comment = comparable(page.locator("main .comment-body").text_content())
        assert comment == comparable(v.fit(COMMENT)), f"vector {v.id}: comment"
        author = page.locator("main .comment-meta strong").text_content()
        assert author == REPORTER_NICK


def test_board_list(visit: Visitor, platform: Platform, corpus: Corpus) -> None:
    w = Watched(visit)
    titles = _all_pages(w, f"/community/{BOARD}", "main .col-title a")
    assert set(titles) >= {comparable(v.fit(TITLE).strip()) for v in VECTORS}


def test_addresses_the_pages_reflect(visit: Visitor, platform: Platform, corpus: Corpus) -> None:
    """A vector in the address: the 404 page names it as its canonical address, the login
    page keeps `next` for after logging in."""
    w = Watched(visit)
    for v in VECTORS[::3]:
        escaped = quote(v.fit(MAX_QUERY), safe="")
        w.open(f"/news/{escaped}", statuses=(404,))
        w.open(f"/login?next=/{escaped}")


def test_comments_the_page_itself_adds(visit: Visitor, platform: Platform, corpus: Corpus) -> None:
    """The post page's script shows a comment just written without a reload, through
    innerHTML (the site's one such sink): vectors typed into the form show there as text."""
    post = {"title": "댓글 입력 시험", "body_text": "댓글 창에 입력한 그대로 보이는지 봅니다."}
    status, body = call("POST", platform.url(f"/api/boards/{BOARD}/posts"), post, corpus.session)
    assert status == 201, body
    path = f"/community/{BOARD}/{body['post']['post_id']}"
    w = Watched(visit)
    log_in(w.visit, REPORTER_EMAIL, REPORTER_PASSWORD)
    page = w.open(path)
    form = page.locator("form.comment-form")
    added = page.locator("[data-comment-list] > li")
    for n, v in enumerate(TYPED, 1):
        form.locator("textarea").fill(v.fit(COMMENT))
        form.get_by_role("button", name="등록").click()
        expect(added).to_have_count(n)
        shown = comparable(added.last.locator(".comment-body").text_content())
        assert shown == comparable(v.fit(COMMENT)), f"vector {v.id}: comment as added"
        assert_clean(w.visit, w.probe, f"{path} after vector {v.id}")
    call("DELETE", platform.url(f"/api/boards/{BOARD}/posts/{body['post']['post_id']}"), None,
         corpus.session)  # fmt: skip


TYPED = VECTORS


FEEDS = (
    "/rss.xml", "/atom.xml", "/sitemap.xml", "/news-sitemap.xml",
    *(f"/news/{s}/{kind}.xml" for s in SECTIONS for kind in ("rss", "atom")),
)  # fmt: skip
TITLE_TAGS = ("title", "{http://www.w3.org/2005/Atom}title",
              "{http://www.google.com/schemas/sitemap-news/0.9}title")  # fmt: skip
FOREIGN = ("{http://www.w3.org/1999/xhtml}", "{http://www.w3.org/2000/svg}")
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"


def test_feeds_and_sitemaps_as_served(visit: Visitor, platform: Platform, corpus: Corpus) -> None:
    """Served and shown by Chromium: well-formed XML whose titles are the headlines as text
    (each vector in its section's feeds, the newest in the paper's, all in the news sitemap),
    no element of HTML or SVG among them, nothing run."""
    w = Watched(visit)
    for path in FEEDS:
        response = w.visit.open(path)
        assert_safe(w.visit, response, w.probe, (200,))
        assert w.page.locator("parsererror").count() == 0, f"{path}: Chromium cannot parse it"
        root = ET.fromstring(response.body())
        foreign = [e.tag for e in root.iter() if str(e.tag).startswith(FOREIGN)]
        assert foreign == [], f"{path}: markup in the feed: {foreign[:5]}"
        titles = {comparable(e.text) for e in root.iter() if e.tag in TITLE_TAGS}
        missing = {comparable(xml_text(headline(v))) for v in feed_vectors(path)} - titles
        assert missing == set(), f"{path} lacks {len(missing)} corpus headlines"
        if path == "/sitemap.xml":
            listed = {e.text for e in root.iter() if e.tag == f"{{{SITEMAP}}}loc"}
            pages = {platform.url(f"/news/{a}") for a in corpus.articles.values()}
            assert listed >= pages, "the sitemap lacks corpus articles"


def feed_vectors(path: str) -> list[Vector]:
    """The corpus articles `path` must show (the paper's feeds: the newest 30, of which a
    test may have written one or two since)."""
    if path.startswith("/news/"):
        return [v for v in VECTORS if path.startswith(f"/news/{section_of(v)}/")]
    return {"/news-sitemap.xml": list(VECTORS), "/sitemap.xml": []}.get(path, list(VECTORS[:20]))


def test_nicknames_with_markup_are_refused(platform: Platform) -> None:
    """A member's nickname shows on every page they write; boards takes letters, digits,
    _ and - only, so each vector is a 422 on the nickname (never a 500)."""
    for v in VECTORS:
        member = {"email": f"xss{v.id}@e2e.example", "nickname": v.fit(20),
                  "password": "호미곶-등대-XSS-점검-2026"}  # fmt: skip
        status, body = request(platform.url("/api/members"), member)
        assert status == 422, f"vector {v.id}: {status} {body}"
        fields = {d["field"] for d in body["error"]["details"]}
        assert fields == {"nickname"}, f"vector {v.id}: {body}"
