"""The fault tests' fixtures: a stack of `sinmun serve` processes on a namespace of its own
(on the machine's real servers; a module may override `stack` to use others), and its auditor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.resilience.audit import Audit
from tests.resilience.stack import Stack, fault_stack


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with fault_stack(tmp_path) as stack:
        yield stack


@pytest.fixture
async def audit(stack: Stack) -> AsyncIterator[Audit]:
    async with Audit(stack.settings) as audit:
        yield audit
