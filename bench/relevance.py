"""Search relevance over the judged query set: corpus loading, metrics, one configuration's run.

Used by `bench.search_relevance` (the report) and by the regression test. Grades are 0/1/2;
nDCG@10 uses the gain 2^grade - 1; recall@10 and MRR count grade ≥ 1 as relevant.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.search.analysis import Analyzer
from services.search.documents import index_document
from services.search.queries import parse_query
from shared.ports.search import SearchIndex
from shared.schemas import Article, ArticleStatus, ArticleSubmission
from shared.settings import DEFAULT_SECTIONS

DATA = Path(__file__).parent.parent / "tests" / "data"
K = 10


@dataclass(frozen=True)
class JudgedQuery:
    query_id: str
    text: str
    kind: str
    judgments: Mapping[str, int]


@dataclass(frozen=True)
class Scores:
    ndcg: float
    recall: float
    mrr: float

    def as_dict(self) -> dict[str, float]:
        return {"ndcg@10": self.ndcg, "recall@10": self.recall, "mrr": self.mrr}


def corpus() -> list[Article]:
    """The 40 development articles and the relevance set's own, as stored articles."""
    lines = (DATA / "articles.jsonl").read_text("utf-8").splitlines()
    lines += (DATA / "search" / "articles_more.jsonl").read_text("utf-8").splitlines()
    articles = []
    for line in lines:
        submission = ArticleSubmission.model_validate_json(line)
        fields = submission.model_dump(exclude={"status", "published_at"})
        assert submission.published_at is not None
        articles.append(
            Article(
                **fields,
                article_id=submission.guid,
                version=1,
                status=ArticleStatus.PUBLISHED,
                published_at=submission.published_at,
            )
        )
    return articles


def judged_queries() -> list[JudgedQuery]:
    lines = (DATA / "search" / "queries.jsonl").read_text("utf-8").splitlines()
    rows: list[dict[str, Any]] = [json.loads(line) for line in lines]
    return [JudgedQuery(r["id"], r["query"], r["kind"], r["judgments"]) for r in rows]


def ndcg(ranked: Sequence[str], judgments: Mapping[str, int], k: int = K) -> float:
    def dcg(grades: Sequence[int]) -> float:
        return float(sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:k])))

    ideal = dcg(sorted(judgments.values(), reverse=True))
    return dcg([judgments.get(doc, 0) for doc in ranked]) / ideal if ideal else 0.0


def recall(ranked: Sequence[str], judgments: Mapping[str, int], k: int = K) -> float:
    relevant = {doc for doc, grade in judgments.items() if grade >= 1}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], judgments: Mapping[str, int]) -> float:
    for i, doc in enumerate(ranked):
        if judgments.get(doc, 0) >= 1:
            return 1.0 / (i + 1)
    return 0.0


def score(rankings: Mapping[str, Sequence[str]], queries: Sequence[JudgedQuery]) -> Scores:
    return Scores(
        statistics.fmean(ndcg(rankings[q.query_id], q.judgments) for q in queries),
        statistics.fmean(recall(rankings[q.query_id], q.judgments) for q in queries),
        statistics.fmean(reciprocal_rank(rankings[q.query_id], q.judgments) for q in queries),
    )


def overlap(a: Mapping[str, Sequence[str]], b: Mapping[str, Sequence[str]]) -> float:
    """Mean share of one top 10 that the other shares (|A∩B| / max(|A|, |B|))."""
    shares = [len(set(a[q][:K]) & set(b[q][:K])) / max(len(a[q][:K]), len(b[q][:K]), 1) for q in a]
    return statistics.fmean(shares)


async def load(index: SearchIndex, analyzer: Analyzer, articles: Sequence[Article]) -> None:
    await index.ensure()
    for article in articles:
        await index.upsert(index_document(article, analyzer))
    await index.refresh()


async def rank(
    index: SearchIndex, analyzer: Analyzer, queries: Sequence[JudgedQuery]
) -> dict[str, list[str]]:
    """Each query's top 10 article ids."""
    rankings: dict[str, list[str]] = {}
    for q in queries:
        parsed = parse_query({"q": q.text, "size": str(K)}, analyzer, DEFAULT_SECTIONS)
        rankings[q.query_id] = [hit.doc_id for hit in (await index.search(parsed)).hits]
    return rankings
