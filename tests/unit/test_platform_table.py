"""bench.platform's table: ratios from the row's own figures, targets judged, markdown cells."""

from __future__ import annotations

import pytest

from bench.platform_table import Row, Target, number, table, verdict

COMMAND = ".venv/bin/python -m bench.render_speed --seconds 5"


def row(**changes: object) -> Row:
    fields: dict[str, object] = {
        "area": "render", "backend": "embedded", "figure": "article page", "value": 20_000.0,
        "unit": "req/s", "command": COMMAND, "anchor": "hello world", "anchor_value": 40_000.0,
        "target": Target("≥", 0.5),
    }  # fmt: skip
    return Row(**(fields | changes))  # type: ignore[arg-type]


def test_the_ratio_is_value_over_anchor_unless_the_benchmark_gives_its_own() -> None:
    assert row().ratio == 0.5
    assert row(given_ratio=0.42).ratio == 0.42  # e.g. the median of per-round ratios
    assert row(anchor_value=None).ratio is None


@pytest.mark.parametrize(
    ("changes", "met"),
    [
        ({}, True),  # exactly on the target
        ({"value": 19_000.0}, False),
        ({"target": Target("≤", 1.2), "value": 44_000.0}, True),
        ({"target": Target("≤", 1.2), "value": 50_000.0}, False),
        ({"target": Target("≤", 100.0, on="value"), "anchor_value": None, "value": 99.0}, True),
        ({"target": Target("≥", 0.5), "anchor_value": None}, None),  # nothing to judge
        ({"target": None}, None),
    ],
)
def test_targets_are_judged_on_the_ratio_or_the_value(
    changes: dict[str, object], met: bool | None
) -> None:
    assert row(**changes).met is met


def test_numbers_get_the_decimals_their_size_needs() -> None:
    assert [number(x) for x in (20_723.4, 32.51, 3.714)] == ["20,723", "32.5", "3.71"]
    assert number(0.9504, 3) == "0.950"


def test_the_table_has_one_line_a_row_with_ratio_target_verdict_and_command() -> None:
    rows = [
        row(),
        row(figure="p50 | 1 client", value=2.4, unit="ms", anchor_value=2.0, style="times",
            target=Target("≤", 1.2)),
        row(figure="errors", value=3.0, unit="", anchor="—", anchor_value=None, digits=0,
            target=Target("≤", 0, on="value")),
    ]  # fmt: skip
    lines = table(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[2] == (
        "| render | embedded | article page | 20,000 req/s | hello world | 40,000 req/s | 50% "
        f"| ≥ 50% | yes | `{COMMAND}` |"
    )
    assert "| p50 \\| 1 client | 2.40 ms |" in lines[3]  # a | in a cell is escaped
    assert "| ×1.20 | ≤ ×1.20 | yes |" in lines[3]
    assert "| 3 | — | — | — | ≤ 0 | **no** |" in lines[4]
    assert verdict(rows) == "Targets met: 2 of 3 (not met: render embedded: errors)."
