"""Briefing: a static briefing-site generator.

The public API is build(): load and check everything in memory, then write it at once.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from .config import SETTINGS_FILE, Settings, load_settings
from .content import load_content, load_timeline
from .feeds import normalise_base_url
from .models import BuildError, Event, Page, PartialDate, Problem, Site, Source
from .output import check_output_dir, write_site
from .render import render_site
from .site import link_site
from .sources import load_sources
from .templates import make_environment, theme_dirs

__all__ = ["BuildError", "BuildResult", "Problem", "build", "load_site"]
__version__ = "0.1.0"


@dataclass(frozen=True)
class BuildResult:
    site: Site
    files_written: int
    seconds: float
    warnings: tuple[Problem, ...]


def load_site(
    root: Path, *, drafts: bool = False, base_url: str | None = None
) -> tuple[Settings, Site]:
    """Load and link every input; raise BuildError listing all problems found."""
    settings = load_settings(root)
    if base_url:
        settings = replace(settings, url=normalise_base_url(base_url))
    problems: list[Problem] = []
    sources: list[Source] = []
    home: Page | None = None
    topics: list[Page] = []
    pages: list[Page] = []
    try:
        sources = load_sources(root, max_bytes=settings.max_file_bytes)
    except BuildError as err:
        problems.extend(err.problems)
    events: list[Event] = []
    try:
        home, topics, pages = load_content(root, drafts=drafts, max_bytes=settings.max_file_bytes)
        events = load_timeline(root, topics, max_bytes=settings.max_file_bytes)
    except BuildError as err:
        problems.extend(err.problems)
    if problems:
        raise BuildError(problems)
    return settings, link_site(sources, home, topics, pages, events)


def build(
    root: Path, out: Path | None = None, *, drafts: bool = False, base_url: str | None = None
) -> BuildResult:
    """Build the site under root into out (default root/output)."""
    started = time.perf_counter()
    root = root.resolve()
    out = (out or root / "output").resolve()
    check_output_dir(out, root)
    settings, site = load_site(root, drafts=drafts, base_url=base_url)
    dirs = theme_dirs(root, settings.theme)
    files = render_site(site, settings, make_environment(dirs), source_date_epoch())
    static_dirs = [d / "static" for d in reversed(dirs)]
    count = write_site(files, static_dirs, out)
    warnings = list(site.warnings)
    if not settings.url:
        warnings.append(
            Problem(
                SETTINGS_FILE,
                None,
                "no site URL: feeds, sitemap.xml and canonical links were not written",
                "set 'url:' in briefing.yaml or pass --base-url https://example.org/briefing/",
                level="warning",
            )
        )
    return BuildResult(site, count, time.perf_counter() - started, tuple(warnings))


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
