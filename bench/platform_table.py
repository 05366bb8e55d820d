"""The platform table: one row per figure, beside the anchor measured in the same run.

Pure: rows in, markdown out (`bench.platform` runs the benchmarks that fill the rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Style = Literal["percent", "times", "plain"]


@dataclass(frozen=True)
class Target:
    """What a row must reach: `op` applied to its ratio (`on="ratio"`) or its value."""

    op: Literal["≥", "≤"]
    threshold: float
    on: Literal["ratio", "value"] = "ratio"

    def met(self, value: float, ratio: float | None) -> bool | None:
        """Whether the figure reaches the target; None when there is no ratio to judge."""
        figure = ratio if self.on == "ratio" else value
        if figure is None:
            return None
        return figure >= self.threshold if self.op == "≥" else figure <= self.threshold


@dataclass(frozen=True)
class Row:
    """One figure of the platform. `ratio` is value / anchor_value unless given (e.g. the
    median of per-round ratios, which is what a benchmark of several rounds reports)."""

    area: str
    backend: str
    figure: str
    value: float
    unit: str
    command: str
    anchor: str = "—"
    anchor_value: float | None = None
    anchor_unit: str | None = None  # the value's unit if None
    given_ratio: float | None = None
    style: Style = "percent"
    target: Target | None = None
    digits: int | None = None

    @property
    def ratio(self) -> float | None:
        if self.given_ratio is not None:
            return self.given_ratio
        if self.anchor_value:
            return self.value / self.anchor_value
        return None

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value, self.ratio)


def number(value: float, digits: int | None = None) -> str:
    """A figure with as many decimals as its size needs (or `digits`)."""
    if digits is None:
        digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f}"


def ratio_text(ratio: float, style: Style) -> str:
    if style == "percent":
        return f"{100 * ratio:.0f}%"
    if style == "times":
        return f"×{ratio:.2f}"
    return f"{ratio:.2f}"


def target_text(row: Row) -> str:
    target = row.target
    if target is None:
        return "—"
    if target.on == "value":
        return f"{target.op} {number(target.threshold, row.digits)} {row.unit}".rstrip()
    return f"{target.op} {ratio_text(target.threshold, row.style)}"


def met_text(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "—"}[met]


COLUMNS = (
    "area", "backend", "figure", "value", "anchor (same run)", "anchor value", "ratio",
    "target", "met?", "command (reproduces the row alone)",
)  # fmt: skip


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def row_line(row: Row) -> str:
    ratio = row.ratio
    cells = [
        row.area,
        row.backend,
        row.figure,
        f"{number(row.value, row.digits)} {row.unit}".rstrip(),
        row.anchor,
        "—"
        if row.anchor_value is None
        else f"{number(row.anchor_value, row.digits)} {row.anchor_unit or row.unit}".rstrip(),
        "—" if ratio is None else ratio_text(ratio, row.style),
        target_text(row),
        met_text(row.met),
    ]
    return "| " + " | ".join(cell(c) for c in cells) + f" | `{row.command}` |"


def table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    return "\n".join([*lines, *(row_line(r) for r in rows)]) + "\n"


def verdict(rows: Sequence[Row]) -> str:
    """How many rows with a target met it, and which did not."""
    judged = [r for r in rows if r.met is not None]
    missed = [f"{r.area} {r.backend}: {r.figure}" for r in judged if not r.met]
    text = f"Targets met: {len(judged) - len(missed)} of {len(judged)}"
    return text + (f" (not met: {'; '.join(missed)})" if missed else "") + "."
