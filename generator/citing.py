"""Cite this page: what a topic or source page says about itself to a reader who cites it
and to reference managers. One Reference per page, made from the page's own data, then
written as a plain-text citation, BibTeX, CSL-JSON, Highwire `citation_*` meta tags and
schema.org JSON-LD (the templates print these; cite.bib and cite.json are written beside
the page). Absolute addresses need the site's URL; without one they are left out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from .config import Settings
from .feeds import absolute_url
from .models import Page, PartialDate, Source

BIB_FILE = "cite.bib"
CSL_FILE = "cite.json"
CITE_FORMATS = (BIB_FILE, CSL_FILE)

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# schema.org's type for each kind of source (OpinionNewsArticle: "primarily expresses
# opinions rather than journalistic reporting"; an editorial is the outlet's opinion).
_SCHEMA_TYPES = {
    "news": "NewsArticle",
    "analysis": "AnalysisNewsArticle",
    "opinion": "OpinionNewsArticle",
    "editorial": "OpinionNewsArticle",
}
# LaTeX's special characters, as text in a BibTeX field. Braces become macros, not \{ and
# \}: BibTeX counts braces whatever stands before them, so one alone would end the field.
_BIBTEX_ESCAPES = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\textbraceleft{}",
        "}": r"\textbraceright{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
)


@dataclass(frozen=True)
class Reference:
    """What a citation of one page says, whatever the format. url is where the cited work
    is read (a source's original address when known, else its copy here); copy_url is the
    copy on this site when that is not the url."""

    key: str
    kind: Literal["topic", "source"]
    title: str
    author: str | None
    corporate: bool  # the author is an organisation (the site's editors), not a person
    container: str | None  # the outlet, or the site
    issued: PartialDate | None
    accessed: PartialDate | None
    url: str | None
    copy_url: str | None
    genre: str | None  # a source's kind: News, Opinion, Editorial, Analysis
    language: str | None
    keywords: tuple[str, ...]


def topic_reference(topic: Page, settings: Settings, base_url: str | None) -> Reference:
    """A topic page: written by the site's editors, published on the site."""
    return Reference(
        key=f"topic-{topic.slug}",
        kind="topic",
        title=topic.title,
        author=settings.author,
        corporate=True,
        container=settings.title,
        issued=topic.updated or topic.date,
        accessed=None,
        url=absolute_url(base_url, topic.url_path) if base_url else None,
        copy_url=None,
        genre=None,
        language=settings.language,
        keywords=topic.tags,
    )


def source_reference(source: Source, base_url: str | None) -> Reference:
    """A source page cites the article itself (its outlet, author and date), at its
    original address when known, and names the copy here beside it."""
    copy = absolute_url(base_url, source.url_path) if base_url else None
    return Reference(
        key=source.id,
        kind="source",
        title=source.title,
        author=source.author,
        corporate=False,
        container=source.outlet,
        issued=source.date,
        accessed=source.retrieved,
        url=source.url or copy,
        copy_url=copy if source.url else None,
        genre=source.kind.capitalize(),
        language=source.language,
        keywords=source.tags,
    )


def plain_citation(ref: Reference, site_title: str) -> str:
    """A ready citation: Author. "Title." Container, date. URL. (accessed, copy)."""
    parts = [f"{ref.author}." if ref.author else ""]
    parts.append(f"\u201c{_sentence(ref.title)}\u201d")
    where = ref.container or "Outlet not stated"
    if ref.genre and ref.genre != "News":
        where += f" ({ref.genre.lower()})"
    parts.append(f"{where}, {ref.issued.display if ref.issued else 'n.d.'}.")
    if ref.url:
        parts.append(f"{ref.url}.")
    if ref.accessed:
        parts.append(f"Retrieved {ref.accessed.display}.")
    if ref.copy_url:
        parts.append(f"Copy in {site_title}: {ref.copy_url}.")
    return " ".join(p for p in parts if p)


def _sentence(text: str) -> str:
    """The title, closed with a full stop unless it ends in punctuation already."""
    return text if text[-1:] in ".?!" else text + "."


def bibtex(ref: Reference, site_title: str) -> str:
    """One BibTeX entry: @article when the outlet is known, else @misc (biblatex's date and
    urldate beside classic year and month)."""
    fields: list[tuple[str, str]] = [("title", _bib_text(ref.title))]
    if ref.author:
        name = _bib_text(ref.author)
        fields.append(("author", f"{{{name}}}" if ref.corporate else name))
    if ref.kind == "source" and ref.container:
        fields.append(("journal", _bib_text(ref.container)))
    elif ref.container:
        fields.append(("howpublished", _bib_text(ref.container)))
    if ref.issued:
        fields += [("date", ref.issued.iso), ("year", str(ref.issued.year))]
        if ref.issued.precision != "year":
            fields.append(("month", _MONTHS[ref.issued.month - 1]))
    if ref.url:
        fields.append(("url", _bib_url(ref.url)))
    if ref.accessed:
        fields.append(("urldate", ref.accessed.iso))
    if ref.genre:
        fields.append(("type", _bib_text(ref.genre)))
    if ref.language:
        fields.append(("langid", _bib_text(ref.language)))
    if ref.keywords:
        fields.append(("keywords", _bib_text(", ".join(ref.keywords))))
    if ref.copy_url:
        fields.append(("note", _bib_text(f"Copy in {site_title}:") + " " + _bib_url(ref.copy_url)))
    entry_type = "article" if ref.kind == "source" and ref.container else "misc"
    body = "".join(
        f"  {name} = {value},\n" if name == "month" else f"  {name} = {{{value}}},\n"
        for name, value in fields
    )
    return f"@{entry_type}{{{ref.key},\n{body}}}\n"


def _bib_text(text: str) -> str:
    """Text as a BibTeX field holds it: LaTeX's specials escaped, whitespace one space."""
    return " ".join(text.split()).translate(_BIBTEX_ESCAPES)


def _bib_url(url: str) -> str:
    """An address in a BibTeX field: percent signs escaped (else they start a comment for
    many readers), and the characters that cannot be in one percent-encoded."""
    return quote(url, safe="!#$&'()*+,/:;=?@[]~%").replace("%", r"\%")


def csl_item(ref: Reference, site_title: str) -> dict[str, Any]:
    """One CSL-JSON item (the format Zotero, Pandoc and citeproc read)."""
    item: dict[str, Any] = {
        "id": ref.key,
        "type": "webpage" if ref.kind == "topic" or not ref.container else "article-newspaper",
        "title": ref.title,
    }
    if ref.author:
        item["author"] = [{"literal": ref.author}]
    if ref.container:
        item["container-title"] = ref.container
    if ref.kind == "topic":
        item["publisher"] = site_title
    if ref.issued:
        item["issued"] = _csl_date(ref.issued)
    if ref.accessed:
        item["accessed"] = _csl_date(ref.accessed)
    if ref.url:
        item["URL"] = ref.url
    if ref.genre:
        item["genre"] = ref.genre
    if ref.language:
        item["language"] = ref.language
    if ref.keywords:
        item["keyword"] = ", ".join(ref.keywords)
    if ref.copy_url:
        item["note"] = f"Copy in {site_title}: {ref.copy_url}"
    return item


def _csl_date(date: PartialDate) -> dict[str, Any]:
    parts = [date.year, date.month, date.day]
    return {"date-parts": [parts[: {"year": 1, "month": 2, "day": 3}[date.precision]]]}


def csl_json(ref: Reference, site_title: str) -> str:
    """cite.json: a CSL-JSON array of the one item, a field a line (json's indenting
    encoder, written in Python, took most of the time of a source's citations)."""
    item = csl_item(ref, site_title)
    lines = ",\n".join(
        f"    {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}"
        for name, value in item.items()
    )
    return f"[\n  {{\n{lines}\n  }}\n]\n"


def highwire_tags(ref: Reference) -> list[tuple[str, str]]:
    """The `citation_*` meta tags (name, content) Google Scholar and Zotero read."""
    tags = [("citation_title", ref.title)]
    if ref.author:
        tags.append(("citation_author", ref.author))
    if ref.issued:
        tags.append(("citation_publication_date", ref.issued.iso.replace("-", "/")))
    if ref.container:
        name = "citation_journal_title" if ref.kind == "source" else "citation_publisher"
        tags.append((name, ref.container))
    if ref.url:
        tags.append(("citation_public_url", ref.url))
    if ref.language:
        tags.append(("citation_language", ref.language))
    if ref.keywords:
        tags.append(("citation_keywords", "; ".join(ref.keywords)))
    return tags


def source_json_ld(source: Source, base_url: str | None) -> dict[str, Any]:
    """A source as schema.org describes a news article (NewsArticle, OpinionNewsArticle or
    AnalysisNewsArticle); its copy here is archivedAt."""
    item: dict[str, Any] = {
        "@type": _SCHEMA_TYPES.get(source.kind, "NewsArticle"),
        "headline": source.title,
        "genre": source.kind.capitalize(),
    }
    if source.author:
        item["author"] = {"@type": "Person", "name": source.author}
    if source.outlet:
        item["publisher"] = {"@type": "Organization", "name": source.outlet}
    if source.date:
        item["datePublished"] = source.date.iso
    if source.language:
        item["inLanguage"] = source.language
    copy = absolute_url(base_url, source.url_path) if base_url else None
    if source.url or copy:
        item["url"] = source.url or copy
    if copy and source.url:
        item["archivedAt"] = copy
    return item


def source_page_json_ld(source: Source, base_url: str | None) -> dict[str, Any]:
    """The JSON-LD of a source's page."""
    item = {"@context": "https://schema.org", **source_json_ld(source, base_url)}
    if source.tags:
        item["keywords"] = list(source.tags)
    return item


def topic_json_ld(
    topic: Page, settings: Settings, base_url: str | None, cited: list[Source]
) -> dict[str, Any]:
    """A topic page as a schema.org Article, citing each source it draws on."""
    site: dict[str, Any] = {"@type": "WebSite", "name": settings.title}
    if base_url:
        site["url"] = base_url
    item: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": topic.title,
        "isPartOf": site,
        "publisher": {"@type": "Organization", "name": settings.title},
        "inLanguage": settings.language,
    }
    if topic.summary:
        item["description"] = topic.summary
    if settings.author:
        item["author"] = {"@type": "Organization", "name": settings.author}
    if topic.date:
        item["datePublished"] = topic.date.iso
    if topic.updated:
        item["dateModified"] = topic.updated.iso
    if topic.tags:
        item["keywords"] = list(topic.tags)
    if base_url:
        item["url"] = item["mainEntityOfPage"] = absolute_url(base_url, topic.url_path)
    item["citation"] = [source_json_ld(source, base_url) for source in cited]
    return item


@dataclass(frozen=True)
class PageCitation:
    """Everything a page's cite block and head show; the templates print it."""

    text: str
    bibtex: str
    csl_json: str
    highwire: list[tuple[str, str]]
    json_ld: dict[str, Any]


def topic_citation(
    topic: Page, settings: Settings, base_url: str | None, cited: list[Source]
) -> PageCitation:
    ref = topic_reference(topic, settings, base_url)
    return _page_citation(ref, settings.title, topic_json_ld(topic, settings, base_url, cited))


def source_citation(source: Source, settings: Settings, base_url: str | None) -> PageCitation:
    ref = source_reference(source, base_url)
    return _page_citation(ref, settings.title, source_page_json_ld(source, base_url))


def _page_citation(ref: Reference, site_title: str, json_ld: dict[str, Any]) -> PageCitation:
    return PageCitation(
        text=plain_citation(ref, site_title),
        bibtex=bibtex(ref, site_title),
        csl_json=csl_json(ref, site_title),
        highwire=highwire_tags(ref),
        json_ld=json_ld,
    )


def cite_file(ref: Reference, name: str, site_title: str) -> bytes:
    """The bytes of cite.bib or cite.json."""
    text = bibtex(ref, site_title) if name == BIB_FILE else csl_json(ref, site_title)
    return text.encode("utf-8")
