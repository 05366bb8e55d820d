"""Every kind of page at desktop and mobile widths: it loads without console errors, has the
site's chrome and landmarks, alt text and labels, fits the width, and shows what it is for.
Each page's screenshot lands in .local/artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import Visit, log_in
from tests.e2e.platform import (
    MEMBER_EMAIL,
    MEMBER_PASSWORD,
    POST_BODY,
    POST_TITLE,
    Platform,
    corpus_headlines,
    status_of,
    wait_until,
)

VIEWPORTS = ["desktop", "mobile"]
Visitor = Callable[[str], Visit]


def open_sound(visit: Visitor, viewport: str, path: str, name: str) -> Visit:
    """The page at `path`: 200, sound (see Visit.assert_sound), screenshot, no console errors."""
    v = visit(viewport)
    response = v.open(path)
    assert response.status == 200, f"{path} answered {response.status}"
    v.shot(name)
    v.assert_sound()
    v.assert_no_console_errors()
    return v


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_home_shows_top_stories_and_section_blocks(
    visit: Visitor, platform: Platform, viewport: str
) -> None:
    v = open_sound(visit, viewport, "/", "home")
    main = v.page.get_by_role("main")
    article_links = main.locator("a[href^='/news/']").filter(has_text=re.compile(r"\S{4}"))
    assert article_links.count() >= 10, "the home page lists the news"
    # The newest corpus story is among the top stories; per-section blocks are headed by name.
    expect(main.locator(".top-stories")).to_contain_text("대구 FC 새 감독 선임")
    for section in ("포항", "경주", "대구"):
        expect(main.get_by_role("heading", name=section, exact=True)).to_have_count(1)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_section_page_lists_only_its_section(
    visit: Visitor, platform: Platform, viewport: str
) -> None:
    v = open_sound(visit, viewport, "/news/pohang", "section-pohang")
    main = v.page.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_have_text("포항")
    crumbs = main.get_by_role("navigation", name="현재 위치")
    expect(crumbs.get_by_role("link")).to_have_text(["뉴스", "포항"])  # 뉴스 > 포항
    expect(main).to_contain_text("포항시, 4차 산업혁명 시대 플랫폼시티 포항 본격 추진")
    expect(main).to_contain_text("포항시, 배터리 규제자유특구 2단계 확대 추진")
    expect(main).not_to_contain_text("대구 FC 새 감독 선임")  # a 스포츠 story


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_all_news_is_newest_first_and_paginated(
    visit: Visitor, platform: Platform, viewport: str
) -> None:
    v = open_sound(visit, viewport, "/news", "all-news")
    main = v.page.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_have_text("전체기사")
    first_page = titles(v)
    assert first_page, "전체기사 lists articles"
    assert "대구 FC 새 감독 선임" in first_page
    times = v.page.locator("main .card-meta time").evaluate_all(
        "ts => ts.map(t => Date.parse(t.getAttribute('datetime')))"
    )
    assert len(times) == len(first_page)
    assert times == sorted(times, reverse=True), "newest first"
    next_link = main.locator("a[rel=next]")
    expect(next_link).to_have_count(1)
    next_link.click()
    v.page.wait_for_load_state()
    second_page = titles(v)
    assert second_page, "page 2 lists articles"
    assert not set(first_page) & set(second_page), "page 2 repeats page 1"
    v.assert_no_console_errors()


def titles(v: Visit) -> list[str]:
    return [t.strip() for t in v.page.locator("main .card-title").all_inner_texts()]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_article_page(visit: Visitor, platform: Platform, viewport: str) -> None:
    v = open_sound(visit, viewport, f"/news/{platform.seed_id}", "article-seed")
    expect(v.page.get_by_role("heading", level=1)).to_have_text(
        "포항시, 4차 산업혁명 시대 플랫폼시티 포항 본격 추진"
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_search_highlights_matches(visit: Visitor, platform: Platform, viewport: str) -> None:
    v = open_sound(visit, viewport, f"/search?q={QUERY}", "search-results")
    main = v.page.get_by_role("main")
    expect(main.locator(".result").first).to_be_visible()
    marks = main.locator("mark")
    assert marks.count() >= 1, "query words are highlighted with <mark>"
    assert all(QUERY in m for m in marks.all_inner_texts()), marks.all_inner_texts()
    all_sections = set(result_sections(v))
    assert len(all_sections) >= 2, all_sections
    # Filters by section and date are on the page, and they narrow the result.
    for label in ("섹션", "시작일", "종료일"):
        expect(main.get_by_label(label, exact=True)).to_have_count(1)
    main.get_by_label("섹션", exact=True).select_option(label="포항")
    main.get_by_role("button", name="검색", exact=True).click()
    v.page.wait_for_load_state()
    assert "section=pohang" in v.page.url
    assert set(result_sections(v)) == {"포항"}
    v.assert_no_console_errors()


QUERY = "포항"


def result_sections(v: Visit) -> list[str]:
    return [t.strip() for t in v.page.locator("main .result .section-tag").all_inner_texts()]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_search_suggests_as_you_type(visit: Visitor, platform: Platform, viewport: str) -> None:
    v = open_sound(visit, viewport, "/search", "search-empty")
    box = v.page.get_by_role("main").get_by_label("검색어", exact=True)
    box.press_sequentially("포항", delay=80)
    options = v.page.get_by_role("option")
    expect(options.first).to_be_visible()
    assert any("포항" in o for o in options.all_inner_texts()), options.all_inner_texts()
    v.shot("search-suggestions")
    # The keyboard picks one: ↓ then Enter opens that article.
    first = options.first.inner_text().strip()
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    v.page.wait_for_url(re.compile(r"/news/\d{16}"))
    expect(v.page.get_by_role("heading", level=1)).to_have_text(first)
    v.assert_no_console_errors()


def test_header_search_suggests_from_initials(visit: Visitor, platform: Platform) -> None:
    """초성 typed in the header's box on any page: ㅍㅎㅅ → 포항시…"""
    v = visit("desktop")
    v.open("/news")
    box = v.page.get_by_role("banner").get_by_role("combobox", name="기사 검색")
    box.press_sequentially("ㅍㅎㅅ", delay=80)
    options = v.page.get_by_role("option")
    expect(options.first).to_be_visible()
    assert any(o.startswith("포항시") for o in options.all_inner_texts()), options.all_inner_texts()
    box.press("Escape")
    expect(options.first).to_be_hidden()
    v.assert_no_console_errors()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_search_without_results_helps(visit: Visitor, platform: Platform, viewport: str) -> None:
    v = open_sound(visit, viewport, "/search?q=쿼크글루온플라즈마", "search-no-results")
    main = v.page.get_by_role("main")
    expect(main).to_contain_text("검색 결과가 없습니다")
    expect(main).to_contain_text("쿼크글루온플라즈마")
    expect(main.get_by_role("link", name="전체기사")).to_have_count(1)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_board_list_and_post(visit: Visitor, platform: Platform, viewport: str) -> None:
    post_page = platform.url(f"/community/free/{platform.post_id}")
    wait_until("the seeded post's page", lambda: status_of(post_page) == 200)
    v = open_sound(visit, viewport, "/community/free", "board-free")
    main = v.page.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_contain_text("자유게시판")
    expect(main.get_by_role("link", name=re.compile("글쓰기"))).to_have_count(1)
    post = main.get_by_role("link", name=POST_TITLE)
    expect(post).to_be_visible()
    post.click()
    v.page.wait_for_load_state()
    assert v.page.url.endswith(f"/community/free/{platform.post_id}")
    expect(main.get_by_role("heading", level=1)).to_have_text(POST_TITLE)
    expect(main).to_contain_text(POST_BODY)
    v.shot("board-post")
    v.assert_sound()
    v.assert_no_console_errors()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_forms_are_labelled(visit: Visitor, platform: Platform, viewport: str) -> None:
    signup = open_sound(visit, viewport, "/signup", "signup")
    for label in ("이메일", "닉네임"):
        expect(signup.page.get_by_label(re.compile(label))).to_have_count(1)
    expect(signup.page.get_by_label(re.compile("비밀번호")).first).to_have_attribute(
        "type", "password"
    )
    login = open_sound(visit, viewport, "/login", "login")
    expect(login.page.get_by_label(re.compile("비밀번호"))).to_have_attribute("type", "password")
    expect(login.page.get_by_role("button", name="로그인")).to_have_count(1)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_board_write_page_for_a_member(visit: Visitor, platform: Platform, viewport: str) -> None:
    anonymous = visit(viewport)
    anonymous.open("/community/free/write")
    # No member, no form: the page asks to log in first.
    expect(anonymous.page.get_by_role("main")).to_contain_text("로그인")
    expect(anonymous.page.get_by_label(re.compile("^제목"))).to_have_count(0)
    v = visit(viewport)
    log_in(v, MEMBER_EMAIL, MEMBER_PASSWORD)
    response = v.open("/community/free/write")
    assert response.status == 200
    v.shot("board-write")
    v.assert_sound()
    v.assert_no_console_errors()
    expect(v.page.get_by_label(re.compile("^제목"))).to_be_editable()
    expect(v.page.get_by_label(re.compile("^(내용|본문)"))).to_be_editable()


def test_headline_lists_cut_long_titles(visit: Visitor, platform: Platform) -> None:
    """최신뉴스 (15) and 많이본 뉴스 (≤ 10): every item a headline or its start cut with '..'."""
    v = visit("desktop")
    v.open(f"/news/{platform.seed_id}")
    known = corpus_headlines()
    latest = v.page.get_by_role("region", name="최신뉴스").get_by_role("link")
    expect(latest).to_have_count(15)
    for shown in [*latest.all_inner_texts(), *most_viewed_items(v)]:
        text = shown.strip()
        if text.endswith(".."):
            assert any(h.startswith(text[:-2].rstrip()) and h != text for h in known), text
        else:
            assert text in known, text


def most_viewed_items(v: Visit) -> list[str]:
    box = v.page.get_by_role("region", name="실시간 많이본 뉴스")
    expect(box).to_have_count(1)
    items = box.get_by_role("link").all_inner_texts()
    assert len(items) <= 10
    return items


def test_skip_link_leads_the_keyboard_to_the_content(visit: Visitor, platform: Platform) -> None:
    v = visit("desktop")
    v.open("/")
    v.page.keyboard.press("Tab")
    focused = v.page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "본문 바로가기"
    v.page.keyboard.press("Enter")
    expect(v.page.get_by_role("main")).to_be_focused()
