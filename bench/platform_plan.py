"""How large each benchmark runs inside `bench.platform`: the full run and `--quick`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    ingest_embedded_n: int  # articles per path and round (`bench.ingest_throughput -n`)
    ingest_distributed_n: int
    ingest_rounds: int
    floor_n: int  # `bench.ingest_floor -n`
    search_n: int  # articles in the query index (`bench.search_speed -n`)
    search_calls: int  # per path and concurrency level
    search_publish: int  # articles timed publish → searchable
    floor_calls: int  # `bench.search_floor --calls`
    render_seconds: float  # one wrk run (`bench.render_speed --seconds`)
    render_rounds: int
    render_publish: int  # articles timed publish → home page
    boards_seconds: float  # `bench.boards_load --seconds` (and as long for its anchor)
    views: int  # `bench.render_views --views`


# About 14 minutes for `--backend both` on the 2-core VM (the 10k search index kept from
# an earlier run; building it once adds a few minutes).
FULL = Sizes(
    ingest_embedded_n=3000, ingest_distributed_n=1000, ingest_rounds=3, floor_n=3000,
    search_n=10_000, search_calls=1000, search_publish=50, floor_calls=500,
    render_seconds=5, render_rounds=3, render_publish=50, boards_seconds=15, views=10_000,
)  # fmt: skip

# For trying the harness: a few minutes, figures too small to quote.
QUICK = Sizes(
    ingest_embedded_n=500, ingest_distributed_n=300, ingest_rounds=1, floor_n=500,
    search_n=1000, search_calls=100, search_publish=20, floor_calls=100,
    render_seconds=2, render_rounds=1, render_publish=5, boards_seconds=3, views=1000,
)  # fmt: skip
