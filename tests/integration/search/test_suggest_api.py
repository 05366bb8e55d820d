"""`/api/search/suggest`: partial syllables, 초성, English-keyboard Korean, slips."""

from __future__ import annotations

from typing import Any

from tests.integration.search.conftest import Platform, corpus
from tests.integration.search.test_search_api import load


async def suggestions(platform: Platform, q: str) -> list[str]:
    response = await platform.client.get("/api/search/suggest", params={"q": q})
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return [s["headline"] for s in body["suggestions"]]


CASES = [
    ("포항ㅅ", "포항시, 배터리 규제자유특구 2단계 확대 추진"),  # a syllable being typed
    ("포항시 인", "포항시 인공지능(AI) 행정 도입, 민원 처리 시간 절반으로"),
    ("ㅍㅎㅅ", "포항시, 배터리 규제자유특구 2단계 확대 추진"),  # 초성
    ("vhgkd", "포항 스틸러스, 홈 최종전서 역전승"),  # 포항 on an English keyboard
    ("규제자", "포항시, 배터리 규제자유특구 2단계 확대 추진"),  # from the third word
    ("치맥페스티발", "대구 치맥페스티벌 방문객 100만 명 돌파"),  # one jamo slipped
    ("KTX", "구미 KTX 정차 재추진, 구미역 시설 개선"),
]


async def test_suggestions_complete_what_readers_type(platform: Platform) -> None:
    await load(platform, corpus())  # once for every case: loading is the slow part
    missed = {}
    for typed, expected in CASES:
        found = await suggestions(platform, typed)
        assert len(found) <= 8
        if expected not in found:
            missed[typed] = found
    assert not missed
    assert await suggestions(platform, "ㅋㅋㅋㅋㅋ") == []  # nothing like it: nothing
    assert await suggestions(platform, "zzzqqq") == []


async def test_empty_or_long_input_is_a_400(platform: Platform) -> None:
    for q in ("", " ", "가" * 51):
        response = await platform.client.get("/api/search/suggest", params={"q": q})
        assert response.status == 400
        assert (await response.json())["error"]["details"][0]["field"] == "q"
