"""One pass over the plan: decide per output whether the last build's file is kept or it is
rendered again (the one place that compares keys), render the stale ones (the source pages
in worker processes where that pays), hand every file to the writer, and index each part
of the search as soon as its pages are written, so that Pagefind runs beside the build."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .cache import PreviousBuild
from .models import Page, Source
from .output import StagingFolder
from .pages import RENDERERS, RenderContext, feed_renderer, source_feed_html, topic_feed_html
from .parallel import shared_work
from .plan import Output, Plan
from .progress import PROGRESS
from .search import Bundle, Indexer, SearchSchedule
from .timings import stage

# Below this many sources, forking workers costs more than rendering in one process.
PARALLEL_MIN_SOURCES = 200
# The most sources in one chunk of source pages (one task of a worker).
CHUNK_MAX_SOURCES = 100
# The outputs rendered by the workers (with the feed HTML of their source): all of a
# source's files, so that one process makes its folder.
SOURCE_KINDS = ("source_raw", "source", "original", "source_cite")
# The outputs made last, from the feed HTML the others' rendering made.
LATE_KINDS = ("feed", "sitemap")


@dataclass(frozen=True)
class PassResult:
    """What the pass made that the next build may reuse."""

    keys: dict[str, str]  # output path -> key
    digests: dict[str, str]  # topic and tag page -> sha256 of its bytes
    feed_html: dict[str, str]  # key -> feed item HTML the feeds carry
    search: dict[str, str]  # search index folder -> key
    indexed: list[str]  # search index folders written by this build
    deferred: tuple[Bundle, ...] = ()  # parts left as they were, to index after the build


def stale_outputs(plan: Plan, previous: PreviousBuild) -> set[str]:
    """The paths of the outputs to render: those without a key, or whose key differs from
    the one the last build's file (still intact) was rendered from."""
    return {
        output.path
        for output in plan.outputs
        if output.key is None or previous.outputs.get(output.path, ("",))[0] != output.key
    }


def run_pass(
    plan: Plan,
    previous: PreviousBuild,
    staging: StagingFolder,
    *,
    jobs: int,
    indexer: Indexer | None,
    search_setup: str,
    defer_search: bool = False,
) -> PassResult:
    """Render and write the plan's stale outputs, keep the others, index the search (or,
    with defer_search, keep the last build's parts and say which to index afterwards)."""
    stale = stale_outputs(plan, previous)
    PROGRESS.count(len(plan.outputs))
    searched = _Searching(plan, previous, staging, indexer, search_setup, defer_search)
    html = {k: v for k, v in previous.feed_html.items() if k in plan.feed_html}
    sources = _SourceChunks(plan, stale, html, searched, jobs)
    renderers = {**RENDERERS, "feed": feed_renderer(html)}
    ctx = plan.context
    # The workers start on the source pages; meanwhile this process renders the other
    # pages, then collects the source pages in order (each search shard is indexed once
    # its pages are in), rendering those no worker has started, from the last back,
    # whenever the next is not ready. Without workers the source pages come first, so
    # that Pagefind indexes their shards while this process renders the rest.
    with shared_work(sources.render, sources.chunks, sources.processes) as work:
        if sources.processes == 1:
            sources.collect(work.results())
        with stage("home, topic, index, tag and other pages"):
            for output in plan.outputs:
                late = output.kind in LATE_KINDS
                if late or (output.kind in SOURCE_KINDS and output.path in stale):
                    continue
                _one(output, ctx, renderers, stale, previous, staging, searched)
        if sources.processes > 1:
            sources.collect(work.results())
    searched.finish()
    with stage("feeds and sitemap"):
        for key, item in plan.feed_html.items():
            if key not in html:
                html[key] = _feed_item_html(ctx, item.page, item.up)
        for output in plan.outputs:
            if output.kind in LATE_KINDS:
                _one(output, ctx, renderers, stale, previous, staging, searched)
    return PassResult(
        keys={o.path: o.key for o in plan.outputs if o.key},
        digests=searched.schedule.digests,
        feed_html=html,
        search=searched.bundles,
        indexed=searched.indexed,
        deferred=tuple(searched.deferred),
    )


def _one(
    output: Output,
    ctx: RenderContext,
    renderers: dict[str, Callable[[RenderContext, str, object], bytes]],
    stale: set[str],
    previous: PreviousBuild,
    staging: StagingFolder,
    searched: _Searching,
) -> None:
    """Keep or render one output, and tell the search index about it."""
    PROGRESS.advance()
    if output.path in stale:
        data = renderers[output.kind](ctx, output.path, output.subject)
        staging.write(output.path, data)
        searched.schedule.page_written(output.path, data)
    else:
        staging.reuse(output.path, previous.outputs[output.path][1])
        searched.schedule.page_kept(output.path, lambda: staging.kept_bytes(output.path))
    if output.kind == "topic" and output is searched.last_topic:
        searched.schedule.topics_done()


def _feed_item_html(ctx: RenderContext, page: Page | Source, up: str) -> str:
    if isinstance(page, Page):
        return topic_feed_html(ctx, page, up)
    return source_feed_html(ctx, page, up)


class _Searching:
    """The search index of one pass: which part each page goes into, and Pagefind indexing
    each part, in the background, once its pages are written (or keeping the last build's
    part when its key is unchanged)."""

    def __init__(
        self,
        plan: Plan,
        previous: PreviousBuild,
        staging: StagingFolder,
        indexer: Indexer | None,
        setup: str,
        defer: bool = False,
    ):
        self.previous, self.staging, self.indexer = previous, staging, indexer
        self.defer = defer
        self.bundles: dict[str, str] = {}  # folder -> key, for the next build
        self.indexed: list[str] = []  # folders Pagefind writes in this build
        self.deferred: list[Bundle] = []  # parts to index after this build
        self.schedule = SearchSchedule(
            plan.search, self.index if indexer or defer else None, setup, previous.digests
        )
        self.schedule.source_keys.update(plan.search_keys)
        topics = [o for o in plan.outputs if o.kind == "topic"]
        self.last_topic = topics[-1] if topics else None

    def index(self, bundles: list[Bundle]) -> None:
        """Keep the last build's index parts whose pages' searchable content is unchanged;
        index the others in the background (or, deferred, keep the last build's part as
        it was, under its old key, until it is indexed after the build)."""
        for bundle in bundles:
            previous = self.previous.search.get(bundle.folder)
            if previous and previous[0] == bundle.key:
                self._keep(bundle.folder, previous)
            elif self.defer:
                self.deferred.append(bundle)
                if previous:
                    self._keep(bundle.folder, previous)
            else:
                assert self.indexer is not None
                self.bundles[bundle.folder] = bundle.key
                self.indexed.append(bundle.folder)
                site = self.staging.search_site(bundle.pages, bundle.folder)
                self.indexer.add(site, self.staging.path / bundle.folder, bundle)

    def _keep(self, folder: str, previous: tuple[str, dict[str, int]]) -> None:
        """The last build's part stays, with the key it was made from."""
        self.bundles[folder] = previous[0]
        for path, size in previous[1].items():
            self.staging.reuse(path, size)

    def finish(self) -> None:
        if self.last_topic is None:
            self.schedule.topics_done()
        self.schedule.finish()


class _SourceChunks:
    """The stale source pages in chunks, shard by shard, and rendering a chunk: its pages,
    written with the writer (a worker's copy of it, which the writer then adopts), and the
    feed HTML of its sources that the feeds carry and the last build did not make."""

    def __init__(
        self,
        plan: Plan,
        stale: set[str],
        html: dict[str, str],
        searched: _Searching,
        jobs: int,
    ):
        self.ctx, self.html, self.searched = plan.context, html, searched
        self.staging = searched.staging
        by_source: dict[str, list[Output]] = {}
        for output in plan.outputs:
            if output.kind in SOURCE_KINDS and output.path in stale:
                by_source.setdefault(output.subject.id, []).append(output)
        self.outputs = by_source
        self.missing: dict[str, list[tuple[str, str]]] = {}  # source id -> (key, up)
        for key, item in plan.feed_html.items():
            if key not in html and not isinstance(item.page, Page):
                self.missing.setdefault(item.page.id, []).append((key, item.up))
        to_render = [s for s in plan.context.site.sources if s.id in by_source]
        self.count = len(to_render)
        self.processes = jobs if len(to_render) >= PARALLEL_MIN_SOURCES else 1
        # Chunks small enough that the processes finish together (this process takes
        # the last ones once its other pages are done), large enough to cost little each.
        size = min(CHUNK_MAX_SOURCES, max(1, -(-len(to_render) // (self.processes * 8))))
        self.chunks = searched.schedule.chunks(to_render, size)

    def render(self, chunk: list[Source]) -> tuple[dict[str, str], dict[str, int]]:
        """Render a chunk's pages (in a worker, or here); return the feed HTML it made and
        the size of each file it wrote."""
        made, written = {}, {}
        for source in chunk:
            for key, up in self.missing.get(source.id, []):
                made[key] = source_feed_html(self.ctx, source, up)
            for output in self.outputs[source.id]:
                data = RENDERERS[output.kind](self.ctx, output.path, output.subject)
                self.staging.write(output.path, data)
                written[output.path] = len(data)
        return made, written

    def collect(
        self, results: Iterator[tuple[tuple[dict[str, str], dict[str, int]], bool]]
    ) -> None:
        """Take in the chunks' pages and feed HTML, and index each search shard once its
        pages are all written."""
        with stage(
            f"source pages ({self.count} of {len(self.ctx.site.sources)} rendered; the rest "
            "of the wait for the workers)"
        ):
            for number, ((made, written), here) in enumerate(results):
                self.html.update(made)
                PROGRESS.advance(len(written))
                if not here:  # a worker wrote them, with its copy of the writer
                    self.staging.adopt(written)
                self.searched.schedule.chunk_done(number)
            self.searched.schedule.chunk_done(len(self.chunks))
