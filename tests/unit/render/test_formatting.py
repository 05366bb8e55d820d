"""The site's Korean newspaper conventions for times, titles and text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.render import formatting

SEED = datetime(2019, 8, 13, 21, 9, tzinfo=timezone(timedelta(hours=9)))


def test_byline_time_is_the_seed_page_stamp_in_kst_with_the_korean_weekday() -> None:
    assert formatting.byline_time(SEED) == "2019년 08월 13일(화) 21:09"
    # The same instant written in UTC reads the same on the Korean clock.
    assert formatting.byline_time(SEED.astimezone(UTC)) == "2019년 08월 13일(화) 21:09"


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 9, 6, 15, 30, tzinfo=UTC), "2026년 09월 07일(월) 00:30"),  # next day in KST
        (datetime(2026, 9, 12, 3, 0, tzinfo=UTC), "2026년 09월 12일(토) 12:00"),
        (datetime(2026, 9, 13, 3, 0, tzinfo=UTC), "2026년 09월 13일(일) 12:00"),
    ],
)
def test_byline_time_crosses_midnight_and_names_each_weekday(utc: datetime, expected: str) -> None:
    assert formatting.byline_time(utc) == expected


@pytest.mark.parametrize(
    ("kst_hour", "expected"),
    [(0, "오전 12"), (9, "오전 09"), (12, "오후 12"), (21, "오후 09"), (23, "오후 11")],
)
def test_edited_stamp_uses_a_twelve_hour_clock_with_am_pm_words(
    kst_hour: int, expected: str
) -> None:
    when = datetime(2019, 8, 21, kst_hour, 17, 4, tzinfo=formatting.KST)
    assert formatting.edited_stamp(when) == f"2019-08-21 {expected}:17:04"


def test_naive_times_are_taken_as_utc() -> None:
    assert formatting.byline_time(datetime(2019, 8, 13, 12, 9)) == "2019년 08월 13일(화) 21:09"


def test_cut_keeps_short_titles_and_ends_long_ones_in_two_dots() -> None:
    assert formatting.cut("대구중앙 중학교 큰일 해냈다", 18) == "대구중앙 중학교 큰일 해냈다"
    cut = formatting.cut("대구도시철도, 어린이·청소년 여름방학 맞아 무료 승차", 18)
    assert cut == "대구도시철도, 어린이·청소년.."
    assert len(cut) <= 18
    assert formatting.cut("  여러   칸의\n공백  ", 50) == "여러 칸의 공백"


def test_cut_never_leaves_a_space_before_the_dots() -> None:
    assert formatting.cut("가나다 라마바사아자", 6) == "가나다.."


def test_list_time_shows_the_hour_today_and_the_date_before() -> None:
    now = datetime(2026, 9, 7, 3, 0, tzinfo=UTC)  # 12:00 KST
    assert formatting.list_time(datetime(2026, 9, 7, 0, 5, tzinfo=UTC), now) == "09:05"
    assert formatting.list_time(datetime(2026, 9, 5, 0, 5, tzinfo=UTC), now) == "09.05"
    assert formatting.list_time(datetime(2025, 9, 5, 0, 5, tzinfo=UTC), now) == "2025.09.05"


def test_iso_and_http_dates() -> None:
    assert formatting.iso(SEED.astimezone(UTC)) == "2019-08-13T21:09:00+09:00"
    assert formatting.http_date(SEED) == "Tue, 13 Aug 2019 12:09:00 GMT"


def test_paragraphs_escape_text_and_keep_its_lines() -> None:
    html = formatting.paragraphs("첫 줄 <b>굵게</b>\n둘째 줄\n\n새 문단 & 끝")
    assert str(html) == ("<p>첫 줄 &lt;b&gt;굵게&lt;/b&gt;<br>둘째 줄</p><p>새 문단 &amp; 끝</p>")


def test_article_path_is_the_id() -> None:
    assert formatting.article_path("0313648983524554") == "/news/0313648983524554"


def test_xml_text_drops_only_what_xml_cannot_carry() -> None:
    """One U+FFFE in a headline made every feed it was in answer 500 (lxml refuses it)."""
    text = "포항\ufffe\uffff\x0b\x00 시청\t소식\n😀 <b>&amp;"
    assert formatting.xml_text(text) == "포항 시청\t소식\n😀 <b>&amp;"
