"""The citation and wikilink syntax: parser units, properties, and end-to-end checks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup, Tag
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from generator.markdown.citations import (
    CitationSyntaxError,
    CiteItem,
    citations_plugin,
    parse_citation,
)
from generator.markdown.wikilinks import wikilinks_plugin
from generator.textnorm import quote_form

from .conftest import failing_build, line_of, run_cli, tree_digest


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("[@a]", [CiteItem("a", None)]),
        ("[@a; @b-2]", [CiteItem("a", None), CiteItem("b-2", None)]),
        ('[@a "exact words"]', [CiteItem("a", "exact words")]),
        ("[@a \u201ccurly words\u201d]", [CiteItem("a", "curly words")]),
        ('[@a "x"; @b "y\\"z"]', [CiteItem("a", "x"), CiteItem("b", 'y"z')]),
        (
            '[@000_679f8ecbde50baa4 "spread\n  over lines"]',
            [CiteItem("000_679f8ecbde50baa4", "spread over lines")],
        ),
    ],
)
def test_parse_citation(text: str, items: list[CiteItem]) -> None:
    parsed, end = parse_citation(text, 0, len(text))
    assert parsed == items and end == len(text)


@pytest.mark.parametrize(
    "text", ["[@]", "[@a", '[@a "open]', "[@a b]", "[@a;]", '[@a ""]', "[@a; b]"]
)
def test_malformed_citations_are_refused(text: str) -> None:
    with pytest.raises(CitationSyntaxError):
        parse_citation(text, 0, len(text))


@pytest.mark.parametrize("text", ['[@a "open]', '[@a "open', '[@a; @b "x; y]'])
def test_an_unclosed_quote_is_refused_as_such(text: str) -> None:
    with pytest.raises(CitationSyntaxError, match="the quote is not closed"):
        parse_citation(text, 0, len(text))


@pytest.mark.parametrize("text", ["[@a; wire]", "[@a; @b; cd]", "[ wire]"])
def test_an_item_without_its_at_sign_is_refused_as_such(text: str) -> None:
    """Not read as the id that follows its first letter."""
    with pytest.raises(CitationSyntaxError, match="expected '@' and a source id"):
        parse_citation(text, 0, len(text))


def plain() -> MarkdownIt:
    return MarkdownIt("commonmark")


def extended() -> MarkdownIt:
    return MarkdownIt("commonmark").use(citations_plugin).use(wikilinks_plugin)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_text_without_citations_renders_as_plain_markdown(text: str) -> None:
    if "[@" in text or "[[" in text:
        text = text.replace("[@", "[ @").replace("[[", "[ [")
    assert extended().render(text) == plain().render(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list('[]@;"\u201c\u201d\\ abc-_.|\n*`')),
        max_size=80,
    )
)
def test_any_input_parses_without_raising(text: str) -> None:
    # without a document state the plugins parse and render, never raise
    extended().render(text)


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def cited_source(html: BeautifulSoup, marker: Tag) -> str:
    """The id of the source a marker cites, read from its entry in the Sources list."""
    entry = html.find(id=marker["aria-describedby"])
    return entry.select_one('a[href*="sources/"]')["href"].split("/")[-2]


def citations_of(marker: Tag) -> int:
    """How many citations a marker stands for: its own, and those of the markers merged
    into it (whose ids stay on empty spans after it)."""
    merged = 0
    for sibling in marker.next_siblings:
        if not isinstance(sibling, Tag) or sibling.name != "span":
            break
        merged += sibling.get("id", "").startswith("cite-")
    return 1 + merged


def test_every_citation_lands_on_a_highlighted_passage(site_dir: Path) -> None:
    checked = 0
    for page in sorted(site_dir.glob("**/index.html")):
        html = soup(page)
        for marker in html.select("sup.cite a"):
            if marker["href"].startswith("#ref-"):  # one marker for several passages: its
                note = html.find(id=marker["href"][1:])  # note links to each of them
                hrefs = [a["href"].partition("#")[2] for a in note.select(".quotes a")]
                assert set(marker["data-passages"].split()) <= set(hrefs), marker
                continue
            target, _, fragment = marker["href"].partition("#")
            target_path = (page.parent / unquote(target)).resolve()
            assert target_path.is_file(), marker
            title = marker["title"]
            if not title.startswith("\u201c"):
                assert not fragment
                continue
            quote = title[1 : title.index("\u201d \u2014 ")]
            passage = soup(target_path).find(id=fragment)
            assert passage is not None and passage.name == "mark", (page, fragment)
            assert "passage" in passage["class"]
            assert quote_form(quote) in quote_form(passage.get_text()), (quote, passage)
            # the passage links back to the page that cites it
            outer = passage
            while outer.parent.name == "mark":  # overlapping quotes share one highlight
                outer = outer.parent
            back = [a["href"] for a in outer.find_next_sibling(class_="passage-cited")("a")]
            rel = page.relative_to(site_dir).as_posix()
            assert any(
                rel in (target_path.parent / unquote(h.split("#")[0])).resolve().as_posix()
                for h in back
            )
            checked += 1
    assert checked >= 4


def test_markers_and_sources_list_link_to_each_other(site_dir: Path) -> None:
    for page in sorted(site_dir.glob("topics/*/index.html")):
        html = soup(page)
        markers = html.select("sup.cite a")
        entries = html.select(".cited-sources > ol > li")
        numbers = [int(m.get_text()) for m in markers]
        assert sorted(set(numbers)) == list(range(1, len(entries) + 1)), "numbered in order"
        first_seen = list(dict.fromkeys(numbers))
        assert first_seen == sorted(first_seen), "numbers appear in reading order"
        for marker in markers:
            entry = html.find(id=marker["aria-describedby"])
            assert entry in entries
            assert entry.find("a", href=f"#{marker['id']}"), "entry links back to marker"


def test_cited_in_lists_match_citations(site_dir: Path) -> None:
    expected: dict[str, Counter[str]] = {}
    for page in sorted(site_dir.glob("**/index.html")):
        if "/sources/" in page.as_posix():
            continue
        title = " ".join(soup(page).h1.get_text().split())
        html = soup(page)
        for marker in html.select("sup.cite a"):
            expected.setdefault(cited_source(html, marker), Counter())[title] += citations_of(
                marker
            )
    for source_page in sorted(site_dir.glob("sources/*/index.html")):
        source_id = source_page.parent.name
        items = soup(source_page).select(".cited-in li")
        shown = Counter()
        for item in items:
            count = int(item.select_one(".count").get_text().split()[0])
            shown[" ".join(item.a.get_text().split())] = count
        assert shown == expected.get(source_id, Counter()), source_id


TOPIC = "content/topics/spy-balloon.md"


def add_paragraph(project: Path, text: str) -> int:
    path = project / TOPIC
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")
    return line_of(path, text.split("\n")[0])


def test_wrong_quote_names_line_and_closest_passage(
    project: Path, good_output: dict[str, bytes]
) -> None:
    line = add_paragraph(
        project, 'Wang spoke [@blinken-meets-wang-yi "Wang called on the US to admit harm"].'
    )
    stderr = failing_build(project, good_output)
    assert f"{TOPIC}:{line}: error: quote not found in source 'blinken-meets-wang-yi'" in stderr
    assert "closest passage is" in stderr and "admit to the harm caused" in stderr


def test_quote_matching_forgives_only_typography(project: Path) -> None:
    add_paragraph(
        project,
        "Straight quotes and spacing [@wang-yi-signals-support-for-russia "
        '"invasion - a claim that even the Ukrainian president has publicly denied"].',
    )
    result = run_cli("--root", str(project), "-q")
    assert result.returncode == 0, result.stderr
    add_paragraph(project, 'Case differs [@blinken-meets-wang-yi "no apology"].')
    result = run_cli("--root", str(project), "-q")
    assert result.returncode == 1 and "quote not found" in result.stderr


def test_quote_from_removed_boilerplate_is_explained(
    project: Path, good_output: dict[str, bytes]
) -> None:
    add_paragraph(project, 'See [@us-china-exchanging-blows "Be the first to comment"].')
    stderr = failing_build(project, good_output)
    assert "occurs only in text the cleaner removed" in stderr


def test_unknown_source_id_suggests(project: Path, good_output: dict[str, bytes]) -> None:
    line = add_paragraph(project, "Claim [@blinken-meets-wang].")
    stderr = failing_build(project, good_output)
    assert f"{TOPIC}:{line}: error: unknown source id 'blinken-meets-wang'" in stderr
    assert "did you mean 'blinken-meets-wang-yi'" in stderr


def test_file_stem_works_as_id(project: Path) -> None:
    add_paragraph(project, "By stem [@001_aa6b22c0c52c705b].")
    assert run_cli("--root", str(project), "-q").returncode == 0
    html = soup(project / "output/topics/spy-balloon/index.html")
    assert html.select_one('sup.cite a[href*="sources/blinken-meets-wang-yi/"]')


def test_broken_wikilink_suggests(project: Path, good_output: dict[str, bytes]) -> None:
    line = add_paragraph(project, "See [[Spy baloon]].")
    stderr = failing_build(project, good_output)
    assert f"{TOPIC}:{line}: error: wikilink [[Spy baloon]] matches no page" in stderr
    assert "did you mean 'Spy balloon'" in stderr


def test_malformed_citation_is_an_error(project: Path, good_output: dict[str, bytes]) -> None:
    line = add_paragraph(project, 'Oops [@blinken-meets-wang-yi "unclosed].')
    stderr = failing_build(project, good_output)
    assert f"{TOPIC}:{line}: error: malformed citation" in stderr


def test_wikilinks_and_md_links_resolve_with_backlinks(project: Path) -> None:
    (project / "content/topics/second.md").write_text(
        "---\ntitle: Second topic\ntags: [Spy balloon]\n---\n"
        "See [[spy-balloon|the balloon incident]], [[Spy Balloon]] and "
        "[the same](spy-balloon.md#two-accounts) [@blinken-meets-wang-yi].\n",
        encoding="utf-8",
    )
    result = run_cli("--root", str(project), "-q")
    assert result.returncode == 0, result.stderr
    second = soup(project / "output/topics/second/index.html")
    hrefs = [a["href"] for a in second.select(".prose a") if not a.find_parent("sup")]
    assert hrefs == [
        "../spy-balloon/index.html",
        "../spy-balloon/index.html",
        "../spy-balloon/index.html#two-accounts",
    ]
    assert second.select_one(".prose a.wikilink").get_text() == "the balloon incident"
    balloon = soup(project / "output/topics/spy-balloon/index.html")
    backlinks = [a.get_text() for a in balloon.select('[aria-labelledby="backlinks-heading"] a')]
    assert "Second topic" in backlinks
    related = [a.get_text() for a in balloon.select('[aria-labelledby="related-heading"] a')]
    assert "Second topic" in related


def test_graph_json_describes_citations(site_dir: Path) -> None:
    import json

    graph = json.loads((site_dir / "graph.json").read_text(encoding="utf-8"))
    ids = {node["id"] for node in graph["nodes"]}
    assert {"topic", "source", "tag"} == {node["type"] for node in graph["nodes"]}
    for edge in graph["edges"]:
        assert edge["source"] in ids and edge["target"] in ids
        assert edge["type"] in ("cites", "links", "tagged")
    assert any(edge["type"] == "cites" for edge in graph["edges"])


def test_graph_json_has_one_node_or_edge_per_line(site_dir: Path) -> None:
    """A change to the graph shows as changed lines: each node and edge is one line."""
    import json

    text = (site_dir / "graph.json").read_text(encoding="utf-8")
    graph = json.loads(text)
    items = [line.strip().rstrip(",") for line in text.splitlines() if line.startswith("  {")]
    assert [json.loads(item) for item in items] == graph["edges"] + graph["nodes"]
    assert len(text.splitlines()) == len(items) + 6  # braces and the two lists' brackets


def test_failed_citation_build_keeps_output(project: Path) -> None:
    assert run_cli("--root", str(project), "-q").returncode == 0
    before = tree_digest(project / "output")
    add_paragraph(project, "Claim [@nobody].")
    assert run_cli("--root", str(project), "-q").returncode == 1
    assert tree_digest(project / "output") == before


def test_sources_index_counts_match_source_pages(site_dir: Path) -> None:
    index = soup(site_dir / "sources/index.html")
    for item in index.select(".source-list li"):
        link = item.find("a")
        page = soup((site_dir / "sources" / unquote(link["href"])).resolve())
        counts = [int(c.get_text().split()[0]) for c in page.select(".cited-in .count")]
        expected = (
            f"Cited {sum(counts)} time{'s' if sum(counts) != 1 else ''} in {len(counts)} "
            f"page{'s' if len(counts) != 1 else ''}"
            if counts
            else "Not cited yet"
        )
        assert " ".join(item.select_one(".cited-count").get_text().split()) == expected
