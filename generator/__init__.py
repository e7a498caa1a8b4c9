"""Briefing: a static briefing-site generator.

The public API is build(): load and check everything in memory, then write it at once.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from .cache import BuildCache, input_fingerprint, theme_key
from .config import SETTINGS_FILE, Settings, load_settings
from .content import load_content, load_timeline
from .extract import CleanRequest, clean_articles
from .feeds import normalise_base_url
from .inputs import parse_yaml
from .models import BuildError, CleanedArticle, Event, Page, PartialDate, Problem, Site, Source
from .output import check_output_dir, staged_output
from .parallel import default_jobs
from .render import render_site
from .search import Bundle, Indexer, pagefind_binary, unavailable_warning
from .site import link_site
from .sources import load_sources
from .templates import make_environment, theme_dirs
from .timings import stage, take

__all__ = ["BuildError", "BuildResult", "Problem", "build", "load_site"]
__version__ = "0.1.0"


@dataclass(frozen=True)
class BuildResult:
    """What a build did; skipped means the inputs had not changed since the last build."""

    topics: int
    sources: int
    tags: int
    files_written: int
    seconds: float
    warnings: tuple[Problem, ...]
    skipped: bool = False
    url: str | None = None  # the site's address the build used, if any
    stages: tuple[tuple[str, float], ...] = ()


def load_site(
    root: Path,
    *,
    drafts: bool = False,
    base_url: str | None = None,
    default_url: str | None = None,
    clean_all: Callable[[list[CleanRequest]], list[CleanedArticle]] = clean_articles,
    parse: Callable[[str, str], Any] = parse_yaml,
) -> tuple[Settings, Site]:
    """Load and link every input; raise BuildError listing all problems found."""
    settings = load_settings(root)
    theme_dirs(root, settings.theme)  # a wrong theme: said before the sources are cleaned
    if base_url or (default_url and not settings.url):
        settings = replace(settings, url=normalise_base_url(base_url or default_url or ""))
    problems: list[Problem] = []
    sources: list[Source] = []
    home: Page | None = None
    topics: list[Page] = []
    pages: list[Page] = []
    try:
        with stage("load and clean sources"):
            sources = load_sources(
                root, max_bytes=settings.max_file_bytes, clean_all=clean_all, parse=parse
            )
    except BuildError as err:
        problems.extend(err.problems)
    events: list[Event] = []
    try:
        with stage("load content"):
            home, topics, pages = load_content(
                root, drafts=drafts, max_bytes=settings.max_file_bytes
            )
            events = load_timeline(root, topics, max_bytes=settings.max_file_bytes)
    except BuildError as err:
        problems.extend(err.problems)
    if problems:
        raise BuildError(problems)
    with stage("link"):
        return settings, link_site(sources, home, topics, pages, events)


def build(
    root: Path,
    out: Path | None = None,
    *,
    drafts: bool = False,
    base_url: str | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
    search: bool = True,
    default_url: str | None = None,
) -> BuildResult:
    """Build the site under root into out (default root/output).

    With use_cache, a build whose inputs, options and generator code are unchanged since
    the last one (and whose output is intact) is skipped, and unchanged sources are not
    cleaned again. jobs worker processes clean sources (default: one per core). The output
    is the same either way. search=False leaves the search index out, as 'search: false'
    in briefing.yaml does (the --no-search preview). default_url is the site's address
    when neither base_url nor 'url:' gives one (serve's own address).
    """
    with _young_objects_collected_only():
        return _build(root, out, drafts, base_url, use_cache, jobs, search, default_url)


@contextmanager
def _young_objects_collected_only() -> Iterator[None]:
    """A build makes millions of objects that live until it ends (the site model, the
    cache, the rendered Markdown): the collector's full passes over all of them were a
    quarter of a rebuild at 10,000 sources (1.6 of 7 s; 3.8 s of a cold build). During a
    build only the younger generations are collected (where the garbage of rendering
    pages is); full passes resume after it."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], 1_000_000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _build(
    root: Path,
    out: Path | None,
    drafts: bool,
    base_url: str | None,
    use_cache: bool,
    jobs: int | None,
    search_wanted: bool = True,
    default_url: str | None = None,
) -> BuildResult:
    jobs = jobs or default_jobs()
    started = time.perf_counter()
    take()
    root = root.resolve()
    out = (out or root / "output").resolve()
    check_output_dir(out, root)
    epoch = source_date_epoch()
    cache = BuildCache(root, enabled=use_cache)
    with stage("hash the inputs"):
        found_pagefind = pagefind_binary()
        fingerprint = input_fingerprint(
            root,
            [root / "seeds", root / "content", root / "themes"],
            [root / SETTINGS_FILE],
            # Whether Pagefind is there changes the output too (search or "unavailable").
            {
                "drafts": drafts,
                "base_url": base_url,
                "default_url": default_url,
                "epoch": epoch,
                "pagefind": found_pagefind,
                "search": search_wanted,
            },
        )
    with stage("check for changes"):
        previous = cache.unchanged_build(fingerprint, out)
    if previous is not None:
        return BuildResult(
            topics=previous["topics"],
            sources=previous["sources"],
            tags=previous["tags"],
            files_written=0,
            seconds=time.perf_counter() - started,
            warnings=tuple(Problem(**w) for w in previous["warnings"]),
            skipped=True,
            url=previous.get("url"),
            stages=take(),
        )
    settings, site = load_site(
        root,
        drafts=drafts,
        base_url=base_url,
        default_url=default_url,
        clean_all=lambda requests: cache.clean_all(requests, jobs),
        parse=cache.parse_yaml,
    )
    if not search_wanted:
        settings = replace(settings, search=False)
    dirs = theme_dirs(root, settings.theme)
    warnings: list[Problem] = []
    binary = found_pagefind if settings.search else None
    search = "off" if not settings.search else "available" if binary else "unavailable"
    if search == "unavailable":
        warnings.append(unavailable_warning())
    static_dirs = [d / "static" for d in reversed(dirs)]
    indexer = Indexer(binary, settings.language, tail=jobs) if binary else None

    def reuse(paths: list[str], key: str) -> bool:
        found = [reusable.get(path) for path in paths]
        if not all(entry and entry[0] == key for entry in found):
            return False
        for path, entry in zip(paths, found, strict=True):
            assert entry is not None
            staging.reuse(path, entry[1])
        return True

    with stage("read the cache, load templates"):
        environment = make_environment(dirs, cache.folder_for_templates())
        quotes, feed_memo, key_of_theme = cache.quotes(), cache.feed_html(), theme_key(dirs)
        reusable = cache.reusable_pages(out)
        reusable_search = cache.reusable_search(out)
        previous_files = cache.previous_files(out)
        rendered_pages, locations = cache.rendered_pages(), cache.quote_locations()
        page_digests = cache.page_digests(out)
    search_bundles: dict[str, str] = {}  # folder -> key, for the next build
    indexed: list[str] = []  # folders Pagefind writes in this build

    def index_search(bundles: list[Bundle]) -> None:
        """Reuse the last build's index parts whose pages' searchable content is unchanged;
        index the others in the background."""
        assert indexer is not None
        for bundle in bundles:
            search_bundles[bundle.folder] = bundle.key
            previous = reusable_search.get(bundle.folder)
            if previous and previous[0] == bundle.key:
                for path, size in previous[1].items():
                    staging.reuse(path, size)
            else:
                indexed.append(bundle.folder)
                site = staging.search_site(bundle.pages, bundle.folder)
                indexer.add(site, staging.path / bundle.folder, bundle)

    with staged_output(out, static_dirs, previous_files) as staging:
        try:
            linked = render_site(
                site,
                settings,
                environment,
                staging.write,
                epoch,
                search=search,
                checked=quotes,
                jobs=jobs,
                index=index_search if indexer else None,
                search_setup=f"{binary}\0{settings.language}",
                adopt=staging.adopt,
                markdown_memo=rendered_pages,
                previous=lambda path: (out / path).read_bytes(),
                locations=locations,
                digests=page_digests,
                reuse=reuse,
                theme_key=key_of_theme,
                feed_memo=feed_memo,
            )
            count = staging.commit(
                finish=(lambda _: _wait_for(indexer)) if indexer else None,
                finished=indexed,
            )
        finally:
            if indexer:
                indexer.stop()
    if not settings.url:
        warnings.append(
            Problem(
                SETTINGS_FILE,
                None,
                "no site URL: the feeds link to pages relative to their own address, and "
                "sitemap.xml and canonical links were left out",
                "set 'url:' in briefing.yaml (or pass --base-url) to the address the site is "
                "published at: feeds then carry absolute links, which every feed reader "
                "follows, and search engines get a sitemap and canonical links",
                level="warning",
            )
        )
    with stage("save cache"):
        cache.save_articles()
        cache.save_parsed_yaml()
        cache.save_rendered_pages(rendered_pages)
        cache.save_quotes(linked.checked)
        cache.save_feed_html(linked.feed_html)
        cache.save_quote_locations(linked.locations)
        cache.record_build(
            fingerprint,
            out,
            {
                "topics": len(site.topics),
                "sources": len(site.sources),
                "tags": len(site.tags),
                "warnings": [asdict(w) for w in warnings],
                "url": settings.url,
            },
            staging.sizes,
            linked.page_keys,
            search_bundles,
            linked.page_digests,
        )
    return BuildResult(
        topics=len(site.topics),
        sources=len(site.sources),
        tags=len(site.tags),
        files_written=count,
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
        url=settings.url,
        stages=take(),
    )


def _wait_for(indexer: Indexer) -> None:
    with stage("wait for the search index"):
        indexer.finish()


def source_date_epoch() -> PartialDate | None:
    """The reproducible-builds date (SOURCE_DATE_EPOCH), if set; never the clock."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return None
    try:
        moment = dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise BuildError(
            [Problem("SOURCE_DATE_EPOCH", None, f"{value!r} is not a Unix timestamp")]
        ) from None
    return PartialDate(moment.year, moment.month, moment.day)
