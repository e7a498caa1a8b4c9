"""The data model every pipeline stage shares: plain, frozen dataclasses."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Literal

# Month names for dates shown on pages: a fixed table, not calendar.month_name, which
# follows the process's LC_TIME locale (the same inputs must give the same bytes anywhere).
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

SOURCE_KINDS = ("news", "opinion", "editorial", "analysis")
OPINION_KINDS = ("opinion", "editorial")

BlockKind = Literal["paragraph", "heading", "note", "quote", "list_item"]
RunStyle = Literal["", "em", "strong", "code", "link", "br"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located so the writer can fix it."""

    file: str
    line: int | None
    message: str
    hint: str = ""
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.level}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class BuildError(Exception):
    """Raised with every problem found, so a run reports them all at once."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems

    def __reduce__(self) -> tuple[type[BuildError], tuple[list[Problem]]]:
        # Raised in a worker process, it must arrive with its problems intact.
        return (BuildError, (self.problems,))


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the day, the month or only the year."""

    year: int
    month: int = 1
    day: int = 1
    precision: Literal["day", "month", "year"] = "day"

    @property
    def iso(self) -> str:
        if self.precision == "year":
            return f"{self.year:04d}"
        if self.precision == "month":
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def display(self) -> str:
        if self.precision == "year":
            return str(self.year)
        month = MONTH_NAMES[self.month - 1]
        if self.precision == "month":
            return f"{month} {self.year}"
        return f"{self.day} {month} {self.year}"

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month, self.day)


@dataclass(frozen=True)
class Run:
    """A stretch of inline text with one style; the body of a block is a tuple of runs."""

    text: str
    style: RunStyle = ""
    href: str | None = None


@dataclass(frozen=True)
class Block:
    """One paragraph, subheading, note, quote or list item of a cleaned article."""

    kind: BlockKind
    runs: tuple[Run, ...]

    @property
    def text(self) -> str:
        return "".join("\n" if r.style == "br" else r.text for r in self.runs)


@dataclass(frozen=True)
class CleanedArticle:
    """What the cleaner keeps of a raw file, and what it threw away (for diagnostics)."""

    title: str | None
    blocks: tuple[Block, ...]
    removed: tuple[str, ...] = ()
    byline_author: str | None = None
    byline_date: PartialDate | None = None
    # What a saved web page says about itself (meta tags, JSON-LD); None for text files.
    page_outlet: str | None = None
    page_url: str | None = None
    page_language: str | None = None
    # A hash of what the article was made from (raw bytes, cleaning options, the code), set
    # by the build cache: page keys use it instead of the article's much longer repr.
    fingerprint: str = field(default="", repr=False, compare=False)

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)


EMPTY_ARTICLE = CleanedArticle(title=None, blocks=())


@dataclass(frozen=True)
class Source:
    """A source article: its metadata from sources.yaml and its cleaned text."""

    id: str
    file: str
    title: str
    title_origin: Literal["metadata", "headline", "first sentence"]
    outlet: str | None
    author: str | None
    date: PartialDate | None
    url: str | None
    kind: str
    language: str | None
    tags: tuple[str, ...]
    note: str | None
    retrieved: PartialDate | None  # when the page was saved, if known
    article: CleanedArticle
    raw: bytes  # the seed file exactly as saved, published as the "original text"
    line: int  # where the entry starts in sources.yaml

    @cached_property
    def raw_sha256(self) -> str:
        """Computed once per source (page keys, the metadata card and the cache ask for it
        several times: 45,000 hashes a rebuild at 10,000 sources)."""
        return hashlib.sha256(self.raw).hexdigest()

    @cached_property
    def digest(self) -> str:
        """A hash of the source's metadata, and of its article by fingerprint when it has
        one (what page keys stand for it by; once per object, which serve's rebuilds keep
        while the seed files do not change)."""
        metadata = [getattr(self, name) for name in _SOURCE_METADATA]
        article = self.article.fingerprint or repr(self.article)
        return hashlib.sha256((repr(metadata) + article).encode()).hexdigest()

    @property
    def archive_url(self) -> str | None:
        """The Internet Archive's copy of the original address nearest the day it was
        retrieved (a partial date's digits: the Archive picks the nearest copy), or the
        list of its copies when that day is not known."""
        if not self.url:
            return None
        when = self.retrieved.iso.replace("-", "") if self.retrieved else "*"
        return f"https://web.archive.org/web/{when}/{self.url}"

    @property
    def is_opinion(self) -> bool:
        return self.kind in OPINION_KINDS

    @property
    def url_path(self) -> str:
        return f"sources/{self.id}/index.html"

    @property
    def raw_path(self) -> str:
        return f"sources/{self.id}/original.txt"

    @property
    def original_path(self) -> str:
        """The page showing the original text."""
        return f"sources/{self.id}/original/index.html"


# A source's fields but its article and its raw bytes (their hashes stand for them).
_SOURCE_METADATA = tuple(f.name for f in fields(Source) if f.name not in ("article", "raw"))


@dataclass(frozen=True)
class PageHead:
    """What a hand-written page says of itself besides its Markdown text."""

    slug: str
    path: str  # relative to the project root, for messages
    section: Literal["topics", "pages", "home"]
    title: str
    summary: str
    tags: tuple[str, ...]
    date: PartialDate | None
    updated: PartialDate | None
    draft: bool


@dataclass(frozen=True)
class Page(PageHead):
    """A hand-written Markdown page (topic, home overview or a plain page)."""

    body: str  # Markdown without the front matter
    body_line: int  # line in the file where the body starts

    @property
    def url_path(self) -> str:
        """Topics under topics/, plain pages at the top level (about/), home at the root."""
        if self.section == "home":
            return "index.html"
        if self.section == "pages":
            return f"{self.slug}/index.html"
        return f"topics/{self.slug}/index.html"


@dataclass(frozen=True)
class PageLink(PageHead):
    """What a list of topics (home, topics, a tag, related topics, pages linking here) is
    given of each: all but its Markdown text, so that an edit of that text leaves the pages
    listing it as they were."""

    url_path: str

    @classmethod
    def of(cls, page: Page) -> PageLink:
        head = {f.name: getattr(page, f.name) for f in fields(PageHead)}
        return cls(**head, url_path=page.url_path)


@dataclass(frozen=True)
class Tag:
    """A tag and what carries it; name is the most common spelling."""

    slug: str
    name: str
    topics: tuple[Page, ...]
    sources: tuple[Source, ...]

    @property
    def url_path(self) -> str:
        return f"tags/{self.slug}/index.html"

    @property
    def count(self) -> int:
        return len(self.topics) + len(self.sources)


@dataclass(frozen=True)
class Site:
    """The whole linked site in memory: nothing is written until this is complete."""

    sources: tuple[Source, ...]
    topics: tuple[Page, ...]
    pages: tuple[Page, ...]
    home: Page | None
    tags: tuple[Tag, ...]
    events: tuple[Event, ...] = ()
    timeline: Page | None = None  # the page that shows all events, when there are any


@dataclass(frozen=True)
class Citation:
    """One `[@id]` or `[@id "quote"]` in a page, as numbered in reading order."""

    page: Page
    file: str  # where the citation is written (the page, or content/timeline.yaml)
    line: int | None
    source_id: str
    number: int  # the source's number on this page; a source cited twice keeps it
    marker_id: str  # id of the superscript marker, e.g. "cite-3"
    quote: str | None
    passage_id: str | None  # id of the highlighted passage on the source page


@dataclass(frozen=True)
class Event:
    """A dated event of the timeline; its text is inline Markdown with citations."""

    date: PartialDate
    text: str
    tags: tuple[str, ...]
    topics: tuple[str, ...]  # slugs of the topic pages that show it
    line: int  # line of the text in content/timeline.yaml
