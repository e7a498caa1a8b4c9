"""Link the loaded model: tags from topics and sources, ordering, site-wide checks."""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import lru_cache

from .content import timeline_page
from .models import BuildError, Event, Page, Problem, Site, Source, Tag
from .urls import unicode_slug


@lru_cache(maxsize=4096)
def tag_slug(name: str) -> str:
    """The one tag normalisation: case-folded, punctuation to hyphens, any script kept.
    (Cached: a site has few tag names, each asked for on every page that shows it.)"""
    return unicode_slug(name)


def newest_first(sources: list[Source] | tuple[Source, ...]) -> list[Source]:
    """Dated sources newest first, then undated ones, each group by title."""
    dated = sorted(
        (s for s in sources if s.date),
        key=lambda s: (s.date.sort_key, s.id),  # type: ignore[union-attr]
        reverse=True,
    )
    undated = sorted((s for s in sources if not s.date), key=lambda s: (s.title.casefold(), s.id))
    return dated + undated


def _page_sort_key(page: Page) -> tuple[str, str]:
    return (page.title.casefold(), page.slug)


def build_tags(sources: list[Source], topics: list[Page]) -> tuple[list[Tag], list[Problem]]:
    """Group topics and sources under normalised tags, named by the most common spelling."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    tagged_topics: dict[str, list[Page]] = defaultdict(list)
    tagged_sources: dict[str, list[Source]] = defaultdict(list)
    problems: list[Problem] = []
    for topic in topics:
        for name in dict.fromkeys(topic.tags):
            slug = tag_slug(name)
            if not slug:
                problems.append(
                    Problem(
                        topic.path,
                        None,
                        f"tag {name!r} has no letters or digits",
                        "use a word as a tag",
                    )
                )
                continue
            spellings[slug][name] += 1
            # Two spellings of one tag on one page: list the page once. (An identity check
            # of the last entry: comparing whole pages made this quadratic.)
            if not tagged_topics[slug] or tagged_topics[slug][-1] is not topic:
                tagged_topics[slug].append(topic)
    for source in sources:
        for name in dict.fromkeys(source.tags):
            slug = tag_slug(name)
            if not slug:
                problems.append(
                    Problem(
                        "seeds/sources.yaml",
                        source.line,
                        f"tag {name!r} has no letters or digits",
                        "use a word as a tag",
                    )
                )
                continue
            spellings[slug][name] += 1
            if not tagged_sources[slug] or tagged_sources[slug][-1] is not source:
                tagged_sources[slug].append(source)
    tags = []
    for slug, counter in spellings.items():
        name = min(counter, key=lambda spelling: (-counter[spelling], spelling))
        tags.append(
            Tag(
                slug=slug,
                name=name,
                topics=tuple(sorted(tagged_topics[slug], key=_topic_newest_key)),
                sources=tuple(newest_first(tagged_sources[slug])),
            )
        )
    tags.sort(key=lambda t: (t.name.casefold(), t.slug))
    return tags, problems


def _topic_newest_key(page: Page) -> tuple[int, int, int, str]:
    date = page.updated or page.date
    y, m, d = date.sort_key if date else (0, 0, 0)
    return (-y, -m, -d, page.title.casefold())


def link_site(
    sources: list[Source],
    home: Page | None,
    topics: list[Page],
    pages: list[Page],
    events: list[Event] | None = None,
) -> Site:
    """Assemble the Site; raise BuildError if the parts do not fit together."""
    tags, problems = build_tags(sources, topics)
    if problems:
        raise BuildError(problems)
    return Site(
        sources=tuple(newest_first(sources)),
        topics=tuple(sorted(topics, key=_page_sort_key)),
        pages=tuple(sorted(pages, key=_page_sort_key)),
        home=home,
        tags=tuple(tags),
        events=tuple(events or ()),
        timeline=timeline_page() if events else None,
    )
