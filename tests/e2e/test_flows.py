"""What people do through the pages alone: a reader signs up, logs in, posts on 자유게시판 and
comments; a reporter logs in and writes an article through 기사쓰기 and it appears."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import Visit
from tests.e2e.platform import (
    REPORTER_EMAIL,
    REPORTER_HEADLINE,
    REPORTER_NICK,
    REPORTER_PASSWORD,
    Platform,
    request,
)

Visitor = Callable[[str], Visit]
NEW_PASSWORD = "형산강-자전거길-완주-2026"


def log_in_through_the_page(page: Page, login: str, password: str) -> None:
    page.get_by_label(re.compile("이메일|아이디|닉네임")).fill(login)
    page.get_by_label(re.compile("비밀번호")).fill(password)
    page.get_by_role("main").get_by_role("button", name="로그인").click()


def expect_logged_in(page: Page, nickname: str) -> None:
    header = page.get_by_role("banner")
    expect(header).to_contain_text(nickname)
    log_out = header.get_by_role("button", name="로그아웃")
    expect(log_out.or_(header.get_by_role("link", name="로그아웃"))).to_have_count(1)
    expect(header.get_by_role("link", name="로그인")).to_have_count(0)


def reload_until(page: Page, text: str, budget_s: float = 10.0) -> None:
    """The page is built from events: give the read model a moment, as a reader would reload."""
    deadline = time.monotonic() + budget_s
    while text not in page.get_by_role("main").inner_text():
        assert time.monotonic() < deadline, f"{text!r} never appeared on {page.url}"
        page.wait_for_timeout(300)
        page.reload()


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_member_signs_up_logs_in_posts_and_comments(
    visit: Visitor, platform: Platform, viewport: str
) -> None:
    v = visit(viewport)
    page = v.page
    nickname = f"형산강{viewport[:3]}"
    email = f"{viewport}@readers.example"
    v.open("/")
    page.get_by_role("banner").get_by_role("link", name="회원가입").click()
    page.wait_for_url(re.compile("/signup"))
    page.get_by_label(re.compile("이메일")).fill(email)
    page.get_by_label(re.compile("닉네임")).fill(nickname)
    for field in page.get_by_label(re.compile("비밀번호")).all():  # and its confirmation, if any
        field.fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name=re.compile("회원가입|가입")).click()
    page.wait_for_url(lambda url: "/signup" not in url)
    v.shot("flow-signed-up")

    if "/login" not in page.url and nickname not in page.get_by_role("banner").inner_text():
        page.get_by_role("banner").get_by_role("link", name="로그인").click()
    if "/login" in page.url:
        log_in_through_the_page(page, email, NEW_PASSWORD)
        page.wait_for_url(lambda url: "/login" not in url)
    expect_logged_in(page, nickname)
    expect(page.get_by_role("banner").get_by_role("link", name="기사쓰기")).to_have_count(0)

    v.open("/community/free")
    page.get_by_role("main").get_by_role("link", name=re.compile("글쓰기")).click()
    page.wait_for_url(re.compile("/community/free/write"))
    title = f"{viewport} 화면에서 쓴 형산강 자전거길 후기"
    page.get_by_label(re.compile("^제목")).fill(title)
    page.get_by_label(re.compile("^(내용|본문)")).fill("주말에 형산강 자전거길을 완주했습니다.")
    page.get_by_role("main").get_by_role("button", name=re.compile("등록|작성|올리기")).click()
    page.wait_for_url(lambda url: re.search(r"/community/free/(?!write$)[^/]+$", url) is not None)
    post_url = page.url
    # The page goes to the new post only once render has it: the member never sees a 404.
    assert (post_url, 404) not in v.documents
    expect(page.get_by_role("main")).to_contain_text(title)
    expect(page.get_by_role("main").get_by_role("heading", level=1)).to_have_text(title)

    comment = "다음에는 같이 달려요!"
    comment_box = page.get_by_role("textbox", name=re.compile("댓글"))
    comment_box.fill(comment)
    form = page.locator("form").filter(has=comment_box)
    form.get_by_role("button", name=re.compile("등록|댓글")).click()
    reload_until(page, comment)
    expect(page.get_by_role("main")).to_contain_text(nickname)
    v.shot("flow-commented")
    v.open("/community/free")
    expect(page.get_by_role("main").get_by_role("link", name=title)).to_have_count(1)
    vote_and_report(v, platform)
    # The write page polls the post's URL until render has it: those fetches may 404.
    v.assert_no_console_errors(allowed=awaited(post_url))


def vote_and_report(v: Visit, platform: Platform) -> None:
    """추천 and 신고 on another member's post, through its page's buttons."""
    page = v.page
    v.open(f"/community/free/{platform.post_id}")
    _, before = request(platform.url(f"/api/boards/free/posts/{platform.post_id}"))
    main = page.get_by_role("main")
    main.get_by_role("button", name="추천", exact=True).click()
    expect(main.get_by_role("status").filter(has_text="추천했습니다")).to_have_count(1)
    _, after = request(platform.url(f"/api/boards/free/posts/{platform.post_id}"))
    assert after["post"]["votes"] == before["post"]["votes"] + 1
    main.get_by_text("신고", exact=True).click()  # the folded report form opens
    main.get_by_label("신고 사유").select_option("광고·스팸")
    main.get_by_role("button", name="신고하기").click()
    expect(main.get_by_role("status").filter(has_text="신고가 접수")).to_have_count(1)


def awaited(url: str) -> re.Pattern[str]:
    return re.compile(rf"status of 404 \(Not Found\) \({re.escape(url)}\)$")


def test_reporter_writes_an_article_through_the_write_page(
    visit: Visitor, platform: Platform
) -> None:
    v = visit("desktop")
    page = v.page
    v.open("/login")
    log_in_through_the_page(page, REPORTER_EMAIL, REPORTER_PASSWORD)
    page.wait_for_url(lambda url: "/login" not in url)
    expect_logged_in(page, REPORTER_NICK)
    page.get_by_role("banner").get_by_role("link", name="기사쓰기").click()
    page.wait_for_url(re.compile("/write$"))
    v.assert_sound()
    v.shot("write")
    page.get_by_label(re.compile("^제목")).fill(REPORTER_HEADLINE)
    page.get_by_label(re.compile("섹션")).select_option(label="포항")
    page.get_by_label(re.compile("^(본문|내용)")).fill(
        "포항운하에서 이번 주말 야간 축제가 열린다.\n\n시는 유람선을 밤 10시까지 운항한다."
    )
    page.get_by_role("main").get_by_role("button", name=re.compile("등록|송고|출고|보내기")).click()
    # The form goes to the new article's page once render has it (never to a 404).
    page.wait_for_url(re.compile(r"/news/\d{16}"))
    article_url = page.url
    assert (article_url, 404) not in v.documents
    expect(page.get_by_role("heading", level=1)).to_have_text(REPORTER_HEADLINE)
    expect(page.locator(".article-body")).to_contain_text("유람선을 밤 10시까지")
    expect(page.locator(".byline")).to_contain_text("입력 :")
    v.shot("write-published")
    # It is on 전체기사 and in the 포항 section too.
    for listing in ("/news", "/news/pohang"):
        v.open(listing)
        expect(page.get_by_role("main").get_by_role("link", name=REPORTER_HEADLINE)).to_have_count(
            1
        )
    v.assert_no_console_errors(allowed=awaited(article_url))


def test_write_page_refuses_a_reader(visit: Visitor, platform: Platform) -> None:
    v = visit("desktop")
    v.open("/write")
    # Anonymous: sent to log in (or told to), never shown the form.
    expect(v.page.get_by_role("main")).to_contain_text("로그인")
    expect(v.page.get_by_label(re.compile("^제목"))).to_have_count(0)
    v.assert_no_console_errors()
