"""Render's pages over in-memory read models: structure, words, SEO, status codes, caching."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import lxml.html

from services.render.models import PostPage, RankedArticle
from shared.schemas import Article, ArticleStatus, BoardComment, BoardPost
from shared.schemas.boards import Role
from shared.sessions import SESSION_COOKIE
from tests.unit.render.fakes import PUBLIC, ClientFactory, make_site

SEED_ID = "0313648983524554"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
HEADLINE = "포항시, 4차 산업혁명 시대 플랫폼시티 포항 본격 추진"
KST = datetime(2019, 8, 13, 12, 9, tzinfo=UTC)  # 21:09 KST


def seed(**extra: Any) -> Article:
    fields: dict[str, Any] = {
        "article_id": SEED_ID, "guid": "seed", "source": "newsroom", "version": 1,
        "status": ArticleStatus.PUBLISHED,
        "headline": HEADLINE, "section": "pohang",
        "byline": "강동진 기자", "published_at": KST, "tags": ["포항시", "플랫폼시티"],
        "body_html": "<p>포항시는 4차 산업혁명 시대의 변화에 대응한다.</p><p>둘째.</p>",
    }  # fmt: skip
    return Article.model_validate(fields | extra)


def numbered(n: int, section: str = "pohang") -> Article:
    return seed(
        article_id=f"{1000000000000000 + n}", guid=f"g{n}", headline=f"기사 제목 {n:02d}",
        section=section, published_at=KST + timedelta(hours=n),
    )  # fmt: skip


def doc(html: str) -> Any:
    return lxml.html.fromstring(html)


def text(node: Any) -> str:
    return " ".join(node.text_content().split())


async def test_the_seed_article_page_shows_every_element_of_the_seed_page(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    site.articles.add(seed())
    page = doc(await site.html(f"/news/{SEED_ID}", headers={"User-Agent": BROWSER}))
    assert page.get("lang") == "ko"
    assert text(page.cssselect("nav.breadcrumb")[0]) == "뉴스 > 포항"
    assert text(page.cssselect("main h1")[0]) == HEADLINE
    assert text(page.cssselect(".byline")[0]) == "강동진 기자 / 입력 : 2019년 08월 13일(화) 21:09"
    body = page.cssselect(".article-body p")
    assert [text(p) for p in body] == [
        "포항시는 4차 산업혁명 시대의 변화에 대응한다.",
        "둘째.",
    ]
    assert text(page.cssselect(".byline-end")[0]) == "강동진 기자"
    assert (
        text(page.cssselect(".copyright")[0])
        == "- Copyrights ⓒ포항신문. 무단 전재 및 재배포 금지 -"
    )
    shares = [text(a).removesuffix(" (새 창)") for a in page.cssselect(".share a")]
    assert shares == ["트위터(X)", "페이스북", "밴드", "카카오스토리", "네이버블로그"]
    assert text(page.cssselect("a[data-back]")[0]) == "이전 페이지로"
    headings = [text(h) for h in page.cssselect("aside h2")]
    assert headings == ["실시간 많이본 뉴스", "최신뉴스"]
    header = text(page.cssselect("header.site-header")[0])
    for word in (
        "최종편집",
        "회원가입",
        "로그인",
        "전체기사보기",
        "커뮤니티",
        "공지사항",
        "자유게시판",
    ):
        assert word in header
    footer = text(page.cssselect("footer.site-footer")[0])
    for word in ("회사소개", "윤리강령", "개인정보취급방침", "청소년보호정책", "사업자등록번호",
                 "발행인·편집인", "청소년보호책임자", "정기간행물 등록번호"):  # fmt: skip
        assert word in footer
    assert site.views and site.views[0][:2] == (SEED_ID, "pohang")


async def test_landmarks_skip_link_and_one_main(aiohttp_client: ClientFactory) -> None:
    site = await make_site(aiohttp_client)
    site.articles.add(seed())
    for path in ("/", f"/news/{SEED_ID}", "/news", "/news/pohang", "/community/free", "/login"):
        page = doc(await site.html(path))
        skip = page.cssselect("a.skip-link")[0]
        assert skip.get("href") == "#main"
        assert len(page.cssselect("main#main")) == 1
        assert page.cssselect("body > header") and page.cssselect("body > footer")
        assert all(nav.get("aria-label") for nav in page.cssselect("nav"))
        assert all(img.get("alt") is not None for img in page.cssselect("img"))


async def test_article_seo_meta_open_graph_and_json_ld(aiohttp_client: ClientFactory) -> None:
    site = await make_site(aiohttp_client)
    edited = KST + timedelta(days=8, hours=0, minutes=8)
    site.articles.add(seed(version=2, updated_at=edited))
    page = doc(await site.html(f"/news/{SEED_ID}/any-slug"))
    meta = {m.get("property") or m.get("name"): m.get("content") for m in page.cssselect("meta")}
    tags = [m.get("content") for m in page.cssselect('meta[property="article:tag"]')]
    url = f"{PUBLIC}/news/{SEED_ID}"
    assert page.cssselect('link[rel="canonical"]')[0].get("href") == url
    assert (
        page.findtext(".//title")
        == "포항시, 4차 산업혁명 시대 플랫폼시티 포항 본격 추진 - 포항신문"
    )
    assert meta["description"].startswith("포항시는 4차 산업혁명")
    assert meta["og:type"] == "article"
    assert meta["og:url"] == url
    assert meta["article:published_time"] == "2019-08-13T21:09:00+09:00"
    assert meta["article:modified_time"] == "2019-08-21T21:17:00+09:00"
    assert meta["article:section"] == "포항"
    assert tags == ["포항시", "플랫폼시티"]
    assert meta["twitter:card"] == "summary"
    ld = json.loads(page.cssselect('script[type="application/ld+json"]')[0].text)
    assert ld["@type"] == "NewsArticle"
    assert ld["headline"] == HEADLINE
    assert ld["datePublished"] == "2019-08-13T21:09:00+09:00"
    assert ld["author"] == [{"@type": "Person", "name": "강동진"}]
    byline = text(page.cssselect(".byline")[0])
    assert byline.endswith("/ 최종편집 : 2019년 08월 21일(수) 21:17")


async def test_text_is_escaped_and_only_the_sanitised_body_is_html(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    site.articles.add(seed(headline='<script>alert(1)</script>"</script>', subhead="<b>부제</b>"))
    html = await site.html(f"/news/{SEED_ID}")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>부제</b>" not in html
    page = doc(html)
    ld = page.cssselect('script[type="application/ld+json"]')[0].text
    assert "</script" not in ld
    assert json.loads(ld)["headline"] == '<script>alert(1)</script>"</script>'
    assert page.cssselect(".article-body p")  # the body's own tags are kept


async def test_retracted_is_410_and_unknown_is_404_both_with_the_chrome(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    site.articles.add(seed(version=2, status=ArticleStatus.RETRACTED), retracted=True)
    gone = doc(await site.html(f"/news/{SEED_ID}", status=410))
    assert text(gone.cssselect("main h1")[0]) == "삭제된 기사입니다"
    assert gone.cssselect("header.site-header") and gone.cssselect("footer.site-footer")
    assert "플랫폼시티" not in text(gone.cssselect("main")[0])
    assert not site.views
    for path in ("/news/9999999999999999", "/no/such/page", "/news/nosuchsection",
                 "/community/nosuchboard", "/about/nothing"):  # fmt: skip
        missing = doc(await site.html(path, status=404))
        assert text(missing.cssselect("main h1")[0]) == "페이지를 찾을 수 없습니다"
        assert missing.cssselect('meta[name="robots"]')[0].get("content") == "noindex"
    api = await site.client.get("/api/nothing")
    assert api.status == 404
    assert (await api.json())["error"]["code"] == "not_found"


async def test_home_is_friendly_when_empty_and_leads_with_the_newest(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    empty = doc(await site.html("/"))
    assert "아직 기사가 없습니다" in text(empty.cssselect("main")[0])
    assert text(empty.cssselect(".edited")[0]) == "최종편집:-"
    for n in range(1, 8):
        site.articles.add(numbered(n, "pohang" if n % 2 else "gyeongju"))
    site.changed()
    home = doc(await site.html("/"))
    assert text(home.cssselect(".lead-story h3 a")[0]) == "기사 제목 07"
    top = [a.get("href") for a in home.cssselect(".top-stories .card-title a")]
    assert len(top) == 4
    blocks = {text(h) for h in home.cssselect(".section-block h2")}
    assert {"포항", "경주", "커뮤니티"} <= blocks
    in_blocks = [a.get("href") for a in home.cssselect(".block-cards .card-title a")]
    assert not set(in_blocks) & {*top, home.cssselect(".lead-story h3 a")[0].get("href")}
    assert text(home.cssselect(".edited time")[0]) == "2019-08-14 오전 04:09:00"


async def test_lists_paginate_and_sections_filter(aiohttp_client: ClientFactory) -> None:
    site = await make_site(aiohttp_client)
    for n in range(1, 46):
        site.articles.add(numbered(n, "pohang" if n <= 30 else "daegu"))
    first = doc(await site.html("/news"))
    assert len(first.cssselect(".article-list .card")) == 20
    assert text(first.cssselect(".count")[0]) == "총 45건"
    pages = [a.get("href") for a in first.cssselect(".pager a")]
    assert pages == ["/news", "/news?page=2", "/news?page=3", "/news?page=2"]
    assert first.cssselect('.pager a[aria-current="page"]')[0].get("href") == "/news"
    third = doc(await site.html("/news?page=3"))
    assert [text(a) for a in third.cssselect(".card-title a")][-1] == "기사 제목 01"
    assert len(third.cssselect(".article-list .card")) == 5
    section = doc(await site.html("/news/daegu"))
    feeds = [link.get("href") for link in section.cssselect('link[rel="alternate"]')]
    assert feeds == ["/rss.xml", "/atom.xml", "/news/daegu/rss.xml"]
    assert text(section.cssselect("nav.breadcrumb")[0]) == "뉴스 > 대구"
    assert {text(a) for a in section.cssselect(".card .section-tag")} == {"대구"}
    assert len(section.cssselect(".article-list .card")) == 15
    assert not section.cssselect(".pager")
    await site.html("/news?page=9", status=404)


async def test_sidebar_ranks_ten_cuts_long_titles_and_lists_fifteen_latest(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    for n in range(1, 21):
        site.articles.add(numbered(n))
    long_title = "대구도시철도, 어린이·청소년 여름방학 맞아 무료 승차 이벤트"
    site.ranking.ranked = [
        RankedArticle(f"{1000000000000000 + n}", long_title if n == 1 else f"많이 본 {n}", 100 - n)
        for n in range(1, 13)
    ]
    page = doc(await site.html("/news"))
    ranked = page.cssselect(".most-viewed li a")
    assert len(ranked) == 10
    assert text(ranked[0]) == "대구도시철도, 어린이·청소년.."
    assert ranked[0].get("title") == long_title
    latest = page.cssselect(".latest li a")
    assert len(latest) == 15
    assert text(latest[0]) == "기사 제목 20"


async def test_etag_and_last_modified_answer_304(aiohttp_client: ClientFactory) -> None:
    site = await make_site(aiohttp_client)
    site.articles.add(seed())
    first = await site.client.get(f"/news/{SEED_ID}")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"] == "Tue, 13 Aug 2019 12:09:00 GMT"
    again = await site.client.get(f"/news/{SEED_ID}", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.headers["ETag"] == etag
    site.articles.add(seed(version=2, headline="고친 제목", updated_at=KST + timedelta(hours=1)))
    site.changed()
    changed = await site.client.get(f"/news/{SEED_ID}", headers={"If-None-Match": etag})
    assert changed.status == 200
    assert "고친 제목" in await changed.text()


async def test_a_readers_view_is_counted_and_a_crawlers_or_scripts_is_not(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    site.articles.add(seed())
    path = f"/news/{SEED_ID}"
    await site.html(path, headers={"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"})
    await site.html(path, skip_auto_headers=["User-Agent"])  # what wrk sends: no agent at all
    await site.html(path)  # the test client's own agent: a script
    assert site.views == []
    etag = (await site.client.get(path, headers={"User-Agent": BROWSER})).headers["ETag"]
    revalidated = await site.client.get(
        path, headers={"User-Agent": BROWSER, "If-None-Match": etag}
    )
    assert revalidated.status == 304
    assert len(site.views) == 2  # the recorder deduplicates: the page reports every reading
    (article_id, section, visitor, agent), again = site.views
    assert (article_id, section, agent) == (SEED_ID, "pohang", BROWSER) and again == site.views[0]
    assert len(visitor) == 24 and "127.0.0.1" not in visitor


async def test_a_cached_article_page_is_never_served_across_sessions(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    site.articles.add(seed())
    path = f"/news/{SEED_ID}"
    member = {SESSION_COOKIE: site.token("독자", Role.MEMBER)}

    def menu(html: str) -> str:
        return text(doc(html).cssselect("nav.member-menu")[0])

    for _ in range(2):  # the second round answers from the cache
        anonymous = await site.client.get(path)
        assert anonymous.headers["Cache-Control"] == "public, max-age=0, must-revalidate"
        assert anonymous.headers["Vary"] == "Cookie"
        assert menu(await anonymous.text()) == "회원가입 로그인 전체기사보기"
        as_member = await site.client.get(path, cookies=member)
        assert as_member.headers["Cache-Control"] == "private, no-cache"
        assert menu(await as_member.text()) == "독자님 로그아웃 전체기사보기"
        assert as_member.headers["ETag"] != anonymous.headers["ETag"]
    # A member's browser holding the anonymous copy gets their own page, not a 304.
    held = {"If-None-Match": anonymous.headers["ETag"]}
    assert (await site.client.get(path, cookies=member, headers=held)).status == 200
    not_modified = await site.client.get(path, headers=held)
    assert not_modified.status == 304
    assert not_modified.headers["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert not_modified.headers["Vary"] == "Cookie"
    assert "script-src 'self'" in not_modified.headers["Content-Security-Policy"]
    assert not_modified.headers["Last-Modified"] == "Tue, 13 Aug 2019 12:09:00 GMT"
    # Among other cookies, the session still counts; other cookies alone are no session.
    among = await site.client.get(path, cookies={"theme": "dark", **member, "z": "1"})
    assert menu(await among.text()) == "독자님 로그아웃 전체기사보기"
    others = await site.client.get(path, cookies={"theme": "dark"})
    assert others.headers["ETag"] == anonymous.headers["ETag"]
    # A session that no longer verifies reads the anonymous page.
    forged = await site.client.get(path, cookies={SESSION_COOKIE: "forged"})
    assert forged.headers["ETag"] == anonymous.headers["ETag"]


async def test_the_header_knows_the_member_and_shows_the_write_link_to_reporters(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    reporter = site.token("강동진", Role.REPORTER)
    member = site.token("독자", Role.MEMBER)
    as_reporter = await site.client.get("/", cookies={SESSION_COOKIE: reporter})
    assert as_reporter.headers["Cache-Control"].startswith("private")
    assert as_reporter.headers["Vary"] == "Cookie"
    menu = text(doc(await as_reporter.text()).cssselect("nav.member-menu")[0])
    assert menu == "강동진님 로그아웃 기사쓰기 전체기사보기"
    as_member = await site.client.get("/", cookies={SESSION_COOKIE: member})
    menu = text(doc(await as_member.text()).cssselect("nav.member-menu")[0])
    assert menu == "독자님 로그아웃 전체기사보기"
    write = doc(await site.html("/write", cookies={SESSION_COOKIE: member}))
    assert not write.cssselect("main form")
    write = doc(await site.html("/write", cookies={SESSION_COOKIE: reporter}))
    assert write.cssselect('form[action="/api/articles"]')
    anonymous = await site.client.get("/")
    assert "회원가입 로그인 전체기사보기" in text(doc(await anonymous.text()).cssselect("nav")[0])


async def test_every_form_field_has_a_label(aiohttp_client: ClientFactory) -> None:
    site = await make_site(aiohttp_client)
    token = site.token("편집자", Role.EDITOR)
    for path in ("/signup", "/login", "/write", "/community/free/write", "/search?q="):
        page = doc(await site.html(path, cookies={SESSION_COOKIE: token}))
        fields = page.cssselect("main input, main select, main textarea")
        assert fields, path
        labelled = {label.get("for") for label in page.cssselect("label")}
        for field in fields:
            if field.get("type") == "hidden":
                continue
            assert field.get("id") in labelled, (path, field.get("name"))


async def test_login_next_is_kept_only_on_this_site(aiohttp_client: ClientFactory) -> None:
    site = await make_site(aiohttp_client)
    ok = doc(await site.html("/login?next=/community/free/write"))
    assert ok.cssselect("main form")[0].get("data-next") == "/community/free/write"
    for evil in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        page = doc(await site.html("/login", params={"next": evil}))
        assert page.cssselect("main form")[0].get("data-next") == "/"


async def test_search_says_so_when_the_search_service_is_down(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    page = doc(await site.html("/search?q=포항", status=503))
    assert "지금은 검색을 할 수 없습니다" in text(page.cssselect('[role="alert"]')[0])
    blank = doc(await site.html("/search"))
    assert not blank.cssselect('[role="alert"]')
    assert blank.cssselect('form[role="search"] input#q')


async def test_static_assets_are_served_from_the_site(aiohttp_client: ClientFactory) -> None:
    site = await make_site(aiohttp_client)
    page = doc(await site.html("/"))
    assets = [e.get("href") for e in page.cssselect("link[rel=stylesheet], link[rel=icon]")] + [
        e.get("src") for e in page.cssselect("script[src], img[src]")
    ]
    for asset in assets:
        assert asset.startswith("/"), asset
    for path in ("/static/site.css", "/static/site.js", "/static/favicon.svg"):
        response = await site.client.get(path)
        assert response.status == 200, path
    css = page.cssselect("link[rel=stylesheet]")[0].get("href")
    assert css.startswith("/static/site.css?v=")
    versioned = await site.client.get(css)
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def board_post(post_id: str = "0" * 20 + "a", author: str = "m-글쓴이") -> PostPage:
    post = BoardPost(
        post_id=post_id, board="free", title="해맞이 <명소>", body_text="호미곶\n\n둘째",
        author_id=author, author_nick="글쓴이", created_at=KST,
    )  # fmt: skip
    reply = BoardComment(
        comment_id="c2", post_id=post_id, parent_id="c1", board="free", body_text="답글",
        author_id="m2", author_nick="둘째", created_at=KST,
    )  # fmt: skip
    first = BoardComment(
        comment_id="c1", post_id=post_id, board="free", body_text="댓글", author_id="m1",
        author_nick="하나로", created_at=KST,
    )  # fmt: skip
    return PostPage(post, (first, reply))


async def test_post_page_shows_comments_and_offers_actions_by_who_reads(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    found = board_post()
    site.boards.pages[found.post.post_id] = found
    path = f"/community/free/{found.post.post_id}"
    page = doc(await site.html(path))
    assert text(page.cssselect("main h1")[0]) == "해맞이 <명소>"
    assert [text(p) for p in page.cssselect(".post-body p")] == ["호미곶", "둘째"]
    comments = page.cssselect(".comment")
    assert [c.get("class") for c in comments] == ["comment", "comment reply"]
    assert not page.cssselect("[data-vote]")
    assert "로그인" in text(page.cssselect(".post-actions")[0])
    assert not page.cssselect(".comment-form")
    reader = doc(await site.html(path, cookies={SESSION_COOKIE: site.token("독자", Role.MEMBER)}))
    assert reader.cssselect("[data-vote]")
    assert reader.cssselect('.comment-form textarea[name="body_text"]')
    author = doc(await site.html(path, cookies={SESSION_COOKIE: site.token("글쓴이", Role.MEMBER)}))
    assert not author.cssselect("[data-vote]")
    await site.html("/community/notice/" + found.post.post_id, status=404)
    board = doc(await site.html("/community/free"))
    assert text(board.cssselect(".board-table .col-title")[0]) == "해맞이 <명소> [2]"


async def test_ready_tells_whether_render_shows_a_new_page(aiohttp_client: ClientFactory) -> None:
    site = await make_site(aiohttp_client)
    found = board_post()
    site.boards.pages[found.post.post_id] = found
    site.articles.add(seed())

    async def ready(path: str) -> Any:
        response = await site.client.get("/api/render/ready", params={"path": path})
        return response.status, (await response.json())

    assert await ready(f"/news/{SEED_ID}") == (200, {"path": f"/news/{SEED_ID}", "ready": True})
    assert (await ready("/news/1111111111111111"))[1]["ready"] is False
    assert (await ready(f"/community/free/{found.post.post_id}"))[1]["ready"] is True
    assert (await ready(f"/community/notice/{found.post.post_id}"))[1]["ready"] is False
    status, body = await ready("/elsewhere")
    assert status == 400
    assert body["error"]["code"] == "invalid_query"


async def test_a_failing_page_is_a_plain_500_page_and_apis_keep_json(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("the read model is unreachable")

    site.articles.latest = broken  # type: ignore[method-assign]
    page = doc(await site.html("/news", status=500))
    assert text(page.cssselect("h1")[0]) == "잠시 후 다시 시도해 주세요"
    assert page.get("lang") == "ko"
    ready = await site.client.get("/api/render/ready", params={"path": "/x"})
    assert ready.content_type == "application/json"


async def test_pages_forbid_outside_scripts_and_apis_are_left_alone(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    for path in ("/", "/static/site.css", "/no/such/page"):
        response = await site.client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy, path
        assert "style-src 'self'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    api = await site.client.get("/api/render/ready", params={"path": "/x"})
    assert "Content-Security-Policy" not in api.headers


async def test_board_rows_are_numbered_without_gaps_across_pages(
    aiohttp_client: ClientFactory,
) -> None:
    site = await make_site(aiohttp_client)
    for n in range(25):
        post_id = f"{n:021x}"
        found = board_post(post_id)
        pinned = found.post.model_copy(
            update={"pinned": n == 0, "created_at": KST + timedelta(minutes=n), "title": f"글 {n}"}
        )
        site.boards.pages[post_id] = PostPage(pinned, ())
    first = doc(await site.html("/community/free"))
    numbers = [text(td) for td in first.cssselect(".board-table td.col-no")]
    assert numbers[:3] == ["공지", "24", "23"]
    assert numbers[-1] == "6"
    second = doc(await site.html("/community/free?page=2"))
    assert [text(td) for td in second.cssselect(".board-table td.col-no")] == [
        "5",
        "4",
        "3",
        "2",
        "1",
    ]
