"""One real platform and one headless Chromium for the whole e2e package (fast: not per test)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.browser import Visit, open_visit
from tests.e2e.platform import ARTIFACTS, Platform, prepare, seed, start_platform, stop_platform


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def _missing(what: str) -> None:
    message = f"{what}: run `bash deploy/local/system-packages.sh`"
    if os.environ.get("SINMUN_REQUIRE_REAL_SERVERS") == "1":  # make test / CI: never skip
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="package")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir: Path = tmp_path_factory.mktemp("e2e") / "data"
    data_dir.mkdir()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    token = prepare(data_dir)
    process, base = start_platform(data_dir, ARTIFACTS / "e2e-sinmun-up.log")
    try:
        seed_id, retracted_id, post_id = seed(base, data_dir, token)
        yield Platform(base, data_dir, token, seed_id, retracted_id, post_id)
    finally:
        code = stop_platform(process)
    assert code == 0, f"sinmun up did not stop cleanly on SIGTERM (exit {code})"


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        _missing("Debian's chromium is not installed")
    # The system browser: `playwright install` (a browser download) is never needed.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def visit(
    browser: Browser, platform: Platform, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Visit]]:
    """`visit("desktop" | "mobile")`: a fresh browser context (no cookies) at that width.
    A failed test leaves a screenshot of each of its pages as it was then."""
    opened: list[Visit] = []

    def make(viewport: str) -> Visit:
        v = open_visit(browser, platform, viewport)
        opened.append(v)
        return v

    yield make
    name = re.sub(r"\W+", "-", request.node.name)
    for n, v in enumerate(opened):
        if request.node.stash.get(FAILED, False):
            v.shot(f"FAILED-{name}-{n}")
        v.page.context.close()
