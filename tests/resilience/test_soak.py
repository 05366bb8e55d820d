"""The soak harness (`bench/soak.py`) for under a minute, so CI runs its code: the four
services as separate processes on the real servers under a mixed load, then nothing may have
failed, been lost or dead-lettered. Correctness only: the rates here are low so a busy shared
machine passes, and no speed or memory figure is asserted (the 10-minute run reports those).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.soak import SoakPlan, run_soak
from bench.soak_report import report
from bench.soak_stack import SERVICES
from tests.conftest import real_server

SHORT = SoakPlan(
    seconds=45, seed_articles=80, writers=4, seed_posts=10,
    render_rate=40, render_connections=4, search_rate=10, search_connections=2,
    search_page_rate=4, search_page_connections=2, post_rate=0.5, comment_rate=1.0,
    partner_rate=4, sample_every_s=10, wrk_timeout_s=10,
)  # fmt: skip


@pytest.mark.integration
@pytest.mark.timeout(240)  # four processes starting, seeding, 45 s of load, the audit, tidying
async def test_a_short_soak_loses_nothing_and_fails_nothing(tmp_path: Path) -> None:
    for variable in ("SINMUN_KAFKA_BOOTSTRAP_SERVERS", "SINMUN_MONGO_URL", "SINMUN_SEARCH_URL"):
        real_server(variable)
    if shutil.which("wrk") is None:
        pytest.fail("wrk is missing: bash deploy/local/system-packages.sh")

    result = await run_soak(SHORT, tmp_path / "soak")
    text = report(result, SHORT, "pytest tests/resilience/test_soak.py")
    print(text)  # the figures, for a run with -s or a failing one

    assert result.errors() == {}, text
    assert result.exited == [], text
    assert result.log_errors == {}, text
    c = result.completeness
    assert c is not None
    assert c.partner_sent > 0
    assert c.partner_stored == c.partner_sent, text
    assert c.partner_searchable == c.partner_sent, text
    assert c.posts_created > 0
    assert c.posts_indexed == c.seed_posts + c.posts_created, text
    assert c.dead_letters == {}, text
    assert all(load.count > 0 for load in result.loads), text
    assert set(result.samples) == set(SERVICES)
    assert all(len(samples) >= 4 for samples in result.samples.values()), text
