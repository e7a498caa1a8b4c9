"""Long lists over numbered pages: the sources index and the tag pages of a large briefing
would otherwise be pages of megabytes, rendered again after every edit of any source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Pagination(Generic[T]):
    """One page of a list: its items, and where the other pages are (for the template)."""

    number: int  # 1 for the first page
    paths: tuple[str, ...]  # the output path of every page, first to last
    items: tuple[T, ...]
    first: int  # the position of this page's first item in the whole list, from 1
    total: int  # items in the whole list

    @property
    def path(self) -> str:
        return self.paths[self.number - 1]

    @property
    def count(self) -> int:
        return len(self.paths)

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1

    @property
    def previous(self) -> str | None:
        return self.paths[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.paths[self.number] if self.number < self.count else None

    def titled(self, title: str) -> str:
        """The page's title: the list's, with the page number after the first page."""
        return title if self.number == 1 else f"{title}, page {self.number}"

    def shown(self) -> tuple[int, tuple[str, ...], int, int]:
        """What a page shows of its pagination, besides its items (for page keys)."""
        return (self.number, self.paths, self.first, self.total)


def page_path(folder: str, number: int) -> str:
    """folder/index.html for the first page, folder/page/N/index.html for the others."""
    return f"{folder}index.html" if number == 1 else f"{folder}page/{number}/index.html"


def paginate(items: Sequence[T], per_page: int, folder: str) -> list[Pagination[T]]:
    """items split into pages of per_page (at least one page, even for no items); folder
    is where the first page goes, e.g. 'sources/'."""
    count = max(1, -(-len(items) // per_page))
    paths = tuple(page_path(folder, n) for n in range(1, count + 1))
    return [
        Pagination(
            number=n,
            paths=paths,
            items=tuple(items[(n - 1) * per_page : n * per_page]),
            first=(n - 1) * per_page + 1,
            total=len(items),
        )
        for n in range(1, count + 1)
    ]
