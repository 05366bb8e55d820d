"""Who counts as a reader, the visitor pseudonym, and view buckets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.render.most_viewed import ViewPublisher, bucket_of, client_class, visitor_hash
from shared.adapters.local_bus import LocalBus
from shared.schemas import ClientClass

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
NAVER_APP = (
    "Mozilla/5.0 (Linux; Android 14; SM-S921N) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36 NAVER(inapp; search; 2000; 12.8.5)"
)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (CHROME, ClientClass.DESKTOP),
        (IPHONE, ClientClass.MOBILE),
        (NAVER_APP, ClientClass.MOBILE),
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            ClientClass.BOT,
        ),
        ("Mozilla/5.0 (compatible; Yeti/1.1; +https://naver.me/spd)", ClientClass.BOT),
        (
            "Mozilla/5.0 (compatible; Daum/4.1; +http://cs.daum.net/faq/15/4118.html)",
            ClientClass.BOT,
        ),
        (
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            ClientClass.BOT,
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0",
            ClientClass.BOT,
        ),
        ("kakaotalk-scrap/1.0; +https://devtalk.kakao.com/", ClientClass.BOT),
        ("curl/8.5.0", ClientClass.BOT),
        ("Python/3.11 aiohttp/3.14.5", ClientClass.BOT),
        ("", ClientClass.BOT),
        ("SomeReader/1.0", ClientClass.OTHER),
    ],
)
def test_client_class(agent: str, expected: ClientClass) -> None:
    assert client_class(agent) is expected


def test_visitor_hash_is_stable_and_not_the_id() -> None:
    a = visitor_hash("7f0c1e2d-visitor-cookie")
    assert a == visitor_hash("7f0c1e2d-visitor-cookie")
    assert len(a) == 32 and "visitor" not in a
    assert a != visitor_hash("another-cookie")


def test_buckets_are_ten_minutes() -> None:
    t = datetime(2026, 9, 2, 1, 19, 59, tzinfo=UTC)
    assert bucket_of(t) == bucket_of(datetime(2026, 9, 2, 1, 10, tzinfo=UTC))
    assert bucket_of(datetime(2026, 9, 2, 1, 20, tzinfo=UTC)) - bucket_of(t) == 10


async def test_a_replica_publishes_a_readers_reloads_once(tmp_path: Path) -> None:
    publisher = ViewPublisher(LocalBus(tmp_path / "bus.sqlite3"), dedup=timedelta(minutes=30))
    for _ in range(3):
        await publisher.record_view("2026090200000001", "pohang", "cookie-1", CHROME)
    await publisher.record_view("2026090200000002", "pohang", "cookie-1", CHROME)
    await publisher.record_view("2026090200000001", "pohang", "cookie-2", CHROME)
    await publisher.record_view("2026090200000001", "pohang", "cookie-3", "Googlebot/2.1")
    assert publisher.pending == 3


async def test_after_the_window_a_reload_is_published_again(tmp_path: Path) -> None:
    publisher = ViewPublisher(LocalBus(tmp_path / "bus.sqlite3"), dedup=timedelta(seconds=0.05))
    await publisher.record_view("2026090200000001", "pohang", "cookie-1", CHROME)
    await asyncio.sleep(0.06)
    await publisher.record_view("2026090200000001", "pohang", "cookie-1", CHROME)
    assert publisher.pending == 2
