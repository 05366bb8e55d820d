"""Search relevance: nDCG@10, recall@10 and MRR of every analysis option, on both indexes.

    .venv/bin/python -m bench.search_relevance [--update-baseline]

Options: Kiwi tokens (the default), nori inside the engine (`mixed` at index, `discard` at
query, the user dictionary), and the naive baseline of character bigrams. Each runs on the
embedded index (SQLite FTS5) and, when SINMUN_SEARCH_URL names an OpenSearch, on the engine.
Also reports how much the embedded index's top 10 overlaps the engine's. Appends a table to
docs/benchmarks.md; `--update-baseline` rewrites the figures the regression test holds to.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.output import emit
from bench.relevance import DATA, corpus, judged_queries, load, overlap, rank, score
from services.search.analysis import Analyzer, BigramAnalyzer, KiwiAnalyzer, user_words
from shared.adapters.engine_client import engine_client
from shared.adapters.engine_search import EngineSearchIndex
from shared.adapters.sqlite_search import SqliteSearchIndex
from shared.ports.search import SearchIndex

ROOT = Path(__file__).parent.parent
BASELINE = DATA / "search" / "relevance_baseline.json"


async def run(url: str | None) -> dict[str, Any]:
    """Every configuration on the embedded index, and on the engine at `url` if given."""
    articles, queries = corpus(), judged_queries()
    analyzers: dict[str, Analyzer] = {"kiwi": KiwiAnalyzer(), "bigram": BigramAnalyzer()}
    configs: list[tuple[str, str, str]] = [
        ("embedded", "kiwi", "tokens"),
        ("embedded", "bigram", "tokens"),
    ]
    if url:
        configs += [
            ("engine", "kiwi", "tokens"),
            ("engine", "bigram", "tokens"),
            ("engine", "kiwi", "nori"),
        ]
    rankings: dict[str, dict[str, list[str]]] = {}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for where, analysis, profile in configs:
            name = f"{where}/{'nori' if profile == 'nori' else analysis}"
            analyzer = analyzers[analysis]
            index: SearchIndex
            if where == "embedded":
                index = SqliteSearchIndex(Path(tmp) / f"{analysis}.sqlite3")
            else:
                assert url is not None
                index = EngineSearchIndex(
                    engine_client("opensearch", url), alias=f"bench-{uuid.uuid4().hex[:8]}",
                    profile=profile, user_words=user_words(),
                )  # fmt: skip
            await load(index, analyzer, articles)
            started = time.perf_counter()
            rankings[name] = await rank(index, analyzer, queries)
            elapsed = time.perf_counter() - started
            by_kind: dict[str, list[Any]] = defaultdict(list)
            for q in queries:
                by_kind[q.kind].append(q)
            results[name] = {
                **score(rankings[name], queries).as_dict(),
                "by_kind": {k: score(rankings[name], qs).ndcg for k, qs in sorted(by_kind.items())},
                "ms_per_query": 1000 * elapsed / len(queries),
            }
            if isinstance(index, EngineSearchIndex):
                await index.drop_generation("1")
            await index.close()
    overlaps = {}
    if "engine/kiwi" in rankings:
        overlaps["embedded/kiwi vs engine/kiwi"] = overlap(
            rankings["embedded/kiwi"], rankings["engine/kiwi"]
        )
        overlaps["embedded/bigram vs engine/bigram"] = overlap(
            rankings["embedded/bigram"], rankings["engine/bigram"]
        )
    return {
        "articles": len(articles),
        "queries": len(queries),
        "results": results,
        "overlap": overlaps,
    }


def report(outcome: dict[str, Any], command: str) -> str:
    lines = [
        f"\n### Search relevance ({time.strftime('%Y-%m-%d')}, {outcome['articles']} articles, "
        f"{outcome['queries']} judged queries)\n",
        f"Command: `{command}` (with `.local/servers.env` sourced for the engine rows)\n",
        "| index / analysis | nDCG@10 | recall@10 | MRR | ms/query |",
        "|---|---|---|---|---|",
    ]
    for name, r in outcome["results"].items():
        lines.append(
            f"| {name} | {r['ndcg@10']:.3f} | {r['recall@10']:.3f} | {r['mrr']:.3f} | "
            f"{r['ms_per_query']:.1f} |"
        )
    kinds = sorted({k for r in outcome["results"].values() for k in r["by_kind"]})
    lines += ["", "nDCG@10 by query kind:", "", "| index / analysis | " + " | ".join(kinds) + " |",
              "|---|" + "---|" * len(kinds)]  # fmt: skip
    for name, r in outcome["results"].items():
        lines.append(f"| {name} | " + " | ".join(f"{r['by_kind'][k]:.2f}" for k in kinds) + " |")
    if outcome["overlap"]:
        lines += ["", "Top-10 overlap (mean |A∩B| / max(|A|, |B|) per query):", ""]
        lines += [f"- {pair}: {value:.2f}" for pair, value in outcome["overlap"].items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--update-baseline", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    outcome = asyncio.run(run(os.environ.get("SINMUN_SEARCH_URL")))
    command = ".venv/bin/python -m bench.search_relevance"
    text = report(outcome, command)
    emit(text, args.out)
    if args.update_baseline:
        baseline = {name: round(r["ndcg@10"], 4) for name, r in outcome["results"].items()}
        BASELINE.write_text(json.dumps(baseline, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
