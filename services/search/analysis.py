"""Korean analysis for the index and for queries: Kiwi morphology, or character bigrams.

Kiwi (kiwipiepy) splits text into morphemes, so particles and endings never block a match
(포항시는 → 포항시), and spacing does not matter (4차산업혁명 and 4차 산업혁명 give the same
tokens). Compound nouns Kiwi keeps whole (규제자유특구, 포항시) are also split into their
parts, the way nori's `mixed` mode does: the parts go to the main token stream (so phrases and
partial words match) and the whole compound to a second stream that rewards an exact match.
Queries use only the parts (nori's `discard`).

The same tokens feed both adapters (the SQLite index and Elasticsearch/OpenSearch with a
whitespace analyser), which is why the embedded index ranks like the engine.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from kiwipiepy import Kiwi

USER_DICTIONARY = Path(__file__).with_name("userdict.txt")
# Content morphemes: nouns, proper nouns, bound nouns (4차), numerals, roots, foreign words,
# numbers, hanja, verb and adjective stems.
CONTENT_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "XR", "SL", "SN", "SH", "VV", "VA"})
NOUN_TAGS = frozenset({"NNG", "NNP"})
MIN_COMPOUND_SYLLABLES = 3
QUERY_CACHE = 10_000
WORD = re.compile(r"[^\W_]+")  # letters and digits
# One-syllable heads a compound may end in (포항+시, 구미+역, 교육+청, 해수욕+장); any other
# one-syllable part means Kiwi guessed (배터+리, 페스티+벌) and the word stays whole.
SUFFIX_HEADS = frozenset("시군구동읍면역청길항도원장관소단국실과처부서")


@dataclass(frozen=True)
class Analyzed:
    """A text's tokens: `parts` (in order, decompounded) and whole `compounds`."""

    parts: tuple[str, ...]
    compounds: tuple[str, ...] = ()

    def joined(self) -> str:
        return " ".join(self.parts)

    def joined_compounds(self) -> str:
        return " ".join(self.compounds)


class Analyzer(Protocol):
    name: str

    def index(self, text: str) -> Analyzed:
        """Tokens to store for `text`."""
        ...

    def query(self, text: str) -> Analyzed:
        """Tokens to look up for a reader's `text`."""
        ...


def user_words(path: Path = USER_DICTIONARY) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return [line for line in lines if line]


def _normal(form: str) -> str:
    return unicodedata.normalize("NFC", form).lower()


class KiwiAnalyzer:
    name = "kiwi"

    def __init__(self) -> None:
        self._kiwi = Kiwi()
        self._whole = frozenset(user_words())
        for word in self._whole:
            self._kiwi.add_user_word(word, "NNP", 0.0)
        # Kiwi objects are not safe to share between threads.
        self._lock = threading.Lock()
        self._split = lru_cache(maxsize=65536)(self._split_compound)
        # Readers repeat queries (a story of the day is searched thousands of times).
        self.query = lru_cache(maxsize=QUERY_CACHE)(self._query)  # type: ignore[method-assign]

    def close(self) -> None:
        """Free Kiwi's model (about 100 MB of native memory) now. The caches refer back to this
        analyzer, a cycle only a full garbage collection would break, and a process that
        starts and stops many services (the test suite) would hold every model till then."""
        self._split.cache_clear()
        self.query.cache_clear()  # type: ignore[attr-defined]
        del self._kiwi

    def _tokens(self, text: str) -> list[tuple[str, str, int, int]]:
        with self._lock:
            tokens = self._kiwi.tokenize(unicodedata.normalize("NFC", text))
        return [(t.form, t.tag, t.start, t.start + t.len) for t in tokens]

    def _split_compound(self, form: str) -> tuple[str, ...]:
        """The parts of a compound noun Kiwi kept whole, or () when it has none: Kiwi's best
        split into nouns of two or more syllables (a last one-syllable head allowed)."""
        if form in self._whole:
            return ()
        with self._lock:
            candidates = self._kiwi.analyze(form, top_n=4)
        for tokens, _score in candidates:
            if len(tokens) < 2:
                continue
            *body, last = tokens
            if all(t.tag in NOUN_TAGS and len(t.form) >= 2 for t in body) and (
                (last.tag in NOUN_TAGS and len(last.form) >= 2)
                or (last.tag in {"NNG", "NNB", "XSN"} and last.form in SUFFIX_HEADS)
            ):
                return tuple(_normal(t.form) for t in tokens)
        return ()

    def _analyze(self, text: str, for_query: bool) -> Analyzed:
        parts: list[str] = []
        compounds: list[str] = []
        previous_end, previous_noun = -1, False
        for form, tag, start, end in self._tokens(text):
            attached = previous_noun and start == previous_end and bool(parts)
            previous_end, previous_noun = end, tag in NOUN_TAGS
            if tag == "XSN" and attached:
                # A suffix Kiwi split off (포항+시, 특+별 in 특별재생사업): a one-syllable base
                # was a misreading and becomes one word; a longer base stays a part of its own.
                if len(parts[-1]) == 1:
                    parts[-1] += _normal(form)
                else:
                    compounds.append(parts[-1] + _normal(form))
                continue
            if attached and tag in {"NNG", "NNB"} and form in SUFFIX_HEADS:
                compounds.append(parts[-1] + form)  # 포항+시 read as two nouns: as above
                if for_query:
                    continue
            if tag not in CONTENT_TAGS:
                continue
            token = _normal(form)
            split = (
                self._split(form)
                if tag in NOUN_TAGS and len(form) >= MIN_COMPOUND_SYLLABLES
                else ()
            )
            if split:
                # A query drops a compound's one-syllable head (포항시 → 포항, not 시: 시
                # matches every city); the whole compound still rewards exact matches.
                parts.extend(p for p in split if not (for_query and len(p) == 1))
                compounds.append(token)
            else:
                parts.append(token)
        return Analyzed(tuple(parts), tuple(compounds))

    def index(self, text: str) -> Analyzed:
        return self._analyze(text, for_query=False)

    def query(self, text: str) -> Analyzed:
        return self._query(text)

    def _query(self, text: str) -> Analyzed:
        return self._analyze(text, for_query=True)


class BigramAnalyzer:
    """The naive baseline: overlapping character bigrams of each word (CJK-bigram style)."""

    name = "bigram"

    def index(self, text: str) -> Analyzed:
        text = unicodedata.normalize("NFC", text)
        grams: list[str] = []
        for word in WORD.findall(text.lower()):
            grams.extend(
                [word] if len(word) < 2 else [word[i : i + 2] for i in range(len(word) - 1)]
            )
        return Analyzed(tuple(grams))

    def query(self, text: str) -> Analyzed:
        return self.index(text)
