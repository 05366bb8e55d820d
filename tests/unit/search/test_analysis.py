"""Korean analysis, query parsing and snippets of the search service."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from services.search.analysis import BigramAnalyzer, KiwiAnalyzer
from services.search.documents import plain_text
from services.search.queries import MAX_QUERY_CHARS, parse_query
from services.search.snippets import snippet
from shared.errors import ServiceError
from shared.ports.search import MAX_PAGE_SIZE, SortOrder
from shared.settings import DEFAULT_SECTIONS


@pytest.fixture(scope="module")
def kiwi() -> KiwiAnalyzer:
    return KiwiAnalyzer()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("포항시는", "포항시의"),
        ("4차산업혁명", "4차 산업혁명"),
        ("규제자유특구를", "규제 자유 특구"),
        ("개최했다", "개최한"),
    ],
)
def test_inflections_and_spacing_give_the_same_tokens(kiwi: KiwiAnalyzer, a: str, b: str) -> None:
    assert kiwi.query(a).parts == kiwi.query(b).parts


def test_compounds_are_indexed_whole_and_in_parts(kiwi: KiwiAnalyzer) -> None:
    analyzed = kiwi.index("포항시는 규제자유특구를 넓힌다")
    assert {"포항", "규제", "자유", "특구"} <= set(analyzed.parts)
    assert {"포항시", "규제자유특구"} <= set(analyzed.compounds)
    # A query keeps a compound's meaningful parts but not its one-syllable head (시).
    assert kiwi.query("포항시").parts == ("포항",)


def test_user_dictionary_words_stay_whole(kiwi: KiwiAnalyzer) -> None:
    assert kiwi.index("황리단길에서 영일만까지").parts == ("황리단길", "영일만")


def test_latin_words_are_lowercased_and_kept(kiwi: KiwiAnalyzer) -> None:
    assert kiwi.index("인공지능(AI)과 KTX").parts == ("인공", "지능", "ai", "ktx")


def test_a_split_off_suffix_is_rejoined_to_a_one_syllable_base(kiwi: KiwiAnalyzer) -> None:
    # In context Kiwi reads 특별재생사업 as 특 + 별(suffix) + 재생 + 사업.
    assert kiwi.index("흥해읍 특별재생사업이 마무리").parts[:5] == (
        "흥해", "읍", "특별", "재생", "사업",
    )  # fmt: skip


def test_the_bigram_baseline_splits_words_into_pairs() -> None:
    assert BigramAnalyzer().index("포항시 AI").parts == ("포항", "항시", "ai")


def test_a_query_parses_phrases_filters_and_paging(kiwi: KiwiAnalyzer) -> None:
    query = parse_query(
        {"q": '"배터리 특구" 포항시', "section": "pohang", "sort": "latest", "page": "3",
         "size": "500", "from": "2026-09-01", "to": "2026-09-30"},
        kiwi, DEFAULT_SECTIONS,
    )  # fmt: skip
    assert query.phrases == (("배터리", "특구"),)
    assert query.phrase_texts == ("배터리 특구",)
    assert query.terms == ("배터리", "특구", "포항")
    assert (query.section, query.sort) == ("pohang", SortOrder.LATEST)
    assert (query.size, query.offset) == (MAX_PAGE_SIZE, 2 * MAX_PAGE_SIZE)
    assert query.published_from is not None and query.published_to is not None
    assert query.published_from.isoformat() == "2026-09-01T00:00:00+09:00"
    assert query.published_to.isoformat() == "2026-10-01T00:00:00+09:00"


@pytest.mark.parametrize(
    "params",
    [{"q": ""}, {"q": "가" * (MAX_QUERY_CHARS + 1)}, {"q": "!!"}, {"q": "포항", "size": "0"}],
)
def test_bad_queries_are_400(kiwi: KiwiAnalyzer, params: dict[str, str]) -> None:
    with pytest.raises(ServiceError) as caught:
        parse_query(params, kiwi, DEFAULT_SECTIONS)
    assert caught.value.status == 400


def test_snippets_mark_matches_and_escape_the_rest() -> None:
    text = "포항시는 <b>배터리</b> & 규제자유특구를 넓힌다. " + "기타 " * 60
    html = snippet(text, frozenset({"배터리", "특구", "시"}))
    assert "<mark>배터리</mark>" in html
    assert "규제자유<mark>특구</mark>" in html
    assert "<mark>시</mark>" not in html  # one syllable alone is not marked
    assert "&lt;b&gt;" in html and "&amp;" in html
    assert html.endswith("…")


def test_snippets_ignore_case_in_latin_words_and_window_the_densest_part() -> None:
    assert snippet("Pohang hosts APEC, apec again", ("apec", "포항")) == (
        "Pohang hosts <mark>APEC</mark>, <mark>apec</mark> again"
    )
    text = "배터리 " + "기타 " * 60 + "포항 특구 포항 특구 " + "기타 " * 60
    html = snippet(text, ("배터리", "포항", "특구"))
    assert html.startswith("…") and html.endswith("…")
    assert html.count("<mark>") == 4 and "<mark>배터리</mark>" not in html
    assert snippet("기타 " * 60, ("없는말",)) == "기타 " * 40 + "…"  # the lead


def test_plain_text_drops_markup_and_keeps_paragraphs() -> None:
    body = (
        '<p>첫 문단 &amp; <a href="https://x">링크</a></p><p>둘째<br>줄</p>'
        '<figure><img src="x"></figure>'
    )
    assert plain_text(body) == "첫 문단 & 링크\n둘째\n줄"


def _resident_mb() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20


def test_a_closed_analyzer_frees_its_model_without_waiting_for_the_garbage_collector() -> None:
    # Each model is ~350 MB resident; its caches make a cycle only a full collection breaks,
    # so without `close` every stopped search service kept one (the suite reached 16 GB).
    gc.disable()
    try:
        first = KiwiAnalyzer()
        first.query("포항시는")
        first.close()
        after_one = _resident_mb()
        for _ in range(3):
            analyzer = KiwiAnalyzer()
            analyzer.query("포항시는")
            analyzer.close()
        assert _resident_mb() - after_one < 250
    finally:
        gc.enable()
