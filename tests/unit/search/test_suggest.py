"""Autocomplete keys and plans."""

from __future__ import annotations

from services.search.hangul import to_jamo
from services.search.suggest import KEY_LENGTH, jamo_grams, plan, slip_distance, suggest_keys


def test_every_word_of_a_headline_starts_a_key_in_jamo_and_initials() -> None:
    keys = suggest_keys("포항시, 배터리 특구")
    assert keys == [
        "ㅍㅗㅎㅏㅇㅅㅣㅂㅐㅌㅓㄹㅣㅌㅡㄱㄱㅜ", "^ㅍㅎㅅㅂㅌㄹㅌㄱ",
        "ㅂㅐㅌㅓㄹㅣㅌㅡㄱㄱㅜ", "^ㅂㅌㄹㅌㄱ",
        "ㅌㅡㄱㄱㅜ", "^ㅌㄱ",
    ]  # fmt: skip
    assert all(len(k.strip("^")) <= KEY_LENGTH for k in suggest_keys("가나다라마바사 " * 20))


def test_a_plan_reads_partial_syllables_initials_and_english_keyboards() -> None:
    assert plan("포항ㅅ").prefixes == (to_jamo("포항ㅅ"),)
    assert plan("ㅍㅎㅅ").prefixes == ("^ㅍㅎㅅ",)
    assert to_jamo("포항") in plan("vhgkd").prefixes
    assert plan("포항").grams == tuple(jamo_grams("포항"))
    assert plan("포").grams == ()  # too short to guess a slip from


def test_a_slip_is_measured_in_keystrokes_against_a_headline() -> None:
    assert slip_distance(plan("치맥페스티발").strokes, "대구 치맥페스티벌 개막") == 1
    assert slip_distance(plan("포항").strokes, "대구 치맥페스티벌 개막") > 1
