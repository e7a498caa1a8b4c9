"""Extract an article from a saved web page: metadata and main text as our own blocks.

trafilatura finds the main content and reads the metadata (meta tags, JSON-LD); the
extracted tree is then rebuilt from text into Blocks and Runs (paragraphs, subheadings,
list items, block quotes; emphasis and http(s) links), so no markup from the page can
reach the output. A few general rules from the text cleaner tidy what trafilatura keeps:
a repeated headline, page furniture lines, a tail of truncated teaser excerpts; a guard
and the page's embedded posts (combine.py) keep the article whole.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any
from urllib.parse import urlsplit

from .cleaning import CleanHints, Rules, clean_article, default_rules, matches_furniture
from .combine import (
    TRAILING_OFF,
    CombineSettings,
    EmbeddedPosts,
    add_posts,
    continue_article,
    drop_link_lists,
    embedded_posts,
    guarded,
    is_prose,
    lost_share,
    readability_blocks,
)
from .models import Block, CleanedArticle, PartialDate
from .tei import tei_blocks
from .textnorm import clean_whitespace, loose_form
from .urls import is_web_url

HTML_SUFFIXES = (".html", ".htm")
# Between a headline and the site's name in a page's title: "Headline | Site", "- Site".
_TITLE_SEPARATOR = re.compile(r" (?:[|\-\u2013\u2014\u00b7\u2022\u00bb]|::) ")
_HOST_NAME = re.compile(r"[^\W_][\w-]*(?:\.[\w-]+)*\.([a-z]{2,})")  # "Snopes.com"
# A meta tag by which a page names its site (trafilatura's outlet is then no guess).
_SITE_NAME_META = re.compile(
    r"<meta\b[^>]{0,300}?\b(?:property|name)\s*=\s*[\"']?(?:og:site_name|application-name)\b",
    re.IGNORECASE,
)
# Undeclared bytes are UTF-8 when they hold this many valid UTF-8 characters beyond ASCII
# for each broken byte (text in a one-byte charset holds next to none).
_UTF8_EVIDENCE = 4


@dataclass(frozen=True)
class Extraction:
    """What a page says about itself, and its article text."""

    title: str | None
    author: str | None
    date: PartialDate | None
    outlet: str | None
    url: str | None
    language: str | None
    article: CleanedArticle

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "author": self.author,
            "date": self.date.iso if self.date else None,
            "outlet": self.outlet,
            "url": self.url,
            "language": self.language,
            "articleBody": self.article.text,
        }


def decode_html(data: bytes) -> str:
    """Decode a saved page: by its byte-order mark; else as UTF-8 when it holds non-ASCII
    bytes that are all valid UTF-8 (text in a one-byte charset almost never is, and a page
    re-encoded when it was saved keeps its old declaration); else in the charset it
    declares, labels read as browsers read them, a broken byte becoming U+FFFD (no reason
    to guess another charset); else as UTF-8 when all but a few of its bytes are; else in
    the charset its bytes suggest."""
    from bs4.dammit import EncodingDetector, UnicodeDammit  # imported here: only saved pages

    body, bom = EncodingDetector.strip_byte_order_mark(data)
    if bom:
        return body.decode(_web_encoding(bom, declared=False) or bom, errors="replace")
    if not data.isascii():  # ASCII bytes may be a 7-bit charset's (ISO-2022-JP): see below
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    label = EncodingDetector.find_declared_encoding(data, is_html=True)
    encoding = _web_encoding(label, declared=True) if label else None
    if encoding:
        return data.decode(encoding, errors="replace")
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    if sum(not char.isascii() for char in text) - broken >= _UTF8_EVIDENCE * broken:
        return text
    return UnicodeDammit(data, is_html=True).unicode_markup or text


def _web_encoding(label: str, *, declared: bool) -> str | None:
    """The Python codec for an encoding label, as the Encoding Standard reads labels (a
    page "in ISO-8859-1" is read as windows-1252); None for a label neither it nor Python
    can decode (x-user-defined; the labels it maps to "replacement" that Python lacks)."""
    import codecs

    import webencodings

    encoding = webencodings.lookup(label)
    if encoding is None:
        return None
    if declared and encoding.name.startswith("utf-16"):
        return "utf-8"  # a page that could declare UTF-16 in ASCII is not UTF-16
    for name in (encoding.codec_info.name, label):  # "replacement": Python's own codec
        try:
            return codecs.lookup(name).name
        except LookupError:
            continue
    return None


def _date(value: str | None) -> PartialDate | None:
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value or "")
    if not match:
        return None
    year, month, day = map(int, match.groups())
    return PartialDate(year, month, day)


def _language(html: str, found: str | None) -> str | None:
    if found:
        return found
    match = re.search(
        r"<html\b[^>]*\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)", html, re.IGNORECASE
    )
    return match.group(1) if match else None


def headline(
    title: str | None, outlet: str | None, url: str | None, *, outlet_declared: bool = False
) -> str | None:
    """A page's title without the site's name it often ends with ("Best tech gadgets of
    2019 | ZDNet", "Headline - Site - its motto"): the last part, or the one before it
    when the motto after it is shorter than the headline, goes when it names the outlet
    or the page's domain, or when it and what follows are the outlet's whole name.
    outlet_declared: the page names its site in a meta tag (else an outlet with a dot
    that is one of the title's parts is trafilatura's guess from the title itself)."""
    folded = " ".join((title or "").split())
    if not folded:
        return title
    separators = list(_TITLE_SEPARATOR.finditer(folded))
    starts = [0] + [m.end() for m in separators]
    ends = [m.start() for m in separators] + [len(folded)]
    parts = [folded[a:b] for a, b in zip(starts, ends, strict=True)]
    names = _site_names(outlet, url, parts, outlet_declared)
    for index in range(len(parts) - 1, max(0, len(parts) - 3), -1):
        head, rest = folded[: ends[index - 1]].strip(), folded[starts[index] :]
        if names.outlet and _name_key(rest) == names.outlet:  # its whole name, motto and all
            return head
        motto = " ".join(parts[index + 1 :])
        if len(motto) < len(head) and _names_site(parts[index], names):
            return head
    return folded


@dataclass(frozen=True)
class _SiteNames:
    """What a page calls its site, as name keys: the outlet, its domain's names (the
    labels before the public suffix, but a subdomain's first, and the whole host), and
    the top-level domain."""

    outlet: str
    domain: tuple[str, ...]
    top_level: str


def _site_names(
    outlet: str | None, url: str | None, parts: list[str], outlet_declared: bool
) -> _SiteNames:
    outlet_key = _name_key(outlet or "")
    guessed = outlet and "." in outlet and outlet_key in map(_name_key, parts)
    host = _host(url)
    labels = host.split(".") if host else []
    # "telegraph.co.uk": a two-letter country's second level (co, com, org, ac) is suffix
    country = len(labels) > 2 and len(labels[-1]) == 2 and len(labels[-2]) <= 3
    names = labels[: -2 if country else -1]
    names = names[1:] if len(names) > 1 else names  # news.bbc.co.uk: not "news"
    return _SiteNames(
        "" if guessed and not outlet_declared else outlet_key,
        (*map(_name_key, names), _name_key(host)),
        labels[-1] if labels else "",
    )


def _host(url: str | None) -> str:
    """The host of a page's address, without www. and with an IDN decoded; "" if none."""
    try:
        host = (urlsplit(url).hostname or "") if url else ""
    except ValueError:  # a malformed address names no site
        return ""
    host = host.removeprefix("www.")
    try:
        return host.encode("ascii").decode("idna")
    except UnicodeError:
        return host


def _name_key(name: str) -> str:
    """A name as compared with another: letters and digits only, case and width folded."""
    return re.sub(r"\W+|_", "", unicodedata.normalize("NFKC", name).casefold())


def _names_site(part: str, names: _SiteNames) -> bool:
    """Whether a title's part names the site: a host name in the site's own top-level
    domain ("Snopes.com"), the outlet's name or its start ("Inexhibit" for "Inexhibit
    magazine", at least half of it), or a name of the page's domain (keys compared)."""
    shape = _HOST_NAME.fullmatch(unicodedata.normalize("NFKC", part))
    if shape and names.top_level and shape.group(1) == names.top_level:
        return True
    key = _name_key(part)
    if len(key) < 4:
        return False
    if names.outlet.startswith(key) and 2 * len(key) >= len(names.outlet):
        return True
    return key in names.domain


def drop_repeated_headline(blocks: list[Block], title: str | None) -> tuple[list[Block], list[str]]:
    """The blocks without a repeat of the headline above the article; (kept, removed)."""
    if title and blocks and loose_form(blocks[0].text) == loose_form(title):
        return blocks[1:], [blocks[0].text]
    return blocks, []


def tidy(blocks: list[Block], rules: Rules) -> tuple[list[Block], list[str]]:
    """General clean-up of extracted blocks by line patterns; returns (kept, removed)."""
    removed: list[str] = []
    kept = []
    for block in blocks:
        if matches_furniture(block.text, rules, blocks=False):
            removed.append(block.text)
        else:
            kept.append(block)
    # From an end marker ("Tags", "Related articles") on, the rest is page furniture,
    # when what follows is short (as in the text cleaner).
    total = sum(len(b.text.split()) for b in kept)
    seen = 0
    for index, block in enumerate(kept):
        words = len(block.text.split())
        if index and total - seen <= rules.tail_fraction * total and words <= 6:
            if any(p.fullmatch(block.text.strip()) for p in rules.end_markers):
                removed += [b.text for b in kept[index:]]
                kept = kept[:index]
                break
        seen += words
    return kept, removed


def cut_teaser_tail(blocks: list[Block]) -> tuple[list[Block], list[str]]:
    """Cut a tail of truncated excerpts (a list of teasers for other articles): from a
    paragraph ending in an ellipsis on, when at least half of the tail's paragraphs (two
    or more) trail off so, fewer than half of the paragraphs above do, and the text above
    is at least as long as an excerpt of the tail on average. The contrast is the evidence
    (headings are neither): a writer whose own paragraphs trail off keeps them all, and a
    short introduction is no article for a tail of teasers to follow."""
    prose = [b.kind != "heading" for b in blocks]
    trails = [p and bool(TRAILING_OFF.search(b.text)) for p, b in zip(prose, blocks, strict=True)]
    words = [len(b.text.split()) for b in blocks]
    # what follows each index: paragraphs, trailing ones, and the words of those
    tail_prose, tail_trails = _from_each(prose), _from_each(trails)
    tail_trail_words = _from_each([w if t else 0 for w, t in zip(words, trails, strict=True)])
    above_prose = above_trails = above_words = 0
    for index in range(len(blocks)):
        if (
            index
            and trails[index]
            and tail_trails[index] >= 2
            and 2 * tail_trails[index] >= tail_prose[index]
            and 2 * above_trails < above_prose
            and above_words * tail_trails[index] >= tail_trail_words[index]
        ):
            return blocks[:index], [b.text for b in blocks[index:]]
        above_prose += prose[index]
        above_trails += trails[index]
        above_words += words[index]
    return blocks, []


def _from_each(values: Sequence[int]) -> list[int]:
    """For each index, the sum of values from it on (and 0 past the end)."""
    return [*accumulate(reversed(values))][::-1] + [0]


def extract_html(
    data: bytes, rules: Rules | None = None, settings: CombineSettings | None = None
) -> Extraction:
    """Extract metadata and the article from a saved page's bytes."""
    return extract_html_text(decode_html(data), rules, settings)


def extract_html_text(
    html: str, rules: Rules | None = None, settings: CombineSettings | None = None
) -> Extraction:
    """Extract metadata and the article from a saved page's decoded HTML."""
    return combine(read_page(html), rules, settings)


@dataclass(frozen=True)
class PageReading:
    """What the extractors read on a page, before any of our rules (the benchmark reads
    each page once and combines the readings under many settings)."""

    html: str
    document: Any  # trafilatura's Document (precision mode), or None: it found no article
    blocks: tuple[Block, ...]  # its article as our blocks
    wide_document: Any  # the same in trafilatura's default mode
    wide_blocks: tuple[Block, ...]
    posts: EmbeddedPosts
    second: tuple[Block, ...]  # readability-lxml's article: a second reading


def _trafilatura(html: str, *, precision: bool) -> tuple[Any, tuple[Block, ...]]:
    import trafilatura  # imported here: a fifth of a second, needed only for saved pages

    document: Any = trafilatura.bare_extraction(
        html,
        include_comments=False,
        favor_precision=precision,
        include_formatting=True,
        include_links=True,
        include_tables=True,
        with_metadata=True,
    )
    body = document.body if document is not None else None
    return document, tuple(tei_blocks(body) if body is not None else [])


def read_page(html: str) -> PageReading:
    """Read a page once: trafilatura's article and metadata in its precision and default
    modes, and the embedded posts."""
    document, blocks = _trafilatura(html, precision=True)
    wide_document, wide_blocks = _trafilatura(html, precision=False)
    return PageReading(
        html,
        document,
        blocks,
        wide_document,
        wide_blocks,
        embedded_posts(html),
        readability_blocks(html),
    )


def article_blocks(
    blocks: list[Block],
    title: str | None,
    posts: EmbeddedPosts,
    rules: Rules,
    settings: CombineSettings,
) -> tuple[list[Block], list[str]]:
    """trafilatura's blocks without the headline's repeat, without link lists and tidied
    (unless that would lose the article), without a tail of teasers, with the embedded
    posts; returns (kept, removed texts)."""
    blocks, headline_repeat = drop_repeated_headline(blocks, title)
    kept, dropped = drop_link_lists(blocks, settings.link_share, settings.link_max_words)
    kept, tidied = tidy(kept, rules)
    if guarded(blocks, kept, settings.guard_share):
        kept, dropped, tidied = blocks, [], []
    kept, teasers = cut_teaser_tail(kept)
    removed = headline_repeat + dropped + tidied + teasers
    if settings.embedded_posts:
        kept = add_posts(kept, posts.posts, posts.page_text)
    return kept, removed


def combine(
    reading: PageReading, rules: Rules | None = None, settings: CombineSettings | None = None
) -> Extraction:
    """The Extraction from a page's readings."""
    rules, settings = rules or default_rules(), settings or CombineSettings()
    document, blocks, html = reading.document, reading.blocks, reading.html
    if document is None or lost_share(reading.wide_blocks, blocks) > settings.mode_share:
        # precision mode lost the article: trafilatura's default mode has it
        document, blocks = reading.wide_document, reading.wide_blocks
    if document is None:
        language = _language(html, None)
        return Extraction(
            None, None, None, None, None, language, CleanedArticle(None, (), page_language=language)
        )
    outlet = clean_whitespace(document.sitename).strip() if document.sitename else None
    url = document.url if document.url and is_web_url(document.url) else None
    title = clean_whitespace(document.title).strip() if document.title else None
    declared = _SITE_NAME_META.search(html) is not None
    title = headline(title, outlet, url, outlet_declared=declared)
    continued = continue_article(
        list(blocks), reading.second, _prose_test(rules, settings), settings.continuation_ratio
    )
    kept, removed = article_blocks(continued, title, reading.posts, rules, settings)
    author = clean_whitespace(document.author).strip() if document.author else None
    date = _date(document.date)
    language = _language(html, document.language)
    article = CleanedArticle(
        title=title,
        blocks=tuple(kept),
        removed=tuple(removed),
        byline_author=author,
        byline_date=date,
        page_outlet=outlet,
        page_url=url,
        page_language=language,
    )
    return Extraction(title, author, date, outlet, url, language, article)


def _prose_test(rules: Rules, settings: CombineSettings) -> Callable[[Block], bool]:
    """Whether a block of the second reading is prose that may continue the article."""
    return lambda block: is_prose(
        block,
        settings.continuation_min_words,
        lambda text: matches_furniture(text, rules, blocks=True),
    )


def extract_text(text: str, *, markdown: bool | None = None) -> Extraction:
    """The same extraction for a .txt or .md file (what the cleaner finds)."""
    article = clean_article(text, markdown=markdown)
    return Extraction(
        title=article.title,
        author=article.byline_author,
        date=article.byline_date,
        outlet=None,
        url=None,
        language=None,
        article=article,
    )


def extraction_json(extraction: Extraction) -> str:
    return json.dumps(extraction.as_json(), ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class CleanRequest:
    """One source to clean, as load_sources asks for it (html: a saved web page)."""

    raw: str
    markdown: bool | None
    hints: CleanHints
    html: bool = False


def clean_request(request: CleanRequest) -> CleanedArticle:
    """Clean scraped text, or extract the article of a saved page."""
    if request.html:
        return extract_html_text(request.raw).article
    return clean_article(request.raw, markdown=request.markdown, hints=request.hints)


def clean_articles(requests: list[CleanRequest]) -> list[CleanedArticle]:
    """Clean each request in this process."""
    return [clean_request(request) for request in requests]
