"""Briefing: a static briefing-site generator.

The public API is build(). A build is a pipeline, each stage a module: load (sources.py,
content.py), link (site.py), check (checks.py), plan (plan.py), render and write
(schedule.py, pages.py, output.py), index (search.py), record (cache.py). Everything is
loaded and checked in memory before any output folder is made.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from .cache import CACHE_DIR, BuildCache, BuildRecord, PreviousBuild, input_fingerprint, theme_key
from .checks import Checked, check_paths, check_site
from .config import SETTINGS_FILE, Settings, load_settings
from .content import load_content, load_timeline
from .extract import CleanRequest, clean_articles
from .feeds import normalise_base_url
from .inputs import links_out_of_project, parse_yaml
from .lock import DEFAULT_WAIT_S, BuildLock
from .models import BuildError, CleanedArticle, Event, Page, PartialDate, Problem, Site, Source
from .output import StagingFolder, check_output_dir, remove_leftovers, staged_output
from .parallel import default_jobs
from .plan import Plan, make_plan
from .schedule import PassResult, run_pass
from .search import Bundle, Indexer, pagefind_binary, unavailable_warning
from .site import link_site
from .sources import SeedsSeen, load_sources, seeds_identity
from .templates import make_environment, theme_dirs, theme_static
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
    notes: tuple[str, ...] = ()  # what the build ignored (a damaged cache), for -v
    stages: tuple[tuple[str, float], ...] = ()


def load_site(
    root: Path,
    *,
    drafts: bool = False,
    base_url: str | None = None,
    default_url: str | None = None,
    clean_all: Callable[[list[CleanRequest]], list[CleanedArticle]] = clean_articles,
    parse: Callable[[str, str], Any] = parse_yaml,
    seen: SeedsSeen | None = None,
) -> tuple[Settings, Site]:
    """Load and link every input; raise BuildError listing all problems found. seen: what
    this process loaded from seeds/ last (serve), taken again if no seed file changed."""
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
            sources = _sources(root, settings, clean_all, parse, seen)
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


def _sources(
    root: Path,
    settings: Settings,
    clean_all: Callable[[list[CleanRequest]], list[CleanedArticle]],
    parse: Callable[[str, str], Any],
    seen: SeedsSeen | None,
) -> list[Source]:
    """The sources: those seen last if no file in seeds/ changed since, else loaded (each
    unchanged seed file's source taken as it was)."""
    # The settings as a last row, named as no file can be (a NUL).
    identity = seeds_identity(root) + ((f"\0max_file_bytes {settings.max_file_bytes}", 0, 0, 0, 0),)
    if seen and seen.identity == identity:
        return seen.sources
    sources = load_sources(
        root,
        max_bytes=settings.max_file_bytes,
        clean_all=clean_all,
        parse=parse,
        unchanged=seen.unchanged(identity) if seen else lambda name: None,
    )
    if seen is not None:
        seen.identity, seen.sources = identity, sources
    return sources


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
    wait: float = DEFAULT_WAIT_S,
    waiting: Callable[[str], None] = lambda message: None,
) -> BuildResult:
    """Build the site under root into out (default root/output).

    With use_cache, a build whose inputs, options and generator code are unchanged since
    the last one (and whose output is intact) is skipped, and only what changed is made
    again. jobs processes (this one and jobs - 1 forked workers) clean sources and render
    their pages (default: one per core). The output is the same either way. search=False
    leaves the search index out, as 'search: false' in briefing.yaml does (the --no-search
    preview). default_url is the site's address when neither base_url nor 'url:' gives one
    (serve's own address).
    One build of a project runs at a time: another waits up to `wait` seconds (telling
    waiting() so), then fails.
    """
    options = BuildOptions(drafts, base_url, default_url, search, jobs or default_jobs())
    root = root.resolve()
    out = (out or root / "output").resolve()
    lock = BuildLock(root / CACHE_DIR, wait)
    if use_cache:  # without the cache, a build leaves no file of its own in the project
        lock.acquire(waiting)
    try:
        with _young_objects_collected_only():
            return _build(root, out, options, BuildCache(root, enabled=use_cache)).result
    finally:
        lock.release()


@dataclass(frozen=True)
class BuildOptions:
    """What the command line decides about a build (everything else is in its inputs)."""

    drafts: bool
    base_url: str | None
    default_url: str | None
    search: bool
    jobs: int
    # serve's builds: something changed (no whole-build skip is tried), and the search
    # parts whose pages changed are indexed after the build; until then, the last
    # build's parts stay in the output.
    live: bool = False


@dataclass(frozen=True)
class DeferredSearch:
    """The search index parts a build left to index after it (serve's builds)."""

    bundles: tuple[Bundle, ...]
    binary: Path
    language: str


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


@dataclass(frozen=True)
class Built:
    """What _build() did: its result and, unless it was skipped, its record, and the search
    index parts it left to index after it (serve's builds)."""

    result: BuildResult
    record: BuildRecord | None = None
    deferred: DeferredSearch | None = None


def _build(
    root: Path,
    out: Path,
    options: BuildOptions,
    cache: BuildCache,
    previous: PreviousBuild | None = None,
    seen: SeedsSeen | None = None,
) -> Built:
    """load, link, check, plan, render and write, index, record. previous: what the last
    build left, and seen: the sources it loaded, when the caller holds them (serve); else
    the cache is read and every seed file loaded."""
    started, _ = time.perf_counter(), take()
    check_output_dir(out, root)
    outside = links_out_of_project(root)
    if outside:
        raise BuildError(outside)
    pagefind = pagefind_binary()
    fingerprint = "" if options.live else _fingerprint(root, options, pagefind)
    with stage("check for changes"):
        summary = cache.unchanged_build(fingerprint, out) if fingerprint else None
    if summary is not None:
        return Built(_result(summary, 0, started, skipped=True))
    settings, site = _load(root, options, cache, seen)
    if previous is None:
        with stage("read the cache"):
            previous = cache.previous(out)
    with stage("markdown, citations and quotes"):
        checked = check_site(site, settings, previous.quotes, previous.markdown)
    search = "off" if not settings.search else "available" if pagefind else "unavailable"
    with stage("plan"):
        plan = _plan(root, site, settings, checked, cache, search)
        check_paths(plan.paths)
    if cache.enabled:  # the lock is held: what a killed build left can go
        remove_leftovers(out)
    with staged_output(out, previous.files, previous.spare_differs) as staging:
        done, count = _write(plan, previous, staging, options, pagefind, search, cache.forget)
    summary = _summary(site, settings, search)
    record = _record(fingerprint, summary, staging, done, checked)
    if not options.live:
        with stage("save cache"):
            cache.save(out, record)
    late = None
    if done.deferred and pagefind:
        late = DeferredSearch(done.deferred, pagefind, settings.language)
    return Built(replace(_result(summary, count, started), notes=tuple(cache.notes)), record, late)


def _load(
    root: Path, options: BuildOptions, cache: BuildCache, seen: SeedsSeen | None
) -> tuple[Settings, Site]:
    """Load and link the site, cleaning only what the cache does not hold."""
    settings, site = load_site(
        root,
        drafts=options.drafts,
        base_url=options.base_url,
        default_url=options.default_url,
        clean_all=partial(cache.clean_all, jobs=options.jobs),
        parse=cache.parse_yaml,
        seen=seen,
    )
    return replace(settings, search=settings.search and options.search), site


def _write(
    plan: Plan,
    previous: PreviousBuild,
    staging: StagingFolder,
    options: BuildOptions,
    pagefind: Path | None,
    search: str,
    swapping: Callable[[], None],
) -> tuple[PassResult, int]:
    """Render the stale outputs into staging, index the search beside them (serve: after
    the build), and put the new site in place (calling swapping() just before); the
    pass's result and the file count."""
    language = plan.context.settings.language
    later = options.live and search == "available"
    indexer = None
    if pagefind and search != "off" and not later:
        indexer = Indexer(pagefind, language, options.jobs)
    try:
        done = run_pass(
            plan,
            previous,
            staging,
            jobs=options.jobs,
            indexer=indexer,
            search_setup=f"{pagefind}\0{language}",
            defer_search=later,
        )
        count = staging.commit(
            finish=partial(_wait_for, indexer) if indexer else None,
            finished=done.indexed,
            swapping=swapping,
        )
    finally:
        if indexer:
            indexer.stop()
    return done, count


def _fingerprint(root: Path, options: BuildOptions, pagefind: Path | None) -> str:
    """A hash of every input, the code and the options that change the output (whether
    Pagefind is there does too: search or "unavailable")."""
    with stage("hash the inputs"):
        return input_fingerprint(
            root,
            [root / "seeds", root / "content", root / "themes"],
            [root / SETTINGS_FILE],
            {
                "drafts": options.drafts,
                "base_url": options.base_url,
                "default_url": options.default_url,
                "epoch": source_date_epoch(),
                "pagefind": pagefind,
                "search": options.search,
            },
        )


def _plan(
    root: Path, site: Site, settings: Settings, checked: Checked, cache: BuildCache, search: str
) -> Plan:
    """The plan of the checked site, with the theme's templates and static files."""
    dirs = theme_dirs(root, settings.theme)
    return make_plan(
        site,
        checked.linked,
        settings,
        make_environment(dirs, cache.folder_for_templates()),
        theme_key=theme_key(dirs),
        static=theme_static(dirs),
        site_date=source_date_epoch() or newest_date(site) or PartialDate(1970, 1, 1),
        search=search,
    )


def _summary(site: Site, settings: Settings, search: str) -> dict[str, Any]:
    """Counts, warnings and the site's address: what a skipped build reports again."""
    warnings = [unavailable_warning()] if search == "unavailable" else []
    if not settings.url:
        warnings.append(NO_URL_WARNING)
    return {
        "topics": len(site.topics),
        "sources": len(site.sources),
        "tags": len(site.tags),
        "warnings": [asdict(w) for w in warnings],
        "url": settings.url,
    }


def _record(
    fingerprint: str,
    summary: dict[str, Any],
    staging: StagingFolder,
    done: PassResult,
    checked: Checked,
) -> BuildRecord:
    return BuildRecord(
        fingerprint=fingerprint,
        summary=summary,
        files=staging.sizes,
        spare_differs=staging.differs,
        keys=done.keys,
        search=done.search,
        digests=done.digests,
        feed_html=done.feed_html,
        markdown=checked.markdown,
        quotes=checked.quotes,
    )


def _result(
    summary: dict[str, Any], count: int, started: float, *, skipped: bool = False
) -> BuildResult:
    return BuildResult(
        topics=summary["topics"],
        sources=summary["sources"],
        tags=summary["tags"],
        files_written=count,
        seconds=time.perf_counter() - started,
        warnings=tuple(Problem(**w) for w in summary["warnings"]),
        skipped=skipped,
        url=summary.get("url"),
        stages=take(),
    )


NO_URL_WARNING = Problem(
    SETTINGS_FILE,
    None,
    "no site URL: the feeds link to pages relative to their own address, and "
    "sitemap.xml and canonical links were left out",
    "set 'url:' in briefing.yaml (or pass --base-url) to the address the site is "
    "published at: feeds then carry absolute links, which every feed reader "
    "follows, and search engines get a sitemap and canonical links",
    level="warning",
)


def _wait_for(indexer: Indexer, folder: Path) -> None:
    """Wait until the search index is written into the staging folder."""
    with stage("wait for the search index"):
        indexer.finish()


def newest_date(site: Site) -> PartialDate | None:
    """The most recent date in the content: the site's date when SOURCE_DATE_EPOCH is unset."""
    dates = [d for t in site.topics for d in (t.date, t.updated) if d]
    dates += [s.date for s in site.sources if s.date]
    dates += [e.date for e in site.events]
    return max(dates, key=lambda d: d.sort_key) if dates else None


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
