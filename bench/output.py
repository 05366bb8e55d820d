"""Where a benchmark's table goes: printed, and appended to a results file when asked."""

from __future__ import annotations

from pathlib import Path


def emit(text: str, out: Path | None) -> None:
    """Print the table; append it to `out` (e.g. docs/benchmarks.md) if given."""
    print(text)
    if out is not None:
        with out.open("a", encoding="utf-8") as file:
            file.write(text)
