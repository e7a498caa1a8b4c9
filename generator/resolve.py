"""Resolve what rendered pages refer to: verify quotes, locate passages, backlinks, related.

Works on data only (Site + Rendered pages); problems are returned, never printed.
"""

from __future__ import annotations

import difflib
import heapq
import json
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
class QuoteRecord:
    """What the quote checks found, kept for the next build: "source id\0passage id" ->
    [raw file's sha256, the passage's text] (to explain a quote that stops verifying), and
    "article hash\0quote" -> [block, start, end] (where each quote was found)."""

    checked: dict[str, list[str]] = field(default_factory=dict)
    locations: dict[str, list[int]] = field(default_factory=dict)


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


@dataclass(frozen=True)
class Linked:
    """Everything resolved about the site, keyed for the templates; made once, never changed."""

    rendered: dict[str, Rendered]  # by page path
    passages: dict[str, list[Passage]]  # by source id
    cited_in: dict[str, list[tuple[Page, int]]]  # by source id
    backlinks: dict[str, list[Page]]  # by page path
    related: dict[str, list[Page]]  # by topic path

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
    site: Site, rendered: list[Rendered], previous: QuoteRecord | None = None
) -> tuple[Linked, QuoteRecord, list[Problem]]:
    """Verify every quote and build passages, Cited-in lists, backlinks and related topics.

    previous is the last build's QuoteRecord: its checked quotes say when a quote fails
    because its source file changed, and its locations spare searching every cited article
    again (most of this step)."""
    problems: list[Problem] = [p for r in rendered for p in r.problems]
    passages, record = _passages(site, rendered, previous or QuoteRecord(), problems)
    cited_in, backlinks = _citing_and_linking(rendered)
    by_path = {r.page.path: r for r in rendered}
    linked = Linked(
        rendered=by_path,
        passages=passages,
        cited_in=cited_in,
        backlinks=backlinks,
        related=related_topics(site.topics, by_path),
    )
    # A timeline event shown on several pages would otherwise report its problem each time.
    return linked, record, list(dict.fromkeys(problems))


def _passages(
    site: Site, rendered: list[Rendered], previous: QuoteRecord, problems: list[Problem]
) -> tuple[dict[str, list[Passage]], QuoteRecord]:
    """Locate every quoted passage (appending a problem for each quote not found)."""
    record = QuoteRecord()
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
                source = sources[citation.source_id]
                article = source.article
                memo_key = f"{article.fingerprint}\0{citation.quote}"
                found = previous.locations.get(memo_key) if article.fingerprint else None
                where = _remembered(article, citation.quote, found)
                if where is None:
                    if source.id not in forms:
                        forms[source.id] = [quote_form(b.text) for b in article.blocks]
                    where = locate_quote(article, citation.quote, forms[source.id])
                if where is None:
                    problems.append(_quote_problem(citation, source, previous.checked))
                    continue
                located[key] = where
                block, start, end = where
                if article.fingerprint:
                    record.locations[memo_key] = [block, start, end]
                record.checked[f"{source.id}\0{citation.passage_id}"] = [
                    source.raw_sha256,
                    article.blocks[block].text[start:end],
                ]
            quoting[key].append(citation)
    passages: dict[str, list[Passage]] = {}
    for (source_id, pid), (block, start, end) in sorted(located.items()):
        passages.setdefault(source_id, []).append(
            Passage(pid, source_id, block, start, end, tuple(quoting[(source_id, pid)]))
        )
    return passages, record


def _citing_and_linking(
    rendered: list[Rendered],
) -> tuple[dict[str, list[tuple[Page, int]]], dict[str, list[Page]]]:
    """The pages citing each source (and how often), and the pages linking to each page."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    pages_by_path: dict[str, Page] = {}
    backlinks: dict[str, list[Page]] = {}
    for doc in rendered:
        pages_by_path[doc.page.path] = doc.page
        for citation in doc.citations:
            counts[citation.source_id][doc.page.path] += 1
        for target in doc.links:
            linking = backlinks.setdefault(target.path, [])
            # By identity: comparing whole pages (their text) was 150,000 comparisons
            # at 1,000 topics.
            if all(page is not doc.page for page in linking):
                linking.append(doc.page)
    cited_in = {
        source_id: sorted(
            ((pages_by_path[path], n) for path, n in counter.items()),
            key=lambda item: (item[0].section != "topics", item[0].title.casefold()),
        )
        for source_id, counter in counts.items()
    }
    for pages in backlinks.values():
        pages.sort(key=lambda p: (p.section != "topics", p.title.casefold()))
    return cited_in, backlinks


def related_topics(
    topics: tuple[Page, ...], rendered: dict[str, Rendered]
) -> dict[str, list[Page]]:
    """Rank other topics by shared sources (weighted double) and shared tags."""
    cited = {
        t.path: {c.source_id for c in rendered[t.path].citations}
        for t in topics
        if t.path in rendered
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
        # slug breaks a tie of score and title (two pages are never compared)
        scored = [(-points, titles[n], topics[n].slug, topics[n]) for n, points in score.items()]
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


def graph_json(graph: dict[str, list[dict[str, Any]]]) -> bytes:
    """graph.json: one node or edge per line, so that a change shows as a changed line.

    Each line comes from json's C encoder; indented output went through its Python
    encoder instead (0.49 s for the graph of 10,000 sources, now 0.2 s)."""
    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
    parts = []
    for name in sorted(graph):
        items = ",\n".join("  " + encoder.encode(item) for item in graph[name])
        parts.append(f' "{name}": [\n{items}\n ]' if items else f' "{name}": []')
    return ("{\n" + ",\n".join(parts) + "\n}\n").encode("utf-8")
