"""Headline autocomplete for Korean as readers type it.

Every headline gets *keys*: from each word on, the rest of the headline as keystrokes (jamo,
`to_jamo`) and as initial consonants (`choseong`), without spaces and cut to KEY_LENGTH. A
query matches a headline when its own keystrokes (or its 초성) are a prefix of one of its keys:
`포항ㅅ` (ㅍㅗㅎㅏㅇㅅ) completes 포항시…, `ㅍㅎㅅ` too, and `배터` completes a headline
whose second word is 배터리. Korean typed on an English keyboard (`vhgkd`) is converted
first. For slips, a headline's *grams* (jamo bigrams) find candidates that the service then
keeps when the query is within one keystroke edit of a key's beginning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.search.hangul import (
    choseong,
    is_choseong_query,
    looks_like_mistyped_korean,
    prefix_distance,
    qwerty_to_hangul,
    to_jamo,
)

KEY_LENGTH = 30
MIN_FUZZY_KEYSTROKES = 4
WORD = re.compile(r"[0-9A-Za-z\uac00-\ud7a3\u3131-\u318e]+")


def _keystrokes(text: str) -> str:
    return "".join(to_jamo(text).split())


def _initials(text: str) -> str:
    return "".join(choseong(text).split())


def suggest_keys(headline: str) -> list[str]:
    words = WORD.findall(headline)
    keys: list[str] = []
    for i in range(len(words)):
        rest = " ".join(words[i:])
        keys.append(_keystrokes(rest)[:KEY_LENGTH])
        keys.append("^" + _initials(rest)[:KEY_LENGTH])  # 초성 keys live in their own space
    return list(dict.fromkeys(k for k in keys if k.strip("^")))


def jamo_grams(text: str) -> list[str]:
    strokes = _keystrokes(text)
    return [strokes[i : i + 2] for i in range(len(strokes) - 1)] or ([strokes] if strokes else [])


@dataclass(frozen=True)
class SuggestPlan:
    """What to look up for a typed prefix: key prefixes, and grams for slips."""

    prefixes: tuple[str, ...]
    grams: tuple[str, ...]
    strokes: tuple[str, ...]  # the keystroke readings a slip is measured against


def plan(typed: str) -> SuggestPlan:
    typed = typed.strip()
    readings = [typed]
    if looks_like_mistyped_korean(typed):
        readings.append(qwerty_to_hangul(typed))
    prefixes: list[str] = []
    strokes: list[str] = []
    for reading in readings:
        if is_choseong_query(reading):
            prefixes.append("^" + _initials(reading))
        else:
            prefixes.append(_keystrokes(reading))
            strokes.append(_keystrokes(reading))
    grams = [g for s in strokes if len(s) >= MIN_FUZZY_KEYSTROKES for g in jamo_grams(s)]
    return SuggestPlan(
        tuple(dict.fromkeys(p for p in prefixes if p.strip("^"))),
        tuple(dict.fromkeys(grams)),
        tuple(strokes),
    )


def slip_distance(strokes: tuple[str, ...], headline: str) -> int:
    """The fewest keystroke edits between the query and the beginning of a headline key."""
    keys = [k for k in suggest_keys(headline) if not k.startswith("^")]
    return min((prefix_distance(s, k) for s in strokes for k in keys), default=99)
