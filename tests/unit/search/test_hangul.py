"""Unit tests for the Hangul helpers behind search autocomplete."""

from __future__ import annotations

import random
import unicodedata

import pytest

from services.search.hangul import (
    choseong,
    edit_distance,
    hangul_to_qwerty,
    is_choseong_query,
    looks_like_mistyped_korean,
    prefix_distance,
    qwerty_to_hangul,
    to_jamo,
)

WORDS = [
    "포항시",
    "경주",
    "대구",
    "구미",
    "안동",
    "황리단길",
    "영일만",
    "괜찮다",
    "읽다",
    "닭갈비",
    "값",
    "넓다",
    "외국인",
    "의사",
    "뷁",
    "쌍둥이",
    "꿇다",
    "없다",
    "삶",
    "흙",
    # double consonants as finals and initials, ㅒ ㅖ (shifted keys), compound finals before vowels
    "있었다",
    "밖에",
    "얘기",
    "예술",
    "따뜻하다",
    "빨래",
    "짜장면",
    "앉아",
    "많이",
    "닭이",
    "읽어",
    "훑어",
    "읊어",
    "싫어",
    "없어",
]


# --- to_jamo -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("포항ㅅ", "ㅍㅗㅎㅏㅇㅅ"),
        ("포항시", "ㅍㅗㅎㅏㅇㅅㅣ"),
        ("괜찮", "ㄱㅗㅐㄴㅊㅏㄴㅎ"),
        ("", ""),
        ("가", "ㄱㅏ"),  # no final
        ("뷁", "ㅂㅜㅔㄹㄱ"),
        ("의사", "ㅇㅡㅣㅅㅏ"),
        ("쌍둥이", "ㅆㅏㅇㄷㅜㅇㅇㅣ"),  # double consonants stay one key
        ("값", "ㄱㅏㅂㅅ"),
        ("KTX 구미역", "ktx ㄱㅜㅁㅣㅇㅕㄱ"),
        ("4차 산업혁명", "4ㅊㅏ ㅅㅏㄴㅇㅓㅂㅎㅕㄱㅁㅕㅇ"),
        ("포항, 경주!", "ㅍㅗㅎㅏㅇ, ㄱㅕㅇㅈㅜ!"),
        ("新聞 É", "新聞 É"),  # only ASCII is lowercased
    ],
)
def test_to_jamo(text: str, expected: str) -> None:
    assert to_jamo(text) == expected


def test_to_jamo_partial_word_is_prefix_of_full_word() -> None:
    assert to_jamo("포항시").startswith(to_jamo("포항ㅅ"))
    assert to_jamo("괜찮다").startswith(to_jamo("괜찮"))
    assert to_jamo("닭갈비").startswith(to_jamo("닭ㄱ"))


@pytest.mark.parametrize(
    ("compound", "keys"),
    [
        ("ㄳ", "ㄱㅅ"),
        ("ㄵ", "ㄴㅈ"),
        ("ㄶ", "ㄴㅎ"),
        ("ㄺ", "ㄹㄱ"),
        ("ㄻ", "ㄹㅁ"),
        ("ㄼ", "ㄹㅂ"),
        ("ㄽ", "ㄹㅅ"),
        ("ㄾ", "ㄹㅌ"),
        ("ㄿ", "ㄹㅍ"),
        ("ㅀ", "ㄹㅎ"),
        ("ㅄ", "ㅂㅅ"),
        ("ㅘ", "ㅗㅏ"),
        ("ㅙ", "ㅗㅐ"),
        ("ㅚ", "ㅗㅣ"),
        ("ㅝ", "ㅜㅓ"),
        ("ㅞ", "ㅜㅔ"),
        ("ㅟ", "ㅜㅣ"),
        ("ㅢ", "ㅡㅣ"),
    ],
)
def test_to_jamo_splits_standalone_compounds(compound: str, keys: str) -> None:
    assert to_jamo(compound) == keys


@pytest.mark.parametrize("double", ["ㄲ", "ㄸ", "ㅃ", "ㅆ", "ㅉ"])
def test_to_jamo_keeps_double_consonants(double: str) -> None:
    assert to_jamo(double) == double


def test_to_jamo_normalises_decomposed_input() -> None:
    nfd = unicodedata.normalize("NFD", "포항시 괜찮다")
    assert nfd != "포항시 괜찮다"
    assert to_jamo(nfd) == to_jamo("포항시 괜찮다")


def test_to_jamo_converts_leftover_conjoining_jamo() -> None:
    # A lone initial, a lone medial, a lone compound final (ᆪ = ㄳ) and a filler before a vowel.
    assert to_jamo("\u1100 \u1161 \u11aa \u115f\u1161") == "ㄱ ㅏ ㄱㅅ ㅏ"


def test_to_jamo_every_syllable_is_keystrokes_only() -> None:
    keys = set("ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎㅏㅐㅑㅒㅓㅔㅕㅖㅗㅛㅜㅠㅡㅣ")
    for code in range(0xAC00, 0xD7A4):
        jamo = to_jamo(chr(code))
        assert 2 <= len(jamo) <= 5
        assert set(jamo) <= keys


# --- choseong ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("포항시 AI", "ㅍㅎㅅ ai"),
        ("", ""),
        ("KTX 구미역", "ktx ㄱㅁㅇ"),
        ("4차 산업혁명", "4ㅊ ㅅㅇㅎㅁ"),
        ("경주, 대구!", "ㄱㅈ ㄷㄱ"),
        ("쌍둥이", "ㅆㄷㅇ"),
        ("ㅍㅎ시", "ㅍㅎㅅ"),  # typed consonants are kept
        ("ㅏ新聞", ""),  # vowels and other scripts are dropped
    ],
)
def test_choseong(text: str, expected: str) -> None:
    assert choseong(text) == expected


def test_choseong_normalises_decomposed_input() -> None:
    assert choseong(unicodedata.normalize("NFD", "황리단길")) == "ㅎㄹㄷㄱ"


# --- is_choseong_query ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ㅍㅎㅅ", True),
        ("ㅍ ㅎ ", True),
        ("ㄲㄸㅃㅆㅉ", True),
        ("ㄳ", True),
        ("\u1111\u1112", True),  # conjoining initials
        ("", False),
        ("   ", False),
        ("ㅍㅏ", False),
        ("포항", False),
        ("ㅍㅎa", False),
        ("ㅍㅎ1", False),
    ],
)
def test_is_choseong_query(text: str, expected: bool) -> None:
    assert is_choseong_query(text) is expected


# --- qwerty_to_hangul ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("dkssud", "안녕"),
        ("vhgkd", "포항"),
        ("rmfl", "그리"),
        ("dlfrdj", "읽어"),
        ("gksrmf", "한글"),
        ("ekfr", "닭"),
        ("ekfrk", "달가"),  # the second half of a compound final moves
        ("ekfrdl", "닭이"),
        ("rhkd", "광"),  # compound vowel
        ("qnpfr", "뷁"),
        ("Tkdenddl", "쌍둥이"),
        ("dPtnf", "예술"),
        ("DKSSUD", "안녕"),  # capitals other than Q W E R T O P are their lowercase keys
        ("dkssud gktpdy", "안녕 하세요"),
        ("dkssud, rmfl!", "안녕, 그리!"),
        ("4ck tksdjqguraud", "4차 산업혁명"),
        ("dkssud123", "안녕123"),
        ("", ""),
        ("ktx", "ㅏㅅㅌ"),
        ("hello", "ㅗ디ㅣㅐ"),
        ("r", "ㄱ"),
        ("rt", "ㄱㅅ"),  # lone consonants are not merged into ㄳ
        ("hk", "ㅘ"),  # a lone compound vowel
        ("rkE", "가ㄸ"),  # ㄸ cannot be a final
        ("안녕", "안녕"),  # non-ASCII passes through
    ],
)
def test_qwerty_to_hangul(typed: str, expected: str) -> None:
    assert qwerty_to_hangul(typed) == expected


# --- hangul_to_qwerty ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("안녕", "dkssud"),
        ("포항", "vhgkd"),
        ("쌍둥이", "Tkdenddl"),
        ("괜찮다", "rhoscksgek"),
        ("얘기", "dOrl"),
        ("KTX 구미역", "ktx rnaldur"),
        ("", ""),
    ],
)
def test_hangul_to_qwerty(text: str, expected: str) -> None:
    assert hangul_to_qwerty(text) == expected


@pytest.mark.parametrize("word", WORDS)
def test_keyboard_round_trip(word: str) -> None:
    assert qwerty_to_hangul(hangul_to_qwerty(word)) == word


@pytest.mark.parametrize("text", ["4차 산업혁명", "포항시, 경주시!", "대구 (1) 구미"])
def test_keyboard_round_trip_with_digits_and_punctuation(text: str) -> None:
    assert qwerty_to_hangul(hangul_to_qwerty(text)) == text


def test_keyboard_round_trip_every_syllable() -> None:
    for code in range(0xAC00, 0xD7A4):
        assert qwerty_to_hangul(hangul_to_qwerty(chr(code))) == chr(code)


def test_keyboard_round_trip_random_syllable_runs() -> None:
    rng = random.Random(20240601)
    for _ in range(3000):
        word = "".join(chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(rng.randint(2, 5)))
        assert qwerty_to_hangul(hangul_to_qwerty(word)) == word


# --- looks_like_mistyped_korean ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vhgkd", True),
        ("dkssud", True),
        ("dkssud gktpdy", True),
        ("rk", True),
        ("ktx", False),
        ("apec", False),
        ("hello", False),
        ("", False),
        ("r", False),
        ("k k", False),  # two letters, but lone vowels
        ("  ", False),
        ("dkssud1", False),
        ("dkssud!", False),
        ("안녕", False),
    ],
)
def test_looks_like_mistyped_korean(text: str, expected: bool) -> None:
    assert looks_like_mistyped_korean(text) is expected


@pytest.mark.parametrize("word", WORDS)
def test_looks_like_mistyped_korean_for_every_typed_word(word: str) -> None:
    typed = hangul_to_qwerty(word)
    assert looks_like_mistyped_korean(typed) is (len(typed) >= 2)


# --- edit_distance -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("", "abc", 3),
        ("abc", "abc", 0),
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("포항", "포힝", 1),
        (to_jamo("포항"), to_jamo("포힝"), 1),
        (to_jamo("경주"), to_jamo("겅주"), 1),
    ],
)
def test_edit_distance(a: str, b: str, expected: int) -> None:
    assert edit_distance(a, b) == expected
    assert edit_distance(b, a) == expected


# --- prefix_distance -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "word", "expected"),
    [
        (to_jamo("포힝"), to_jamo("포항시"), 1),
        (to_jamo("포항ㅅ"), to_jamo("포항시"), 0),
        ("abc", "abcdef", 0),
        ("abd", "abcdef", 1),
        ("xbc", "abcdef", 1),
        ("abcdef", "abc", 3),
        ("", "abc", 0),
        ("abc", "", 3),
        ("", "", 0),
    ],
)
def test_prefix_distance(query: str, word: str, expected: int) -> None:
    assert prefix_distance(query, word) == expected


def test_prefix_distance_is_min_over_prefixes() -> None:
    rng = random.Random(7)
    for _ in range(300):
        query = "".join(rng.choice("abc") for _ in range(rng.randint(0, 6)))
        word = "".join(rng.choice("abc") for _ in range(rng.randint(0, 8)))
        brute = min(edit_distance(query, word[:end]) for end in range(len(word) + 1))
        assert prefix_distance(query, word) == brute
