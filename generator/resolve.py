"""Resolve what rendered pages refer to: verify quotes, locate passages, backlinks, related.

Works on data only (Site + Rendered pages); problems are returned, never printed.
"""

from __future__ import annotations

import difflib
import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from .markdown import Rendered
from .models import Block, Citation, CleanedArticle, Page, Problem, Run, Site, Source
from .site import tag_slug
from .textnorm import match_form_with_map, quote_form, split_sentences

MAX_RELATED = 5


@dataclass(frozen=True)
class Passage:
    """A quoted stretch of a source's cleaned text, and the citations that quote it."""

    id: str
    source_id: str
    block: int
    start: int
    end: int
    citations: tuple[Citation, ...]

    @property
    def citing(self) -> list[Citation]:
        """The first citation from each citing page, for links back to them."""
        first: dict[str, Citation] = {}
        for citation in self.citations:
            first.setdefault(citation.page.path, citation)
        return sorted(first.values(), key=lambda c: c.page.title.casefold())


@dataclass(frozen=True)
class Piece:
    """A unit the source template renders: a run of text, or a highlight opening/closing."""

    kind: Literal["run", "open", "close"]
    run: Run | None = None
    ids: tuple[str, ...] = ()
    passages: tuple[Passage, ...] = ()


@dataclass(frozen=True)
class CitedSource:
    """An entry of a page's Sources list."""

    number: int
    source: Source
    citations: tuple[Citation, ...]

    @property
    def quoted(self) -> list[Citation]:
        """One citation per distinct quoted passage, in reading order."""
        first: dict[str, Citation] = {}
        for citation in self.citations:
            if citation.passage_id:
                first.setdefault(citation.passage_id, citation)
        return list(first.values())


@dataclass
class Linked:
    """Everything resolved about the site, keyed for the templates."""

    rendered: dict[str, Rendered] = field(default_factory=dict)  # by page path
    passages: dict[str, list[Passage]] = field(default_factory=dict)  # by source id
    cited_in: dict[str, list[tuple[Page, int]]] = field(default_factory=dict)  # by source id
    backlinks: dict[str, list[Page]] = field(default_factory=dict)  # by page path
    related: dict[str, list[Page]] = field(default_factory=dict)  # by topic path
    # "source id\0passage id" -> [raw file's sha256, the passage's text]: what each quote
    # was verified against, kept in the cache to explain a quote that stops verifying.
    checked: dict[str, list[str]] = field(default_factory=dict)
    # output path -> key of what the page was rendered from, for reuse by the next build
    page_keys: dict[str, str] = field(default_factory=dict)
    # topic and tag page -> its bytes' sha256, for the next build's search index keys
    page_digests: dict[str, str] = field(default_factory=dict)
    # key -> feed item HTML this build used (kept in the cache for the next build)
    feed_html: dict[str, str] = field(default_factory=dict)
    # "article hash\0quote" -> [block, start, end]: where each quote was found (cache)
    locations: dict[str, list[int]] = field(default_factory=dict)

    def sources_list(self, page: Page, sources: dict[str, Source]) -> list[CitedSource]:
        by_number: dict[int, list[Citation]] = defaultdict(list)
        for citation in self.rendered[page.path].citations:
            by_number[citation.number].append(citation)
        return [
            CitedSource(n, sources[cites[0].source_id], tuple(cites))
            for n, cites in sorted(by_number.items())
        ]


def locate_quote(
    article: CleanedArticle, quote: str, forms: list[str] | None = None
) -> tuple[int, int, int] | None:
    """(block index, start, end) of the quote in the article's text, forgiving only
    whitespace, quote and dash kinds; None if it is not there.

    forms, the quote_form of each block, may be passed in when one article is searched
    for many quotes.
    """
    wanted = quote_form(quote)
    if not wanted:
        return None
    if forms is None:
        forms = [quote_form(block.text) for block in article.blocks]
    for index, form in enumerate(forms):
        if wanted in form:
            if form == article.blocks[index].text:  # already in compared form: same offsets
                found = form.find(wanted)
                return index, found, found + len(wanted)
            normal, origin = match_form_with_map(article.blocks[index].text)
            found = normal.find(wanted)
            return index, origin[found], origin[found + len(wanted) - 1] + 1
    return None


def _closest_passage(article: CleanedArticle, quote: str) -> str | None:
    """The sentence most like the quote: half how many of its words it has in order, half
    how alike the two are letter by letter (ties: the shortest)."""
    wanted = quote_form(quote).split()
    if not wanted:
        return None
    best: tuple[float, int] | None = None
    best_sentence = None
    for block in article.blocks:
        for sentence in split_sentences(block.text):
            words = quote_form(sentence).split()
            if not words:
                continue
            matcher = difflib.SequenceMatcher(None, wanted, words, autojunk=False)
            covered = sum(b.size for b in matcher.get_matching_blocks()) / len(wanted)
            alike = difflib.SequenceMatcher(
                None, " ".join(wanted), " ".join(words), autojunk=False
            ).ratio()
            score = (covered + alike, -len(words))
            if best is None or score > best:
                best, best_sentence = score, sentence
    return best_sentence


def _quote_problem(
    citation: Citation, source: Source, previous: dict[str, list[str]] | None = None
) -> Problem:
    article = source.article
    before = (previous or {}).get(f"{source.id}\0{citation.passage_id}")
    if before and before[0] != source.raw_sha256:
        closest = _closest_passage(article, citation.quote or "")
        return Problem(
            citation.file,
            citation.line,
            f"source {source.id!r} changed since this quote was checked: "
            f"{citation.quote!r} is no longer in it (file hash {before[0][:12]} -> "
            f"{source.raw_sha256[:12]})",
            f"the passage was: {before[1]!r}; the closest passage now: {closest!r}",
        )
    wanted = quote_form(citation.quote or "")
    where = f"[@{source.id}]"
    if article.title and wanted in quote_form(article.title):
        return Problem(
            citation.file,
            citation.line,
            f"quote {citation.quote!r} is in the headline of {where}, not its text",
            "quote the article's body, or cite the source without a quote",
        )
    for line in article.removed:
        if wanted and wanted in quote_form(line):
            return Problem(
                citation.file,
                citation.line,
                f"quote {citation.quote!r} occurs only in text the cleaner removed from {where} "
                f"as boilerplate: {line!r}",
                "quote the article itself; or, if this text is part of the article, add a "
                "cleaning hint for the source in seeds/sources.yaml",
            )
    closest = _closest_passage(article, citation.quote or "")
    return Problem(
        citation.file,
        citation.line,
        f"quote not found in source {source.id!r}: {citation.quote!r}",
        f"the closest passage is: {closest!r}" if closest else "the source has no text",
    )


def _group_overlapping(passages: list[Passage]) -> list[list[Passage]]:
    groups: list[list[Passage]] = []
    end = -1
    for passage in sorted(passages, key=lambda p: (p.start, -p.end, p.id)):
        if groups and passage.start < end:
            groups[-1].append(passage)
            end = max(end, passage.end)
        else:
            groups.append([passage])
            end = passage.end
    return groups


def block_pieces(block: Block, passages: list[Passage]) -> list[Piece]:
    """Split a block's runs at passage boundaries; overlapping passages share one highlight."""
    if not passages:
        return [Piece("run", run) for run in block.runs]
    events: dict[int, list[Piece]] = defaultdict(list)
    for group in _group_overlapping(passages):
        start, end = group[0].start, max(p.end for p in group)
        events[start].append(Piece("open", ids=tuple(p.id for p in group)))
        events[end].insert(0, Piece("close", ids=tuple(p.id for p in group), passages=tuple(group)))
    pieces: list[Piece] = []
    offset = 0
    for run in block.runs:
        length = 1 if run.style == "br" else len(run.text)
        cuts = sorted(k for k in events if offset <= k < offset + length)
        position = offset
        for cut in cuts:
            if cut > position and run.style != "br":
                pieces.append(
                    Piece(
                        "run", Run(run.text[position - offset : cut - offset], run.style, run.href)
                    )
                )
            pieces.extend(events.pop(cut))
            position = cut
        if run.style == "br":
            pieces.append(Piece("run", run))
        elif position < offset + length:
            pieces.append(Piece("run", Run(run.text[position - offset :], run.style, run.href)))
        offset += length
    for cut in sorted(events):
        pieces.extend(events[cut])
    return pieces


def _remembered(article: CleanedArticle, quote: str, found: Any) -> tuple[int, int, int] | None:
    """A remembered location of the quote, if it really holds it (a damaged cache is a miss)."""
    if not (
        isinstance(found, list)
        and len(found) == 3
        and all(isinstance(n, int) for n in found)
        and 0 <= found[0] < len(article.blocks)
    ):
        return None
    block, start, end = found
    if quote_form(article.blocks[block].text[start:end]) != quote_form(quote):
        return None
    return block, start, end


def resolve(
    site: Site,
    rendered: list[Rendered],
    previous: dict[str, list[str]] | None = None,
    known: dict[str, list[int]] | None = None,
) -> tuple[Linked, list[Problem]]:
    """Verify every quote and build passages, Cited-in lists, backlinks and related topics.

    previous is the last build's record of verified quotes (Linked.checked), used to say
    when a quote fails because its source file changed. known: where earlier builds found
    quotes in articles (Linked.locations), by the article's hash: searching every cited
    article again was most of this step.
    """
    linked = Linked(rendered={r.page.path: r for r in rendered})
    problems: list[Problem] = [p for r in rendered for p in r.problems]
    sources = {s.id: s for s in site.sources}

    located: dict[tuple[str, str], tuple[int, int, int]] = {}
    quoting: dict[tuple[str, str], list[Citation]] = defaultdict(list)
    forms: dict[str, list[str]] = {}  # each quoted source's blocks in quote form, made once
    for doc in rendered:
        for citation in doc.citations:
            if not citation.quote or not citation.passage_id:
                continue
            key = (citation.source_id, citation.passage_id)
            if key not in located:
                article = sources[citation.source_id].article
                memo_key = f"{article.fingerprint}\0{citation.quote}"
                found = (known or {}).get(memo_key) if article.fingerprint else None
                where = _remembered(article, citation.quote, found)
                if where is None:
                    if citation.source_id not in forms:
                        forms[citation.source_id] = [quote_form(b.text) for b in article.blocks]
                    where = locate_quote(article, citation.quote, forms[citation.source_id])
                if where is None:
                    problems.append(_quote_problem(citation, sources[citation.source_id], previous))
                    continue
                located[key] = where
                block, start, end = where
                if article.fingerprint:
                    linked.locations[memo_key] = [block, start, end]
                linked.checked[f"{citation.source_id}\0{citation.passage_id}"] = [
                    sources[citation.source_id].raw_sha256,
                    article.blocks[block].text[start:end],
                ]
            quoting[key].append(citation)
    for (source_id, pid), (block, start, end) in sorted(located.items()):
        linked.passages.setdefault(source_id, []).append(
            Passage(pid, source_id, block, start, end, tuple(quoting[(source_id, pid)]))
        )

    counts: dict[str, Counter[str]] = defaultdict(Counter)
    pages_by_path: dict[str, Page] = {}
    for doc in rendered:
        pages_by_path[doc.page.path] = doc.page
        for citation in doc.citations:
            counts[citation.source_id][doc.page.path] += 1
        for target in doc.links:
            linking = linked.backlinks.setdefault(target.path, [])
            # By identity: comparing whole pages (their text) was 150,000 comparisons
            # at 1,000 topics.
            if all(page is not doc.page for page in linking):
                linking.append(doc.page)
    for source_id, counter in counts.items():
        linked.cited_in[source_id] = sorted(
            ((pages_by_path[path], n) for path, n in counter.items()),
            key=lambda item: (item[0].section != "topics", item[0].title.casefold()),
        )
    for pages in linked.backlinks.values():
        pages.sort(key=lambda p: (p.section != "topics", p.title.casefold()))
    linked.related = related_topics(site.topics, linked)
    # A timeline event shown on several pages would otherwise report its problem each time.
    return linked, list(dict.fromkeys(problems))


def related_topics(topics: tuple[Page, ...], linked: Linked) -> dict[str, list[Page]]:
    """Rank other topics by shared sources (weighted double) and shared tags."""
    cited = {
        t.path: {c.source_id for c in linked.rendered[t.path].citations}
        for t in topics
        if t.path in linked.rendered
    }
    tags = {t.path: {tag_slug(name) for name in t.tags} for t in topics}
    # Score by counting through an index of who cites each source and carries each tag,
    # rather than by comparing every pair of topics (a million pairs at 1,000 topics).
    by_source: dict[str, list[int]] = defaultdict(list)
    by_tag: dict[str, list[int]] = defaultdict(list)
    for number, topic in enumerate(topics):
        for source_id in cited.get(topic.path, ()):
            by_source[source_id].append(number)
        for slug in tags[topic.path]:
            by_tag[slug].append(number)
    titles = [t.title.casefold() for t in topics]
    result: dict[str, list[Page]] = {}
    for number, topic in enumerate(topics):
        score: Counter[int] = Counter()
        for source_id in cited.get(topic.path, ()):
            for other in by_source[source_id]:
                score[other] += 2
        for slug in tags[topic.path]:
            for other in by_tag[slug]:
                score[other] += 1
        score.pop(number, None)
        scored = [(-points, titles[n], topics[n]) for n, points in score.items()]
        result[topic.path] = [other for *_, other in heapq.nsmallest(MAX_RELATED, scored)]
    return result


def graph_data(site: Site, linked: Linked) -> dict[str, Any]:
    """The citation and link graph: nodes (topics, sources, tags) and edges."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for topic in site.topics:
        nodes.append(
            {
                "id": f"topic:{topic.slug}",
                "type": "topic",
                "label": topic.title,
                "url": topic.url_path,
            }
        )
    for source in site.sources:
        nodes.append(
            {
                "id": f"source:{source.id}",
                "type": "source",
                "label": source.title,
                "kind": source.kind,
                "url": source.url_path,
            }
        )
    for tag in site.tags:
        nodes.append(
            {"id": f"tag:{tag.slug}", "type": "tag", "label": tag.name, "url": tag.url_path}
        )
        for topic in tag.topics:
            edges.append(
                {"source": f"topic:{topic.slug}", "target": f"tag:{tag.slug}", "type": "tagged"}
            )
        for source in tag.sources:
            edges.append(
                {"source": f"source:{source.id}", "target": f"tag:{tag.slug}", "type": "tagged"}
            )
    for topic in site.topics:
        doc = linked.rendered.get(topic.path)
        if doc is None:
            continue
        for source_id, weight in sorted(Counter(c.source_id for c in doc.citations).items()):
            edges.append(
                {
                    "source": f"topic:{topic.slug}",
                    "target": f"source:{source_id}",
                    "type": "cites",
                    "weight": weight,
                }
            )
        for target in doc.links:
            if target.section == "topics":
                edges.append(
                    {
                        "source": f"topic:{topic.slug}",
                        "target": f"topic:{target.slug}",
                        "type": "links",
                    }
                )
    return {"nodes": nodes, "edges": edges}
