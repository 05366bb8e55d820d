"""Hangul helpers for search autocomplete: jamo, initial consonants, keyboard fixes, typo distance.

Unicode arithmetic
------------------
The 11,172 modern precomposed syllables (U+AC00 가 to U+D7A3 힣) are laid out in a fixed order,
so a syllable is computed rather than looked up::

    syllable = 0xAC00 + (initial * 21 + medial) * 28 + final

with ``initial`` in 0..18 (ㄱ ㄲ ㄴ … ㅎ), ``medial`` in 0..20 (ㅏ ㅐ ㅑ … ㅣ) and ``final`` in
0..27, where 0 means "no final" and 1..27 are ㄱ ㄲ ㄳ … ㅎ. Going back is two ``divmod`` calls:
``initial, rest = divmod(code - 0xAC00, 21 * 28)`` and ``medial, final = divmod(rest, 28)``.

Every jamo returned here is a Hangul *compatibility* jamo (U+3131-U+3163), the characters an
IME shows for a lone letter. Conjoining jamo (U+1100-U+11FF, as found in NFD text) are
NFC-composed first; any left over are mapped to their compatibility twins.

The 2-beolsik (dubeolsik) keyboard has no key for the compound finals (ㄳ ㄺ …) or compound
vowels (ㅘ ㅢ …): they are typed as two keys. :func:`to_jamo` splits them the same way, so the
jamo string of a half-typed word ("포항ㅅ") is a prefix of the jamo string of the full word
("포항시"), which is what prefix-matching autocomplete needs.
"""

from __future__ import annotations

import unicodedata
from typing import Final

_SYLLABLE_FIRST: Final = 0xAC00
_SYLLABLE_LAST: Final = 0xD7A3
_MEDIALS_TIMES_FINALS: Final = 21 * 28
_FINALS: Final = 28

_CHOSEONG: Final = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_JUNGSEONG: Final = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_JONGSEONG: Final[tuple[str, ...]] = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")

# Conjoining jamo blocks (modern letters only) in the same order as the tables above.
_CONJOINING_INITIAL_FIRST: Final = 0x1100  # ᄀ
_CONJOINING_MEDIAL_FIRST: Final = 0x1161  # ᅡ
_CONJOINING_FINAL_FIRST: Final = 0x11A8  # ᆨ
_CONJOINING_FILLERS: Final = frozenset({"\u115f", "\u1160"})

_COMPAT_CONSONANT_FIRST: Final = 0x3131  # ㄱ
_COMPAT_CONSONANT_LAST: Final = 0x314E  # ㅎ
_COMPAT_VOWEL_FIRST: Final = 0x314F  # ㅏ
_COMPAT_VOWEL_LAST: Final = 0x3163  # ㅣ

# Compound letters and the two keys that type them on a 2-beolsik keyboard.
_SPLIT: Final[dict[str, str]] = {
    "ㄳ": "ㄱㅅ",
    "ㄵ": "ㄴㅈ",
    "ㄶ": "ㄴㅎ",
    "ㄺ": "ㄹㄱ",
    "ㄻ": "ㄹㅁ",
    "ㄼ": "ㄹㅂ",
    "ㄽ": "ㄹㅅ",
    "ㄾ": "ㄹㅌ",
    "ㄿ": "ㄹㅍ",
    "ㅀ": "ㄹㅎ",
    "ㅄ": "ㅂㅅ",
    "ㅘ": "ㅗㅏ",
    "ㅙ": "ㅗㅐ",
    "ㅚ": "ㅗㅣ",
    "ㅝ": "ㅜㅓ",
    "ㅞ": "ㅜㅔ",
    "ㅟ": "ㅜㅣ",
    "ㅢ": "ㅡㅣ",
}
# Two keys -> the compound they make ("ㄱㅅ" -> "ㄳ", "ㅗㅏ" -> "ㅘ").
_JOIN: Final[dict[str, str]] = {keys: compound for compound, keys in _SPLIT.items()}

# 2-beolsik layout: unshifted letters, then the shifted letters that type something else.
_KEYS: Final[dict[str, str]] = {
    **dict(
        zip(
            "qwertyuiopasdfghjklzxcvbnm",
            "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔㅁㄴㅇㄹㅎㅗㅓㅏㅣㅋㅌㅊㅍㅠㅜㅡ",
            strict=True,
        )
    ),
    **dict(zip("QWERTOP", "ㅃㅉㄸㄲㅆㅒㅖ", strict=True)),
}
_KEY_FOR: Final[dict[str, str]] = {jamo: key for key, jamo in _KEYS.items()}


def _is_syllable(char: str) -> bool:
    return _SYLLABLE_FIRST <= ord(char) <= _SYLLABLE_LAST


def _is_vowel(jamo: str) -> bool:
    return _COMPAT_VOWEL_FIRST <= ord(jamo) <= _COMPAT_VOWEL_LAST


def _is_consonant(jamo: str) -> bool:
    return _COMPAT_CONSONANT_FIRST <= ord(jamo) <= _COMPAT_CONSONANT_LAST


def _to_compat(char: str) -> str:
    """A conjoining jamo as its compatibility jamo ('' for a filler); anything else unchanged."""
    if char in _CONJOINING_FILLERS:
        return ""
    code = ord(char)
    if 0 <= code - _CONJOINING_INITIAL_FIRST < len(_CHOSEONG):
        return _CHOSEONG[code - _CONJOINING_INITIAL_FIRST]
    if 0 <= code - _CONJOINING_MEDIAL_FIRST < len(_JUNGSEONG):
        return _JUNGSEONG[code - _CONJOINING_MEDIAL_FIRST]
    if 0 <= code - _CONJOINING_FINAL_FIRST < len(_JONGSEONG) - 1:
        return _JONGSEONG[code - _CONJOINING_FINAL_FIRST + 1]
    return char


def _decompose(syllable: str) -> tuple[str, str, str]:
    """The (initial, medial, final) compatibility jamo of a syllable; final may be ''."""
    initial, rest = divmod(ord(syllable) - _SYLLABLE_FIRST, _MEDIALS_TIMES_FINALS)
    medial, final = divmod(rest, _FINALS)
    return _CHOSEONG[initial], _JUNGSEONG[medial], _JONGSEONG[final]


def _compose(initial: str, medial: str, final: str = "") -> str:
    """The precomposed syllable for compatibility jamo (compound letters, not key pairs)."""
    index = (_CHOSEONG.index(initial) * 21 + _JUNGSEONG.index(medial)) * _FINALS
    return chr(_SYLLABLE_FIRST + index + _JONGSEONG.index(final))


def to_jamo(text: str) -> str:
    """Spell ``text`` as 2-beolsik keystrokes, in compatibility jamo.

    Syllables are decomposed, compound finals and vowels are split into their two keys
    (ㄳ -> ㄱㅅ, ㅘ -> ㅗㅏ; the double consonants ㄲ ㄸ ㅃ ㅆ ㅉ are single keys and stay),
    standalone jamo are split the same way, ASCII is lowercased and everything else passes
    through. ``to_jamo("괜찮") == "ㄱㅗㅐㄴㅊㅏㄴㅎ"``.
    """
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char.isascii():
            out.append(char.lower())
            continue
        letters = "".join(_decompose(char)) if _is_syllable(char) else _to_compat(char)
        out.extend(_SPLIT.get(letter, letter) for letter in letters)
    return "".join(out)


def choseong(text: str) -> str:
    """The initial consonant of each syllable: ``choseong("포항시 AI") == "ㅍㅎㅅ ai"``.

    Whitespace is kept as it is, ASCII letters and digits are kept lowercased, standalone
    consonants that can start a syllable (ㄱ ㄲ … ㅎ) are kept, and everything else (vowels,
    punctuation, other scripts) is dropped.
    """
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if _is_syllable(char):
            out.append(_decompose(char)[0])
        elif char.isspace():
            out.append(char)
        elif char.isascii() and char.isalnum():
            out.append(char.lower())
        elif (jamo := _to_compat(char)) and jamo in _CHOSEONG:
            out.append(jamo)
    return "".join(out)


def is_choseong_query(text: str) -> bool:
    """Whether ``text`` (ignoring whitespace) is non-empty and only compatibility consonants.

    Any consonant ㄱ-ㅎ counts, double (ㄲ) and compound (ㄳ) ones included: an IME typing
    ``ㄱ`` then ``ㅅ`` often shows ``ㄳ``, so compare such queries through :func:`to_jamo`.
    """
    letters = "".join(_to_compat(char) for char in "".join(text.split()))
    return bool(letters) and all(_is_consonant(letter) for letter in letters)


class _Composer:
    """A 2-beolsik IME: feed it jamo, it builds syllables the way a Korean keyboard does."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.initial = ""
        self.medial = ""
        self.final = ""

    def flush(self) -> None:
        """End the syllable being typed: a full syllable, or lone jamo when it has no vowel."""
        if self.initial and self.medial:
            self.out.append(_compose(self.initial, self.medial, self.final))
        else:
            self.out.append(self.initial + self.medial)  # a final needs both, so it is ''
        self.initial = self.medial = self.final = ""

    def consonant(self, jamo: str) -> None:
        """Take a consonant as a final (or second half of a compound final), or start anew."""
        if self.initial and self.medial:
            if not self.final and jamo in _JONGSEONG:
                self.final = jamo
                return
            compound = _JOIN.get(self.final + jamo) if self.final else None
            if compound:
                self.final = compound
                return
        self.flush()
        self.initial = jamo

    def vowel(self, jamo: str) -> None:
        """Take a vowel: compound it, or pull the final (or its last half) into a new syllable."""
        if self.final:
            keys = _SPLIT.get(self.final, self.final)
            self.final, moved = keys[:-1], keys[-1]
            self.flush()
            self.initial, self.medial = moved, jamo
            return
        if self.medial:
            compound = _JOIN.get(self.medial + jamo)
            if compound:
                self.medial = compound
                return
            self.flush()
        self.medial = jamo


def qwerty_to_hangul(text: str) -> str:
    """Korean typed with the keyboard in English mode, as the Hangul it meant.

    Letters are read on the 2-beolsik layout (shifted Q W E R T O P are ㅃ ㅉ ㄸ ㄲ ㅆ ㅒ ㅖ,
    other capitals are their lowercase keys) and composed like an IME: ``dkssud`` -> 안녕,
    ``ekfr`` -> 닭, ``dlfrdj`` -> 읽어. Any other character passes through and ends the
    syllable; jamo that never became a syllable stay as compatibility jamo (``ktx`` -> ㅏㅅㅌ).
    Lone consonants are not merged (``rt`` -> ㄱㅅ, not ㄳ).
    """
    composer = _Composer()
    for char in text:
        jamo = _KEYS.get(char) or (_KEYS.get(char.lower()) if char.isascii() else None)
        if jamo is None:
            composer.flush()
            composer.out.append(char)
        elif _is_vowel(jamo):
            composer.vowel(jamo)
        else:
            composer.consonant(jamo)
    composer.flush()
    return "".join(composer.out)


def hangul_to_qwerty(text: str) -> str:
    """The keys typing ``text`` on a 2-beolsik keyboard in English mode (포항 -> ``vhgkd``).

    The inverse of :func:`qwerty_to_hangul` for Hangul: double consonants and ㅒ ㅖ become
    shifted (capital) letters. Other characters pass through :func:`to_jamo` (ASCII lowercased).
    """
    return "".join(_KEY_FOR.get(jamo, jamo) for jamo in to_jamo(text))


def looks_like_mistyped_korean(text: str) -> bool:
    """Whether ``text`` is probably Korean typed with the keyboard left in English mode.

    Heuristic: the text is only ASCII letters and spaces, has at least two letters, and
    :func:`qwerty_to_hangul` turns it into complete syllables only (plus spaces). Most English
    words leave lone jamo behind (``hello`` -> ㅗ디ㅣㅐ, ``ktx`` -> ㅏㅅㅌ), but some short ones
    do compose (``to`` -> 새, ``the`` -> 솓), so check the conversion against the index too.
    """
    if not text or any(char != " " and not (char.isascii() and char.isalpha()) for char in text):
        return False
    if sum(char != " " for char in text) < 2:
        return False
    return all(char == " " or _is_syllable(char) for char in qwerty_to_hangul(text))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest single-character inserts, deletes and substitutions."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def prefix_distance(query: str, word: str) -> int:
    """The smallest edit distance between ``query`` and any prefix of ``word`` (empty included).

    For typo-tolerant autocomplete on :func:`to_jamo` strings:
    ``prefix_distance(to_jamo("포힝"), to_jamo("포항시")) == 1``. It is the last row of the
    Levenshtein table of ``query`` against ``word``, whose cells are the distances from the
    whole query to each prefix of the word: O(len(query) * len(word)) time.
    """
    row = list(range(len(query) + 1))  # distances from query[:i] to the empty prefix
    best = row[-1]
    for j, char_w in enumerate(word, start=1):
        current = [j]
        for i, char_q in enumerate(query, start=1):
            current.append(min(row[i] + 1, current[i - 1] + 1, row[i - 1] + (char_q != char_w)))
        row = current
        best = min(best, row[-1])
    return best
