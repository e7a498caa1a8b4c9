"""A deterministic synthetic corpus in Briefing's format, and the same content for Hugo and
Pelican, so that the three generators can be timed on equal work.

Articles carry the boilerplate the cleaner removes (crumbs, a repeated headline, ads,
captions, a teaser, comment prompts); topic pages cite them with `[@id]` and with quotes
that really occur in the cleaned text, link each other with wikilinks, and carry tags.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

WORDS = (
    "minister talks sanctions trade border ceasefire summit envoy pipeline grain ports "
    "parliament coalition budget inflation tariffs exports drones artillery reserves "
    "negotiators observers refugees elections regulators markets shipping insurers banks "
    "provinces governors analysts diplomats spokesman agreement statement treaty corridor "
    "convoy airspace satellite imagery evidence officials allies partners monitoring energy "
    "reactor grid winter supplies funding package vote committee hearing testimony report"
).split()
TAGS = [
    f"Theme {name}"
    for name in (
        "Energy",
        "Trade",
        "Security",
        "Diplomacy",
        "Markets",
        "Elections",
        "Shipping",
        "Grain",
        "Sanctions",
        "Aid",
        "Refugees",
        "Airspace",
        "Courts",
        "Media",
        "Health",
        "Climate",
        "Cyber",
        "Finance",
        "Borders",
        "Ports",
    )
]
KINDS = ("news", "news", "news", "analysis", "opinion", "editorial")


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    paragraphs: list[str]
    date: dt.date
    kind: str
    tags: list[str]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 5)))


def make_articles(count: int, seed: int = 7) -> list[Article]:
    rng = random.Random(seed)
    start = dt.date(2020, 1, 1)
    articles = []
    for index in range(count):
        title_words = [rng.choice(WORDS).capitalize() for _ in range(rng.randint(5, 9))]
        articles.append(
            Article(
                id=f"src-{index:05d}",
                title=" ".join(title_words),
                paragraphs=[_paragraph(rng) for _ in range(rng.randint(8, 14))],
                date=start + dt.timedelta(days=index % 1500),
                kind=KINDS[index % len(KINDS)],
                tags=rng.sample(TAGS, 3),
            )
        )
    return articles


def raw_article(article: Article, rng: random.Random) -> str:
    """The article as a scrape gives it: furniture around the text."""
    parts = [f"Home News World {article.title}", article.title]
    for number, paragraph in enumerate(article.paragraphs):
        parts.append(paragraph)
        if number == 2:
            parts.append("Advertisement")
        if number == 4:
            parts.append("Delegates arrive for the talks\nSource: Web")
        if number == 6:
            teaser = " ".join(rng.choice(WORDS).capitalize() for _ in range(6))
            parts.append(f"{teaser}\nOther Topics of Interest")
            parts.append(teaser)
            parts.append(_sentence(rng))
    parts += ["Read Also: More coverage of the talks", "Be the first to comment", "Leave a Reply"]
    return "\n\n".join(parts) + "\n"


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    tags: list[str]
    paragraphs: list[list[tuple[str, str, str | None]]]  # (text, source id, quote) pieces
    links: list[int]


def make_topics(articles: list[Article], count: int, seed: int = 11) -> list[Topic]:
    rng = random.Random(seed)
    topics = []
    for index in range(count):
        paragraphs = []
        for _ in range(6):
            pieces = []
            for _ in range(3):
                article = rng.choice(articles)
                quote = None
                if rng.random() < 0.3:
                    sentence = rng.choice(rng.choice(article.paragraphs).split(". "))
                    words = sentence.rstrip(".").split()
                    quote = " ".join(words[:8])
                pieces.append((_sentence(rng), article.id, quote))
            paragraphs.append(pieces)
        links = [rng.randrange(count) for _ in range(18)] if count > 1 else []
        topics.append(
            Topic(
                slug=f"topic-{index:04d}",
                title=f"Topic {index:04d} " + " ".join(rng.choice(WORDS) for _ in range(2)),
                tags=rng.sample(TAGS, 2),
                paragraphs=paragraphs,
                links=[k for k in links if k != index],
            )
        )
    return topics


def write_briefing(root: Path, articles: list[Article], topics: list[Topic]) -> None:
    """The corpus as a Briefing project (themes/ is linked from the repository)."""
    rng = random.Random(3)
    seeds = root / "seeds"
    (root / "content" / "topics").mkdir(parents=True)
    seeds.mkdir(parents=True)
    entries = []
    for article in articles:
        (seeds / f"{article.id}.txt").write_text(raw_article(article, rng), encoding="utf-8")
        entries.append(
            f'- id: {article.id}\n  file: {article.id}.txt\n  title: "{article.title}"\n'
            f"  outlet: Synthetic Daily\n  author: null\n  date: {article.date.isoformat()}\n"
            f"  url: null\n  kind: {article.kind}\n  language: en\n"
            f"  tags: [{', '.join(article.tags)}]\n  note: generated by bench/corpus.py\n"
        )
    (seeds / "sources.yaml").write_text("\n".join(entries), encoding="utf-8")
    for topic in topics:
        body = []
        for pieces in topic.paragraphs:
            text = []
            for sentence, source_id, quote in pieces:
                cite = f'[@{source_id} "{quote}"]' if quote else f"[@{source_id}]"
                text.append(f"{sentence[:-1]} {cite}.")
            body.append(" ".join(text))
        links = ", ".join(f"[[topic-{k:04d}]]" for k in topic.links)
        body.append(f"See also {links}.")
        (root / "content" / "topics" / f"{topic.slug}.md").write_text(
            f'---\ntitle: "{topic.title}"\nsummary: A synthetic topic.\n'
            f"tags: [{', '.join(topic.tags)}]\ndate: 2024-01-01\n---\n\n"
            + "\n\n".join(body)
            + "\n",
            encoding="utf-8",
        )
    (root / "briefing.yaml").write_text(
        "title: Benchmark\nurl: https://example.org/bench/\n", encoding="utf-8"
    )


def _plain_topic(topic: Topic, link: str) -> str:
    body = []
    for pieces in topic.paragraphs:
        body.append(
            " ".join(
                f"{s[:-1]} [{source_id}]({link.format(kind='sources', slug=source_id)})"
                + (f' ("{quote}")' if quote else "")
                + "."
                for s, source_id, quote in pieces
            )
        )
    body.append(
        "See also "
        + ", ".join(
            f"[topic-{k:04d}]({link.format(kind='topics', slug=f'topic-{k:04d}')})"
            for k in topic.links
        )
        + "."
    )
    return "\n\n".join(body) + "\n"


def write_hugo(root: Path, articles: list[Article], topics: list[Topic]) -> None:
    """The same content as a Hugo site with minimal layouts."""
    rng = random.Random(3)
    (root / "content" / "sources").mkdir(parents=True)
    (root / "content" / "topics").mkdir(parents=True)
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (root / "config.toml").write_text(
        'baseURL = "https://example.org/bench/"\ntitle = "Benchmark"\nrelativeURLs = true\n'
        '[taxonomies]\ntag = "tags"\n',
        encoding="utf-8",
    )
    (layouts / "baseof.html").write_text(
        "<!doctype html><html><head><title>{{ .Title }}</title></head><body>"
        '{{ block "main" . }}{{ end }}</body></html>\n',
        encoding="utf-8",
    )
    (layouts / "single.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}'
        '{{ range .Params.tags }}<a href="{{ "tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a>'
        "{{ end }}{{ end }}\n",
        encoding="utf-8",
    )
    (layouts / "list.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}'
        '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n',
        encoding="utf-8",
    )
    for article in articles:
        (root / "content" / "sources" / f"{article.id}.md").write_text(
            f'---\ntitle: "{article.title}"\ndate: {article.date.isoformat()}\n'
            f"tags: [{', '.join(article.tags)}]\n---\n\n" + raw_article(article, rng),
            encoding="utf-8",
        )
    for topic in topics:
        (root / "content" / "topics" / f"{topic.slug}.md").write_text(
            f'---\ntitle: "{topic.title}"\ndate: 2024-01-01\n'
            f"tags: [{', '.join(topic.tags)}]\n---\n\n" + _plain_topic(topic, "/{kind}/{slug}/"),
            encoding="utf-8",
        )


def write_pelican(root: Path, articles: list[Article], topics: list[Topic]) -> None:
    """The same content as a Pelican site (default theme)."""
    rng = random.Random(3)
    content = root / "content"
    content.mkdir(parents=True)
    (root / "pelicanconf.py").write_text(
        'AUTHOR = "Bench"\nSITENAME = "Benchmark"\nSITEURL = ""\nPATH = "content"\n'
        'TIMEZONE = "UTC"\nDEFAULT_LANG = "en"\nRELATIVE_URLS = True\n'
        "FEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\nTRANSLATION_FEED_ATOM = None\n"
        "AUTHOR_FEED_ATOM = None\nAUTHOR_FEED_RSS = None\nDEFAULT_PAGINATION = False\n"
        'ARTICLE_URL = "{category}/{slug}/"\nARTICLE_SAVE_AS = "{category}/{slug}/index.html"\n',
        encoding="utf-8",
    )
    for article in articles:
        (content / f"{article.id}.md").write_text(
            f"Title: {article.title}\nDate: {article.date.isoformat()}\nCategory: sources\n"
            f"Slug: {article.id}\nTags: {', '.join(article.tags)}\n\n" + raw_article(article, rng),
            encoding="utf-8",
        )
    for topic in topics:
        (content / f"{topic.slug}.md").write_text(
            f"Title: {topic.title}\nDate: 2024-01-01\nCategory: topics\nSlug: {topic.slug}\n"
            f"Tags: {', '.join(topic.tags)}\n\n" + _plain_topic(topic, "/{kind}/{slug}/"),
            encoding="utf-8",
        )


def generate(root: Path, sources: int, topics: int, repo: Path) -> dict[str, Path]:
    """Write the three sites under root; return their folders."""
    if root.exists():
        shutil.rmtree(root)
    articles = make_articles(sources)
    topic_list = make_topics(articles, topics)
    sites = {"briefing": root / "briefing", "hugo": root / "hugo", "pelican": root / "pelican"}
    write_briefing(sites["briefing"], articles, topic_list)
    # A copy, not a link: a build refuses inputs that link out of the project.
    shutil.copytree(repo / "themes", sites["briefing"] / "themes")
    write_hugo(sites["hugo"], articles, topic_list)
    write_pelican(sites["pelican"], articles, topic_list)
    return sites
