"""Page numbers under a list: the current page, its neighbours, and the links to them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

WINDOW = 10


@dataclass(frozen=True)
class Pagination:
    page: int
    size: int
    total: int
    path: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls, page: int, size: int, total: int, path: str, params: Mapping[str, str] | None = None
    ) -> Pagination:
        kept = tuple((k, v) for k, v in (params or {}).items() if k != "page" and v)
        return cls(page, size, total, path, kept)

    @property
    def pages(self) -> int:
        return max((self.total + self.size - 1) // self.size, 1)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def window(self) -> range:
        """Up to ten page numbers, in blocks of ten (1–10, 11–20, …) as Korean sites do."""
        first = (self.page - 1) // WINDOW * WINDOW + 1
        return range(first, min(first + WINDOW - 1, self.pages) + 1)

    def href(self, page: int) -> str:
        params = list(self.params) + ([("page", str(page))] if page > 1 else [])
        return self.path + ("?" + urlencode(params) if params else "")
