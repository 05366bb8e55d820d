"""What every browser test checks on a page: console errors, landmarks, alt text, labels,
the site's chrome, fitting the viewport; and screenshots kept as test artefacts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Response

from tests.e2e.platform import ARTIFACTS, SITE_NAME, Platform

SCREENSHOTS = ARTIFACTS / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "mobile": MOBILE}
# A browser's own agent: render rightly leaves bots (and "HeadlessChrome") out of 많이본 뉴스.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)

# Fields a person fills in; each needs a label a screen reader announces.
UNLABELLED_FIELDS_JS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => el.checkVisibility())  // display:none fields are out of the a11y tree
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby') && !el.getAttribute('title'))
  .map(el => el.outerHTML.slice(0, 160))"""


@dataclass
class Visit:
    """One page in one viewport, with every console error and uncaught exception it raised."""

    page: Page
    platform: Platform
    viewport: str
    errors: list[str] = field(default_factory=list)
    documents: list[tuple[str, int]] = field(default_factory=list)  # pages loaded: url, status
    requested: list[str] = field(default_factory=list)  # every URL the browser fetched

    def open(self, path: str) -> Response:
        response = self.page.goto(self.platform.url(path), wait_until="load")
        assert response is not None, path
        return response

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{self.viewport}.png"), full_page=True)

    def assert_no_console_errors(self, allowed: re.Pattern[str] | None = None) -> None:
        errors = [e for e in self.errors if not (allowed and allowed.search(e))]
        assert errors == [], f"console errors on {self.page.url}: {errors}"

    def assert_sound(self) -> None:
        """The checks every page passes: chrome, landmarks, alt, labels, fits the width."""
        page = self.page
        assert page.locator("html").get_attribute("lang") == "ko"
        assert page.title().strip(), "a page needs a <title>"
        assert page.get_by_role("banner").count() >= 1, "no header landmark"
        assert page.get_by_role("navigation").count() >= 1, "no nav landmark"
        assert page.get_by_role("main").count() == 1, "exactly one main landmark"
        assert page.get_by_role("contentinfo").count() >= 1, "no footer landmark"
        missing_alt = page.locator("img:not([alt])")
        assert missing_alt.count() == 0, (
            f"img without alt: {missing_alt.first.evaluate('e => e.outerHTML')}"
        )
        unlabelled = page.evaluate(UNLABELLED_FIELDS_JS)
        assert unlabelled == [], f"form fields without a label: {unlabelled}"
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"the page is {overflow}px wider than the {self.viewport} viewport"
        outside = [
            u for u in self.requested if not u.startswith((self.platform.base + "/", "data:"))
        ]
        assert outside == [], f"assets from outside the site: {outside}"
        self.assert_chrome()

    def assert_chrome(self) -> None:
        """Header with the site name, 최종편집, 전체기사보기; menu; footer with company details."""
        header = self.page.get_by_role("banner").first
        assert SITE_NAME in header.inner_text()
        assert "최종편집" in header.inner_text()
        assert header.get_by_role("link", name=re.compile("전체기사")).count() >= 1
        # text_content: 커뮤니티's submenu (공지사항, 자유게시판) may be folded until hovered.
        nav = " ".join(n.text_content() or "" for n in header.get_by_role("navigation").all())
        for item in ("포항", "커뮤니티", "공지사항", "자유게시판"):
            assert item in nav, f"the menu lacks {item}"
        footer = self.page.get_by_role("contentinfo").last.inner_text()
        for label in ("사업자등록번호", "청소년보호책임자", "정기간행물", "개인정보취급방침"):
            assert label in footer, f"footer lacks {label}"


def open_visit(browser: Browser, platform: Platform, viewport: str) -> Visit:
    context = browser.new_context(
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        user_agent=USER_AGENT,
        locale="ko-KR",
        timezone_id="Asia/Seoul",
        is_mobile=viewport == "mobile",
        has_touch=viewport == "mobile",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    visit = Visit(page, platform, viewport)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            visit.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_page_error(error: Error) -> None:
        visit.errors.append(f"uncaught: {error.message}")

    def on_response(response: Response) -> None:
        if response.request.resource_type == "document":
            visit.documents.append((response.url, response.status))

    page.on("response", on_response)
    page.on("request", lambda r: visit.requested.append(r.url))
    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    return visit


def log_in(v: Visit, login: str, password: str) -> None:
    """A session cookie in this visit's browser context (for pages other than /login)."""
    response = v.page.context.request.post(
        v.platform.url("/api/sessions"), data={"login": login, "password": password}
    )
    assert response.status == 200, response.text()
