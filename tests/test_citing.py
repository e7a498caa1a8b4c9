"""Cite this page and links to the original at the quote.

The BibTeX is parsed back with bibtexparser (and its LaTeX decoded with pylatexenc), the
CSL-JSON validated against the Citation Style Language's own schema (tests/fixtures/
csl-data.json, from citation-style-language/schema, MIT), the JSON-LD read with extruct
and the Highwire tags with trafilatura's metadata extractor; text fragments are checked
against the encoding the scroll-to-text-fragment spec asks for.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import bibtexparser
import extruct
import jsonschema
import pytest
from bs4 import BeautifulSoup
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from trafilatura.metadata import extract_metadata

from generator import build
from generator.citing import bibtex, csl_json, source_reference, topic_reference
from generator.config import Settings
from generator.models import EMPTY_ARTICLE, Page, PartialDate, Source
from generator.urls import text_fragment, text_fragment_url

from .conftest import BASE_URL, copy_project, edit
from .test_incremental import retitle_topic
from .test_plan import retitle_source, stale_after

SCHEMA = json.loads((Path(__file__).parent / "fixtures/csl-data.json").read_text("utf-8"))
HOSTILE = 'Tax & "spend": 50% of $5 #1 {unbalanced \\ under_score ~ ^ </script><b>x'
SOURCE_WITH_URL = "blinken-meets-wang-yi"
ORIGINAL = "https://news.example.com/2023/02/blinken-wang-yi?id=7&x=a%20b"


def a_source(**changes: Any) -> Source:
    source = Source(
        id="a-source",
        file="a.txt",
        title="A title",
        title_origin="metadata",
        outlet="The Outlet",
        author="Ann Writer",
        date=PartialDate(2023, 2, 1, "month"),
        url=ORIGINAL,
        kind="opinion",
        language="en",
        tags=("China", "Russia"),
        note=None,
        retrieved=PartialDate(2023, 2, 20),
        article=EMPTY_ARTICLE,
        raw=b"",
        line=1,
    )
    return replace(source, **changes)


def a_topic(**changes: Any) -> Page:
    page = Page(
        slug="a-topic",
        path="content/topics/a-topic.md",
        section="topics",
        title="A topic",
        summary="What it is about.",
        tags=("China",),
        date=PartialDate(2023, 3, 1),
        updated=PartialDate(2023, 3, 9),
        draft=False,
        body="",
        body_line=1,
    )
    return replace(page, **changes)


def latex_to_text(value: str) -> str:
    """LaTeX as a reader sees it (the brace and caret macros taught to the decoder)."""
    db = get_default_latex_context_db().filter_context()
    db.add_context_category(
        "braces",
        prepend=True,
        macros=[
            MacroTextSpec("textbraceleft", "{"),
            MacroTextSpec("textbraceright", "}"),
            MacroTextSpec("textasciicircum", "^"),
        ],
    )
    return LatexNodes2Text(latex_context=db).latex_to_text(value)


def verbatim(url: str) -> str:
    """A url field as biblatex reads it: verbatim, but for the escaped percent sign."""
    return url.replace("\\%", "%")


def parse_bibtex(text: str) -> dict[str, str]:
    """The one entry in text, as bibtexparser reads it (type, key and fields)."""
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == [] and len(library.entries) == 1, text
    entry = library.entries[0]
    return {"ENTRYTYPE": entry.entry_type, "ID": entry.key} | {
        field.key: field.value for field in entry.fields
    }


# -- BibTeX -----------------------------------------------------------------------------


def test_bibtex_of_a_source_parses_back_with_every_field() -> None:
    entry = parse_bibtex(bibtex(source_reference(a_source(), BASE_URL), "Site"))
    assert entry["ENTRYTYPE"] == "article" and entry["ID"] == "a-source"
    assert entry["title"] == "A title" and entry["author"] == "Ann Writer"
    assert entry["journal"] == "The Outlet"
    assert (entry["year"], entry["month"], entry["date"]) == ("2023", "feb", "2023-02")
    assert verbatim(entry["url"]) == ORIGINAL
    assert entry["urldate"] == "2023-02-20"
    assert entry["type"] == "Opinion"
    assert latex_to_text(entry["note"]) == f"Copy in Site: {BASE_URL}sources/a-source/"


def test_bibtex_escapes_what_latex_and_bibtex_treat_as_syntax() -> None:
    ref = source_reference(a_source(title=HOSTILE, author="O'Brien & Sons {Ltd"), None)
    text = bibtex(ref, "Site")
    entry = parse_bibtex(text)
    assert latex_to_text(entry["title"]) == HOSTILE
    assert latex_to_text(entry["author"]) == "O'Brien & Sons {Ltd"
    # Every brace in a field is balanced (BibTeX counts them, backslash or not).
    for value in (entry["title"], entry["author"]):
        assert value.count("{") == value.count("}"), value


def test_bibtex_of_a_topic_names_the_editors_as_one_author() -> None:
    settings = Settings(title="The Briefing", author="Briefing editors")
    entry = parse_bibtex(bibtex(topic_reference(a_topic(), settings, BASE_URL), "The Briefing"))
    assert entry["ENTRYTYPE"] == "misc" and entry["ID"] == "topic-a-topic"
    assert entry["author"] == "{Briefing editors}", "braces: an organisation, not First Last"
    assert entry["howpublished"] == "The Briefing"
    assert entry["date"] == "2023-03-09", "the version cited is the last update"
    assert verbatim(entry["url"]) == BASE_URL + "topics/a-topic/"


# -- CSL-JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        source_reference(a_source(), BASE_URL),
        source_reference(a_source(outlet=None, url=None, author=None, date=None), None),
        source_reference(a_source(date=PartialDate(2022, precision="year")), BASE_URL),
        topic_reference(a_topic(), Settings(author="Briefing editors"), BASE_URL),
        topic_reference(a_topic(date=None, updated=None), Settings(), None),
    ],
    ids=["source", "bare-source", "year-only", "topic", "bare-topic"],
)
def test_csl_json_is_valid_csl_data(ref: Any) -> None:
    data = json.loads(csl_json(ref, "Site"))
    jsonschema.Draft7Validator(SCHEMA).validate(data)  # additionalProperties: false
    (item,) = data
    assert item["id"] == ref.key and item["title"] == ref.title


def test_csl_json_says_what_is_known_with_the_right_types() -> None:
    (item,) = json.loads(csl_json(source_reference(a_source(), BASE_URL), "Site"))
    assert item["type"] == "article-newspaper" and item["genre"] == "Opinion"
    assert item["author"] == [{"literal": "Ann Writer"}]
    assert item["container-title"] == "The Outlet"
    assert item["issued"] == {"date-parts": [[2023, 2]]}, "month precision: no day"
    assert item["accessed"] == {"date-parts": [[2023, 2, 20]]}
    assert item["URL"] == ORIGINAL
    (bare,) = json.loads(csl_json(source_reference(a_source(outlet=None), None), "Site"))
    assert bare["type"] == "webpage" and "container-title" not in bare
    (topic,) = json.loads(csl_json(topic_reference(a_topic(), Settings(), None), "Site"))
    assert topic["type"] == "webpage" and "URL" not in topic, "no site URL, no address"


# -- Text fragments ---------------------------------------------------------------------


def test_text_fragment_percent_encodes_the_directive_syntax_and_more() -> None:
    fragment = text_fragment('Smith, Jones & co-op said "yes" \u2014 it\u2019s 50%')
    assert fragment == (
        ":~:text=Smith%2C%20Jones%20%26%20co%2Dop%20said%20%22yes%22%20"
        "%E2%80%94%20it%E2%80%99s%2050%25"
    )
    assert unquote(fragment[len(":~:text=") :]) == (
        'Smith, Jones & co-op said "yes" \u2014 it\u2019s 50%'
    )


def test_a_long_quote_is_found_by_its_first_and_last_words() -> None:
    quote = (
        "The talks, which lasted two days, ended without agreement on the shipments "
        "of dual-use goods, officials in Washington and Brussels said on Friday."
    )
    fragment = text_fragment(quote)
    start, end = fragment[len(":~:text=") :].split(",")
    assert unquote(start) == "The talks, which lasted two"
    assert unquote(end) == "and Brussels said on Friday."
    assert "," not in start + end and "-" not in start + end


def test_text_fragment_url_keeps_an_existing_fragment() -> None:
    assert text_fragment_url("https://a.example/x", "a b") == "https://a.example/x#:~:text=a%20b"
    assert text_fragment_url("https://a.example/x#top", "a") == "https://a.example/x#top:~:text=a"


def test_archive_link_asks_for_the_day_the_source_was_retrieved() -> None:
    assert a_source().archive_url == f"https://web.archive.org/web/20230220/{ORIGINAL}"
    month = a_source(retrieved=PartialDate(2023, 2, precision="month"))
    assert month.archive_url == f"https://web.archive.org/web/202302/{ORIGINAL}"
    assert a_source(retrieved=None).archive_url == f"https://web.archive.org/web/*/{ORIGINAL}"
    assert a_source(url=None).archive_url is None


# -- The built site ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cited_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's site with one source given an original address, a retrieval date
    and a title full of BibTeX and HTML syntax, built with the site's URL."""
    project = copy_project(tmp_path_factory.mktemp("cited") / "project")
    sources = project / "seeds/sources.yaml"
    entry = f"- id: {SOURCE_WITH_URL}\n"
    edit(sources, entry, entry + "  retrieved: 2023-02-20\n")
    block = sources.read_text("utf-8").split(entry)[1].split("\n- id:")[0]
    edit(sources, block, block.replace("url: null", f'url: "{ORIGINAL}"', 1))
    edit(
        sources,
        'title: "Chinese foreign minister signals support for Russia over Ukraine crisis"',
        "title: " + json.dumps(HOSTILE),
    )
    out = project / "output"
    build(project, out, base_url=BASE_URL, use_cache=False, search=False)
    return out


def page(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text("utf-8"), "html.parser")


def json_ld(site: Path, path: str) -> list[dict[str, Any]]:
    html = (site / path).read_text("utf-8")
    return extruct.extract(html, base_url=BASE_URL + path, syntaxes=["json-ld"])["json-ld"]


def test_a_passage_links_to_the_original_and_the_archive_at_its_words(cited_site: Path) -> None:
    source = page(cited_site, f"sources/{SOURCE_WITH_URL}/index.html")
    # Passages highlighted alone (overlapping ones share one highlight).
    marks = [m for m in source.select("mark.passage[id]") if not m.find("mark")]
    marks = [m for m in marks if "passage-nested" not in m["class"]]
    assert marks
    for mark in marks:
        span = mark.find_next_sibling("span", class_="passage-cited")
        links = span.select(".at-original a")
        words = " ".join(mark.get_text().split())
        original, archived = (a["href"] for a in links)
        assert original == f"{ORIGINAL}#{text_fragment(words)}"
        assert archived == f"https://web.archive.org/web/20230220/{ORIGINAL}#{text_fragment(words)}"
    labels = [a["aria-label"] for a in source.select(".at-original a")]
    assert len(labels) == len(set(labels)), "each passage's links are told apart"
    # A topic quoting it links from its Sources list to the same place.
    topic = page(cited_site, "topics/spy-balloon/index.html")
    hrefs = {a["href"] for a in topic.select(".cited-sources .quotes .at-original a")}
    assert any(h.startswith(f"{ORIGINAL}#:~:text=") for h in hrefs), hrefs
    other = page(cited_site, "sources/us-china-exchanging-blows/index.html")
    assert other.select(".passage-cited") and not other.select(".at-original"), "no URL: none"


def test_source_page_json_ld_is_a_news_article_of_its_kind(cited_site: Path) -> None:
    (news,) = json_ld(cited_site, f"sources/{SOURCE_WITH_URL}/index.html")
    assert news["@type"] == "NewsArticle"
    assert news["headline"] == "Blinken Meets China’s Wang Yi to Warn China from Aiding Russia"
    assert news["url"] == ORIGINAL
    assert news["archivedAt"] == f"{BASE_URL}sources/{SOURCE_WITH_URL}/"
    assert news["datePublished"] == "2023-02"
    (opinion,) = json_ld(cited_site, "sources/wang-yi-signals-support-for-russia/index.html")
    assert opinion["@type"] == "OpinionNewsArticle"
    assert opinion["headline"] == HOSTILE, "</script> in a title neither breaks out nor is lost"
    assert opinion["author"] == {"@type": "Person", "name": "Peter Symonds"}
    assert opinion["publisher"]["name"] == "World Socialist Web Site"


def test_topic_json_ld_is_an_article_citing_its_sources(cited_site: Path) -> None:
    path = "topics/spy-balloon/index.html"
    (article,) = json_ld(cited_site, path)
    assert article["@type"] == "Article" and article["headline"] == "Spy balloon"
    assert article["url"] == BASE_URL + "topics/spy-balloon/"
    listed = page(cited_site, path).select(".cited-sources > ol > li")
    assert len(article["citation"]) == len(listed) > 0
    titles = [li.select_one("a").get_text() for li in listed]
    assert [c["headline"] for c in article["citation"]] == titles
    kinds = {c["genre"]: c["@type"] for c in article["citation"]}
    assert kinds.get("News", "NewsArticle") == "NewsArticle"
    assert kinds.get("Opinion", "OpinionNewsArticle") == "OpinionNewsArticle"


def test_pages_have_one_json_ld_script_and_nothing_breaks_out(cited_site: Path) -> None:
    html = (cited_site / "sources/wang-yi-signals-support-for-russia/index.html").read_text()
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.find_all("script", type="application/ld+json")) == 1
    assert soup.find("b") is None and "</script><b>" not in html


def without_json_ld(site: Path, path: str) -> BeautifulSoup:
    soup = page(site, path)
    for script in soup.find_all("script", type="application/ld+json"):
        script.decompose()
    return soup


@pytest.mark.parametrize(
    ("path", "author", "keywords"),
    [
        ("sources/wang-yi-signals-support-for-russia/", "Peter Symonds", "China; Russia"),
        ("topics/spy-balloon/", "Briefing editors", "Spy balloon; China"),
    ],
)
def test_highwire_tags_are_read_by_a_metadata_extractor(
    cited_site: Path, path: str, author: str, keywords: str
) -> None:
    """trafilatura's metadata extractor finds the author and keywords in the citation_*
    tags (the JSON-LD taken out first; without the tags too, it finds neither)."""
    soup = without_json_ld(cited_site, path + "index.html")
    found = extract_metadata(str(soup))
    assert found.author == author
    assert found.tags and found.tags[0].startswith(keywords)
    for meta in soup.select('meta[name^="citation_"]'):
        meta.decompose()
    bare = extract_metadata(str(soup))
    assert bare.author != author and not bare.tags


def test_highwire_dates_and_addresses(cited_site: Path) -> None:
    soup = page(cited_site, f"sources/{SOURCE_WITH_URL}/index.html")
    tags = {m["name"]: m["content"] for m in soup.select('meta[name^="citation_"]')}
    assert tags["citation_title"] == (
        "Blinken Meets China’s Wang Yi to Warn China from Aiding Russia"
    )
    assert tags["citation_publication_date"] == "2023/02"
    assert tags["citation_public_url"] == ORIGINAL
    assert "citation_journal_title" not in tags, "no outlet known"


def test_cite_block_shows_what_the_downloads_hold(cited_site: Path) -> None:
    for folder in (f"sources/{SOURCE_WITH_URL}/", "topics/spy-balloon/"):
        soup = page(cited_site, folder + "index.html")
        block = soup.select_one(".cite-this")
        assert block.select_one("#citethis-bibtex").get_text() == (
            (cited_site / folder / "cite.bib").read_text("utf-8")
        )
        assert block.select_one("#citethis-csl").get_text() == (
            (cited_site / folder / "cite.json").read_text("utf-8")
        )
        links = {a["href"] for a in block.select("a[download]")}
        assert links == {"cite.bib", "cite.json"}
        assert parse_bibtex((cited_site / folder / "cite.bib").read_text("utf-8"))
    text = page(cited_site, f"sources/{SOURCE_WITH_URL}/index.html").select_one("#citethis-text")
    assert text.get_text() == (
        "\u201cBlinken Meets China\u2019s Wang Yi to Warn China from Aiding Russia.\u201d "
        "Outlet not stated, February 2023. "
        f"{ORIGINAL}. Retrieved 20 February 2023. "
        f"Copy in China, Russia and the War in Ukraine: {BASE_URL}sources/{SOURCE_WITH_URL}/."
    )


def test_without_a_site_url_citations_leave_addresses_out(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out, use_cache=False, search=False)
    soup = page(out, "topics/spy-balloon/index.html")
    assert soup.select_one('meta[name="citation_title"]')["content"] == "Spy balloon"
    assert soup.select_one('meta[name="citation_public_url"]') is None
    (article,) = extruct.extract(str(soup), syntaxes=["json-ld"])["json-ld"]
    assert "url" not in article and "url" not in article["isPartOf"]
    entry = parse_bibtex((out / "topics/spy-balloon/cite.bib").read_text("utf-8"))
    assert "url" not in entry
    assert "http" not in soup.select_one("#citethis-text").get_text()


# -- Incremental builds -----------------------------------------------------------------


def test_a_source_edit_renders_its_cite_files_and_no_others(project: Path) -> None:
    """(The topics citing it show its title, but their own cite files do not.)"""

    stale = {
        p for p in stale_after(project, retitle_source) if p.endswith(("cite.bib", "cite.json"))
    }
    folder = f"sources/{SOURCE_WITH_URL}/"
    assert stale == {folder + "cite.bib", folder + "cite.json"}, stale


def test_a_topic_retitled_renders_its_cite_files(project: Path) -> None:
    stale = {
        p for p in stale_after(project, retitle_topic) if p.endswith(("cite.bib", "cite.json"))
    }
    assert stale == {"topics/taiwan/cite.bib", "topics/taiwan/cite.json"}, stale
