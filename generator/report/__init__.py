"""The editor's report (`briefing check`, `briefing --report`): what an editor would query
in a briefing, each entry with file:line, a level (error, warning, info) and one line
saying why. It is printed, never published in the site.

It runs the build's own load, link and check stages (the same errors, with file:line, as
a build), reading the build cache for cleaned sources but never writing it, and writing
no output; then reads the pages as claims (claims.py) and applies the rules (rules.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .. import load_site
from ..cache import BuildCache
from ..checks import Checked, check_site
from ..inputs import links_out_of_project
from ..markdown import Lookup, make_markdown
from ..models import BuildError, Page, Problem, Site
from ..parallel import default_jobs
from .claims import Claim, event_claim, page_claims
from .rules import LEVELS, RULES, Briefing, Finding, Rule, run_rules

__all__ = ["RULES", "Finding", "Report", "editors_report", "read_briefing"]


@dataclass(frozen=True)
class Report:
    """The findings, most serious first; errors mean the site did not load or check, and
    the rules were not run."""

    findings: tuple[Finding, ...]

    def count(self, level: str) -> int:
        return sum(1 for f in self.findings if f.level == level)

    def failed(self, strict: bool = False) -> bool:
        """Errors fail the report; warnings too when strict; information never does."""
        return bool(self.count("error") or (strict and self.count("warning")))

    def lines(self) -> list[str]:
        """The report as printed: one line per finding (errors with the build's hint), and
        a last line with the counts."""
        counts = Counter(f.level for f in self.findings)
        summary = ", ".join(_counted(counts[level], level) for level in LEVELS)
        return [str(f) for f in self.findings] + [f"editor's report: {summary}"]


def _counted(count: int, level: str) -> str:
    """'1 error', '2 warnings', '3 info'."""
    return f"{count} {level}" + ("s" if count != 1 and level != "info" else "")


def editors_report(
    root: Path, *, drafts: bool = False, jobs: int | None = None, rules: dict[str, Rule] = RULES
) -> Report:
    """The editor's report on the project at root; writes nothing."""
    root = root.resolve()
    cache = BuildCache(root)  # read for cleaned sources, never saved
    try:
        outside = links_out_of_project(root)
        if outside:
            raise BuildError(outside)
        settings, site = load_site(
            root,
            drafts=drafts,
            clean_all=partial(cache.clean_all, jobs=jobs or default_jobs()),
            parse=cache.parse_yaml,
        )
        checked = check_site(site, settings)
    except BuildError as err:
        return Report(tuple(sorted((_as_finding(p) for p in err.problems), key=lambda f: f.order)))
    briefing = read_briefing(site, checked, allow_raw_html=settings.allow_raw_html)
    return Report(tuple(run_rules(briefing, rules)))


def _as_finding(problem: Problem) -> Finding:
    """A build problem as a report entry, with its hint, as the build prints it."""
    return Finding(
        problem.level, problem.file, problem.line, "build", problem.message, problem.hint
    )


def read_briefing(site: Site, checked: Checked, *, allow_raw_html: bool = False) -> Briefing:
    """The claims of the reported pages and the timeline, with what the checks resolved."""
    md = make_markdown(allow_raw_html=allow_raw_html)
    pages = list(site.topics) + list(site.pages)
    sources = Lookup.build(site.sources, pages).sources
    rendered = checked.linked.rendered
    claims: list[Claim] = []
    for page in ([site.home] if site.home else []) + pages:
        if _reported(page, rendered[page.path].citations):
            claims += page_claims(md, page, sources)
    claims += [event_claim(md, event, sources) for event in site.events]
    cited = Counter(c.source_id for r in rendered.values() for c in r.citations)
    return Briefing(
        claims=tuple(claims),
        sources=site.sources,
        topics=site.topics,
        cited=dict(cited),
        page_citations={
            t.path: tuple(c.source_id for c in rendered[t.path].citations) for t in site.topics
        },
        spans={
            (p.source_id, p.id): (p.block, p.start, p.end)
            for passages in checked.linked.passages.values()
            for p in passages
        },
    )


def _reported(page: Page, citations: tuple[object, ...]) -> bool:
    """The home page and topics report the news; a plain page does only if it cites."""
    return page.section != "pages" or bool(citations)
