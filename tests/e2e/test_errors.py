"""A retracted article answers 410 with a notice; unknown pages 404, both in the site's chrome."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import Visit
from tests.e2e.platform import Platform, status_of, wait_until

Visitor = Callable[[str], Visit]
# Chromium logs the document's own status as a console error; that one is the point here.
OWN_STATUS = re.compile(r"Failed to load resource: the server responded with a status of (404|410)")


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_retracted_article_answers_410_with_a_notice(
    visit: Visitor, platform: Platform, viewport: str
) -> None:
    page = platform.url(f"/news/{platform.retracted_id}")
    wait_until("the retraction in render", lambda: status_of(page) != 404)
    v = visit(viewport)
    response = v.open(f"/news/{platform.retracted_id}")
    assert response.status == 410
    v.shot("article-retracted")
    v.assert_sound()
    main = v.page.get_by_role("main")
    expect(main).to_contain_text(re.compile("삭제|철회|내려"))
    expect(main).not_to_contain_text("4차 산업혁명의 중요성")  # not the withdrawn body
    expect(main.get_by_role("link", name=re.compile("홈"))).to_have_count(1)
    v.assert_no_console_errors(allowed=OWN_STATUS)


@pytest.mark.parametrize(
    "path",
    [
        "/news/9999999999999999",
        "/news/no-such-section",
        "/community/no-such-board",
        "/community/free/no-such-post",
    ],
)
def test_unknown_pages_answer_404_with_the_chrome(
    visit: Visitor, platform: Platform, path: str
) -> None:
    v = visit("desktop")
    response = v.open(path)
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    v.assert_sound()
    expect(v.page.get_by_role("main")).to_contain_text(re.compile("찾을 수 없"))
    v.shot("not-found-" + re.sub(r"\W+", "-", path).strip("-"))
    v.assert_no_console_errors(allowed=OWN_STATUS)
