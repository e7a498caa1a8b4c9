"""Check the loaded site before anything is written: render its Markdown, verify every
quote and wikilink, refuse reserved URLs, and (once the plan is made) colliding output
paths. Every problem of a run is reported together, before any output folder exists."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from .cache import code_fingerprint
from .config import Settings
from .markdown import Lookup, Rendered, make_markdown, render_page
from .models import BuildError, Event, Page, Problem, Site
from .pagekeys import MARKDOWN_KEYS
from .resolve import Linked, QuoteRecord, resolve

RESERVED_PAGE_SLUGS = frozenset(
    {"topics", "sources", "tags", "static", "search", "timeline", "pagefind"}
)


@dataclass(frozen=True)
class Checked:
    """The checked site: its resolved links, and what the next build may reuse of the work
    (the quote record, and each Markdown page's rendering by a key of what it read)."""

    linked: Linked
    quotes: QuoteRecord
    markdown: dict[str, Rendered]


def check_site(
    site: Site,
    settings: Settings,
    quotes: QuoteRecord | None = None,
    markdown: dict[str, Rendered] | None = None,
) -> Checked:
    """Render and resolve every Markdown page; raise BuildError listing every problem.

    quotes and markdown are the last build's (see Checked): pages whose key is found in
    markdown are not rendered again."""
    rendered, used = render_markdown(site, settings, markdown or {})
    linked, record, problems = resolve(site, rendered, quotes)
    problems += reserved_slugs(site)
    if problems:
        raise BuildError(problems)
    return Checked(linked, record, used)


def render_markdown(
    site: Site, settings: Settings, memo: dict[str, Rendered]
) -> tuple[list[Rendered], dict[str, Rendered]]:
    """Every Markdown page rendered (or taken from memo, keyed by everything its rendering
    reads: its own text, and the names and addresses of what it may refer to); and this
    build's renderings by key."""
    md = make_markdown(allow_raw_html=settings.allow_raw_html)
    pages = list(site.topics) + list(site.pages)
    if site.timeline:
        pages.append(site.timeline)
    lookup = Lookup.build(site.sources, pages)
    documents = ([site.home] if site.home else []) + pages
    known = {page.path: page for page in documents}
    MARKDOWN_KEYS.new_round()
    shown = (code_fingerprint(), settings.allow_raw_html, lookup.shown())
    shared = MARKDOWN_KEYS.key("lookup", shown)
    rendered = []
    used: dict[str, Rendered] = {}
    for page in documents:
        events = _events_of(site, page)
        key = MARKDOWN_KEYS.key(page.path, (shared, page, page.url_path, events))
        found = memo.get(key)
        if found is None:
            found = render_page(md, page, page.url_path, lookup, events)
        else:  # the same values, but the objects of this build (linked pages may differ)
            found = _relinked(found, page, known, events)
        used[key] = found
        rendered.append(found)
    return rendered, used


def _events_of(site: Site, page: Page) -> tuple[Event, ...]:
    """The timeline events a page shows: all on the timeline, its own on a topic."""
    if page is site.timeline:
        return site.events
    if page.section == "topics":
        return tuple(e for e in site.events if page.slug in e.topics)
    return ()


def _relinked(
    found: Rendered, page: Page, known: dict[str, Page], events: tuple[Event, ...]
) -> Rendered:
    """A remembered rendering pointing at this build's pages and events (itself when it
    does already: serve's loads give an unchanged file's very Page again)."""
    links = tuple(known.get(p.path, p) for p in found.links)
    shown = tuple((event, html) for event, (_, html) in zip(events, found.events, strict=True))
    if (
        found.page is page
        and all(a is b for a, b in zip(links, found.links, strict=True))
        and all(a[0] is b[0] for a, b in zip(shown, found.events, strict=True))
    ):
        return found
    citations = tuple(replace(c, page=page) for c in found.citations)
    return Rendered(page, found.html, citations, links, found.problems, shown)


def reserved_slugs(site: Site) -> list[Problem]:
    """Plain pages live at the top level, where the site's own sections are."""
    return [
        Problem(
            page.path,
            None,
            f"the URL {page.slug}/ is reserved",
            "rename the file or set another 'slug:'",
        )
        for page in site.pages
        if page.slug in RESERVED_PAGE_SLUGS
    ]


_checked_paths: list[list[str]] = [[]]  # the last paths found free of clashes


def check_paths(paths: list[str]) -> None:
    """Refuse a plan in which two outputs want one path, or one output's path is the
    folder of another's (serve plans the same paths again and again: the last ones found
    clear are not looked at again)."""
    if paths == _checked_paths[0]:
        return
    twice = [path for path, count in Counter(paths).items() if count > 1]
    clashing = sorted(set(twice) | (set(paths) & _parents(paths)))
    if clashing:
        raise BuildError(
            [
                Problem(
                    path,
                    None,
                    "two pages of the site want this output path",
                    "rename one of them (slug, tag or file name)",
                )
                for path in clashing
            ]
        )
    _checked_paths[0] = paths


def _parents(paths: list[str]) -> set[str]:
    """Every folder that holds an output."""
    found: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for end in range(1, len(parts) + 1):
            found.add("/".join(parts[:end]))
    return found
