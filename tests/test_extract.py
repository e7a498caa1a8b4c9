"""Saved web pages as sources: extraction, `briefing extract`, building, hostile markup."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bs4 import BeautifulSoup

from generator import build
from generator.cleaning import clean_article, main_region
from generator.extract import extract_html
from generator.models import Block, Run

from .conftest import BASE_URL, ROOT, edit, failing_build, run_cli
from .test_hostile import scan_output

FIXTURES = Path(__file__).parent / "fixtures" / "html"


def kinds(path: Path) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in extract_html(path.read_bytes()).article.blocks]


def test_article_and_metadata_are_extracted() -> None:
    extraction = extract_html((FIXTURES / "article.html").read_bytes())
    assert extraction.title == "Port Talks Resume After Long Pause"
    assert extraction.author == "Maria Keller"
    assert extraction.date is not None and extraction.date.iso == "2024-03-14"
    assert extraction.outlet == "The Harbour Gazette"
    assert extraction.url == "https://gazette.example.org/news/2024/03/port-talks-resume"
    assert extraction.language == "en-GB"
    blocks = kinds(FIXTURES / "article.html")
    assert ("heading", "What the two sides want") in blocks
    assert [k for k, _ in blocks].count("list_item") == 2
    assert any(k == "quote" and t.startswith("We are here to reach") for k, t in blocks)
    text = extraction.article.text
    assert text.startswith("Negotiators for the port authority")
    for unwanted in (
        "Home",
        "Share on Twitter",
        "Advertisement",
        "Related stories",
        "Ferry timetable",
        "Comments",
        "strike has gone on",
        "Privacy",
        "window.tracker",
        "color: red",
        "All rights reserved",
    ):
        assert unwanted not in text, unwanted
    links = [r for b in extraction.article.blocks for r in b.runs if r.style == "link"]
    assert [(r.text, r.href) for r in links] == [
        ("the published statement", "https://gazette.example.org/statement")
    ]
    assert any(
        r.style == "em" and r.text == "night shift pay"
        for b in extraction.article.blocks
        for r in b.runs
    )


def test_declared_charset_is_honoured() -> None:
    extraction = extract_html((FIXTURES / "latin1.html").read_bytes())
    assert extraction.title == "Le café du port rouvre ses portes"
    assert extraction.language == "fr"
    assert "l’attendaient depuis l’automne" in extraction.article.text
    assert "« Nous voulions" in extraction.article.text


def test_hostile_markup_becomes_text() -> None:
    extraction = extract_html((FIXTURES / "hostile.html").read_bytes())
    text = extraction.article.text
    assert "alert" not in text and "document.write" not in text
    assert "with eleven votes in favour" in text
    hrefs = [r.href for b in extraction.article.blocks for r in b.runs if r.href]
    assert hrefs == ["https://news.example.org/terminal"]


def test_extract_command_prints_json() -> None:
    for name, expected in (
        ("fixtures/html/article.html", "Maria Keller"),
        ("../seeds/004_e05ee51f43f3a64c.txt", "Peter Symonds"),
    ):
        result = run_cli("extract", str(Path(__file__).parent / name))
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert set(data) == {"title", "author", "date", "outlet", "url", "language", "articleBody"}
        assert data["author"] == expected and len(data["articleBody"].split()) > 50
    result = run_cli("extract", "/no/such/file.html")
    assert result.returncode == 2


def add_html_source(project: Path, fixture: str, source_id: str, extra: str = "") -> None:
    shutil.copy(FIXTURES / fixture, project / "seeds" / f"{source_id}.html")
    with (project / "seeds/sources.yaml").open("a", encoding="utf-8") as handle:
        handle.write(
            f"\n- id: {source_id}\n  file: {source_id}.html\n  kind: news\n"
            f"  tags: [Harbour]\n{extra}"
        )


def test_html_source_builds_with_page_metadata(project: Path, tmp_path: Path) -> None:
    add_html_source(
        project, "article.html", "port-talks", "  author: Desk staff\n  retrieved: 2024-03-15\n"
    )
    add_html_source(project, "hostile.html", "council-budget")
    (project / "content/pages/harbour.md").write_text(
        "---\ntitle: Harbour\n---\n\nTalks resumed "
        '[@port-talks "returned to the table on Thursday after a pause of almost three '
        'months"].\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    build(project, out, base_url=BASE_URL)
    page = BeautifulSoup((out / "sources/port-talks/index.html").read_text("utf-8"), "html.parser")
    assert page.h1.get_text(strip=True) == "Port Talks Resume After Long Pause"
    card = {
        div.dt.get_text(strip=True): div.dd.get_text(" ", strip=True)
        for div in page.select(".meta-card > div")
    }
    assert card["Outlet"] == "The Harbour Gazette"  # from the page
    assert card["Author"] == "Desk staff"  # sources.yaml wins
    assert card["Language"] == "en-GB"
    assert "2024-03-14" in str(page.select_one(".meta-card time"))
    assert "gazette.example.org/news/2024/03/port-talks-resume" in card["Original"]
    assert "web.archive.org" in str(page.select_one(".meta-card"))
    assert "retrieved" in card["Original"]
    assert len(card["SHA-256"]) == 64
    body = page.select_one(".article-text")
    assert body.find("h2").get_text() == "What the two sides want"
    assert len(body.select("ul li")) == 2 and body.find("blockquote")
    assert body.select_one("mark.passage"), "the quoted passage is highlighted"
    assert scan_output(out) == []
    hostile = (out / "sources/council-budget/index.html").read_text("utf-8")
    assert "poorly costed" in hostile and "alert(" not in hostile.split("original")[0]


def test_changed_source_is_reported_against_its_quotes(
    project: Path, good_output: dict[str, bytes]
) -> None:
    assert run_cli("--root", str(project), "-q").returncode == 0  # records verified quotes
    edit(
        project / "seeds/003_4340c87e853854e5.txt",
        "At the moment, it’s just the accusation.",
        "For now it is an accusation.",
    )
    good = {
        p.relative_to(project / "output").as_posix(): p.read_bytes()
        for p in (project / "output").rglob("*")
        if p.is_file()
    }
    stderr = failing_build(project, good)
    assert (
        "source 'us-accuses-china-of-weighing-arms-for-russia' changed since this quote "
        "was checked" in stderr
    )
    assert "the passage was: 'At the moment, it’s just the accusation.'" in stderr
    assert "the closest passage now: 'For now it is an accusation.'" in stderr


def test_whole_page_copy_keeps_the_article_only() -> None:
    nav = "\n".join(["Home", "World", "Business", "Sport", "Weather", "Sign in", "Subscribe"])
    links = "\n".join(f"Related headline number {i}" for i in range(12))
    prose = "\n\n".join(
        f"Paragraph {i} of the article says something long enough to be prose, with several "
        "clauses and a full stop at the end of it."
        for i in range(6)
    )
    page = f"{nav}\n{links}\nThe Headline\n\n{prose}\n\n{links}\nCookie settings\nContact us"
    region = main_region(page)
    assert region is not None
    assert "Paragraph 0" in region and "Paragraph 5" in region
    assert "Related headline" not in region and "Sign in" not in region
    cleaned = clean_article(page, markdown=False).text
    assert cleaned.count("Paragraph") == 6 and "Cookie settings" not in cleaned
    # ordinary scraped text is left to the usual rules
    assert main_region((ROOT / "seeds/003_4340c87e853854e5.txt").read_text("utf-8")) is None


def page(body: str, title: str = "Harbour Notes") -> bytes:
    """A saved page around an article body (a nav and a footer trafilatura leaves out)."""
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<main><article><h1>{title}</h1>{body}</article></main>"
        "<footer><p>Contact us</p></footer></body></html>"
    ).encode()


def trailing_off_article() -> bytes:
    """An article whose every paragraph trails off with an ellipsis, as a diarist's may:
    a tail of truncated excerpts is a list of teasers only where the text before it
    does not trail off so."""
    paragraphs = "".join(
        f"<p>On day {day} the ferry left the harbour late again, the harbour master said "
        f"nothing, the passengers waited on the quay in the rain for an hour and more, "
        f"and the café by the gate sold out of coffee before nine …</p>"
        for day in range(1, 9)
    )
    return page(paragraphs)


def test_a_writer_whose_paragraphs_trail_off_keeps_them_all() -> None:
    from generator.combine import CombineSettings

    diary = trailing_off_article()
    headed = diary.replace(b"<p>On day", b"<h2>A day</h2><p>On day")
    introduced = diary.replace(b"<h1>Harbour Notes</h1>", b"<h1>Harbour Notes</h1><p>My week.</p>")
    for page_bytes in (diary, headed, introduced):
        for settings in (CombineSettings(), CombineSettings(guard_share=1.0)):
            kept = extract_html(page_bytes, settings=settings).article
            assert [f"On day {day} " in kept.text for day in range(1, 9)] == [True] * 8


def paragraphs(*texts: str) -> list[Block]:
    return [Block("paragraph", (Run(text),)) for text in texts]


def test_a_tail_of_teasers_is_cut_by_contrast() -> None:
    from generator.extract import cut_teaser_tail

    article = paragraphs("The council met on Monday and approved the works on the quay.")
    teasers = paragraphs("Another story about the port …", "And one more about ferries …")
    assert cut_teaser_tail(article + teasers) == (article, [b.text for b in teasers])
    # no contrast: a text whose paragraphs all trail off keeps them
    assert cut_teaser_tail(teasers + teasers) == (teasers + teasers, [])
    # headings count neither as plain text above nor in the tail
    headings = [Block("heading", (Run("Day 1"),))]
    assert cut_teaser_tail(headings + teasers + teasers)[1] == []
    # a short introduction is no article for teasers to follow
    short = paragraphs("My week.")
    assert cut_teaser_tail(short + teasers) == (short + teasers, [])
    # one trailing paragraph is no list; nor are two among many that end plainly
    assert cut_teaser_tail(article + teasers[:1]) == (article + teasers[:1], [])
    mixed = article + teasers[:1] + article * 3 + teasers[1:]
    assert cut_teaser_tail(mixed) == (mixed, [])
    # the text above is weighed against the excerpts, not against all the tail holds
    short_article = paragraphs("The council met on Monday about the quay.")
    long_plain = paragraphs(" ".join(["The ferry timetable for the winter months."] * 5))
    tail = teasers + long_plain
    assert cut_teaser_tail(short_article + tail) == (short_article, [b.text for b in tail])
    # a heading that trails off is no excerpt
    heading = [Block("heading", (Run("Read on …"),))]
    assert cut_teaser_tail(article + heading + teasers[:1])[1] == []


def test_teasers_that_are_most_of_what_was_found_go_despite_the_guard() -> None:
    """A page whose teaser excerpts are four fifths of its words: the guard protects the
    article from the pattern rules, not from this cut, which has evidence of its own."""
    article = (
        "<p>"
        + " ".join(
            f"The council report says the budget for the harbour will grow, point {n}."
            for n in range(10)
        )
        + "</p>"
    )
    teaser = " ".join(["Another story about the port and the ferries and the quay"] * 8)
    body = article + "".join(f"<p>{teaser} number {n} …</p>" for n in range(4))
    text = extract_html(page(body)).article.text
    assert "point 9." in text and "Another story" not in text


def test_the_guard_does_not_count_the_headline_repeated_above_the_article() -> None:
    from generator.cleaning import default_rules
    from generator.combine import CombineSettings, EmbeddedPosts
    from generator.extract import article_blocks

    title = "Council approves the north quay works after a long debate over costs and ferries"
    blocks = [Block("heading", (Run(title),))] + paragraphs(
        "The council approved the works on Monday; they start in spring.", "Share this article"
    )
    kept, removed = article_blocks(
        blocks, title, EmbeddedPosts((), ""), default_rules(), CombineSettings()
    )
    assert [b.text for b in kept] == [
        "The council approved the works on Monday; they start in spring."
    ]
    assert removed == [title, "Share this article"]


def link_roundup() -> bytes:
    """A round-up of short linked paragraphs: what the link-list rule takes for a list of
    related links, though it is the article."""
    items = "".join(
        f"<p>The council published <a href='https://example.org/report-{n}'>its report on "
        f"the north quay, part {n}</a> on Monday.</p>"
        for n in range(1, 5)
    )
    intro = (
        "<p>Four reports on the harbour came out this week; the council says the works on "
        "the north quay will take two years and cost more than planned.</p><p>The harbour "
        "master told the council that ferries would keep running while the quay is "
        "rebuilt, though some would leave from the south pier.</p>"
    )
    return page(intro + items)


def test_guard_keeps_the_article_when_the_rules_would_remove_much_of_it() -> None:
    from generator.combine import CombineSettings, guarded

    kept = extract_html(link_roundup()).article.text
    assert [f"the north quay, part {n} " in kept for n in range(1, 5)] == [True] * 4
    assert not any("part 1 " in text for text in extract_html(link_roundup()).article.removed)
    # the rule would remove about half of the words: not a small share
    unguarded = extract_html(link_roundup(), settings=CombineSettings(guard_share=1.0))
    assert "part 1 " not in unguarded.article.text and "Four reports" in unguarded.article.text
    # the guard compares words before and after the rules
    blocks = [Block("paragraph", (Run(f"word {n} " * 5),)) for n in range(4)]
    assert guarded(blocks, blocks[:2], 0.35) and not guarded(blocks, blocks[:3], 0.35)
    assert not guarded(blocks, blocks, 0.0) and not guarded([], [], 0.5)


def test_tidying_below_the_guard_share_still_applies() -> None:
    """A short tail of teasers after a long article goes, as before."""
    article = "".join(
        f"<p>Paragraph {n} of the council report says the budget for the harbour will "
        f"grow by a small amount next year, and the works on the north quay will start "
        f"in the spring if the weather allows it.</p>"
        for n in range(8)
    )
    teasers = "".join(
        f"<p>Another story about the port and its ferries number {n} …</p>" for n in range(3)
    )
    text = extract_html(page(article + teasers)).article.text
    assert text.count("of the council report") == 8 and "Another story" not in text


def test_embedded_posts_inside_the_article_are_kept_in_place() -> None:
    """An embedded post in a widget box (which trafilatura drops) stays where it stood."""
    from generator.combine import CombineSettings

    tweet = (
        "<div class='article-widget article-tweet'><blockquote class='twitter-tweet'>"
        "<p lang='en'>The north quay is open again, "
        "thanks to everyone who waited so patiently.</p>&mdash; Harbour Office "
        "(@harbour) <a href='https://twitter.com/harbour/status/1'>March 3, 2024</a>"
        "</blockquote></div>"
    )
    paragraphs = [
        f"<p>Paragraph {n} of the report on the quay says that the repairs took longer "
        f"than planned because of the storms in the winter and the shortage of steel.</p>"
        for n in range(6)
    ]
    body = page("".join(paragraphs[:3]) + tweet + "".join(paragraphs[3:]))
    without = extract_html(body, settings=CombineSettings(embedded_posts=False)).article
    assert "north quay is open again" not in without.text
    blocks = extract_html(body).article.blocks
    texts = [b.text for b in blocks]
    where = next(i for i, t in enumerate(texts) if "north quay is open again" in t)
    assert texts[where - 1].startswith("Paragraph 2") and texts[where + 1].startswith("Paragraph 3")
    assert blocks[where].kind == "quote"
    assert any(r.href == "https://twitter.com/harbour/status/1" for r in blocks[where].runs)
    # a post outside the article (a sidebar after it) is not brought in
    sidebar = page("".join(paragraphs)).replace(
        b"<footer>", b"<aside>" + tweet.encode() + b"</aside><footer>"
    )
    assert "north quay is open again" not in extract_html(sidebar).article.text
    # a post whose lines are broken (<br>) is found on the page all the same
    broken = body.replace(b"open again, ", b"open again.<br>Thanks.<br>")
    assert "open again. Thanks." in extract_html(broken).article.text


def test_link_lists_go_and_prose_with_links_stays() -> None:
    """A short block that is mostly link text (a tag list) goes; paragraphs with a link
    in them stay."""
    from generator.combine import CombineSettings

    article = "".join(
        f"<p>Paragraph {n} of the council report says the budget for the harbour will "
        f"grow next year, as <a href='https://example.org/budget'>the budget</a> shows, "
        f"and the works on the north quay will start in the spring.</p>"
        for n in range(6)
    )
    tags = (
        "<p>Tags <a href='https://example.org/t/1'>harbour</a>, "
        "<a href='https://example.org/t/2'>ferries</a>, "
        "<a href='https://example.org/t/3'>north quay</a></p>"
    )
    body = page(article + tags)
    text = extract_html(body).article.text
    assert text.count("of the council report") == 6 and "Tags harbour" not in text
    off = extract_html(body, settings=CombineSettings(link_share=2.0)).article.text
    assert "Tags harbour" in off


def test_default_mode_is_taken_when_precision_mode_finds_nothing() -> None:
    """If trafilatura's precision mode finds no article (or loses most of it), its
    default mode's reading of the same page is used."""
    from dataclasses import replace

    from generator.combine import CombineSettings
    from generator.extract import combine, read_page

    html = (FIXTURES / "article.html").read_text(encoding="utf-8")
    reading = read_page(html)
    expected = combine(reading).article.text
    assert expected.startswith("Negotiators for the port authority")
    lost = replace(reading, document=None, blocks=())
    assert combine(lost).article.text == expected
    assert combine(lost).title == "Port Talks Resume After Long Pause"
    shrunk = replace(reading, blocks=reading.blocks[-1:])
    assert combine(shrunk).article.text == expected
    off = combine(shrunk, settings=CombineSettings(mode_share=1.0)).article.text
    assert off == reading.blocks[-1].text
    # text the default mode repeats is not text lost: a block that holds the whole
    # article again, as trafilatura's default mode gives on some pages
    repeated = (Block("paragraph", (Run(" ".join(b.text for b in reading.blocks)),)),)
    echoed = replace(reading, wide_blocks=repeated + reading.wide_blocks)
    assert combine(echoed, settings=CombineSettings(mode_share=0.35)).article.text == expected


def test_lost_share_counts_distinct_text() -> None:
    from generator.combine import lost_share

    def blocks(*texts: str) -> tuple[Block, ...]:
        return tuple(Block("paragraph", (Run(text),)) for text in texts)

    one = "the ferry left the harbour late again and the passengers waited on the quay"
    two = "in the rain for an hour while the council said the works would end in spring"
    assert lost_share(blocks(one, two), blocks(one, two)) == 0.0
    # a block repeating the others adds only the shingles across its edge (3 of 30 here)
    assert lost_share(blocks(one + " " + two, one, two), blocks(one, two)) == 0.1
    # without two: its 13 shingles and the 3 across the edge, of 27
    assert lost_share(blocks(one, two), blocks(one)) == 16 / 27
    assert lost_share(blocks(one), ()) == 1.0 and lost_share((), blocks(one)) == 0.0


def test_headline_leaves_out_the_sites_name_the_title_ends_with() -> None:
    from generator.extract import headline

    assert headline("Best gadgets of 2019 | ZDNet", "ZDNet", None) == "Best gadgets of 2019"
    assert headline("Port talks  |  ZDNet", "ZDNet", None) == "Port talks"  # spaces folded
    assert headline("Port talks – Inexhibit", "Inexhibit magazine", None) == "Port talks"
    assert headline("Port talks | ＺＤＮｅｔ", "ZDNet", None) == "Port talks"  # width folded
    # the site named by the page's domain (its labels or the whole host, without www.)
    site = "https://www.portgazette.example/news/1"
    assert headline("Port talks - Port Gazette", None, site) == "Port talks"
    assert headline("Port talks - Port Gazette Example", None, site) == "Port talks"
    assert headline("Port talks - Telegraph", None, "https://www.telegraph.co.uk/x") == (
        "Port talks"
    )
    assert headline("Talks | München", None, "https://www.xn--mnchen-3ya.de/") == "Talks"
    assert headline("Port talks | Detroit", None, "https://detroit.gazette.example/") == (
        "Port talks | Detroit"
    ), "a subdomain's first label is no site name"
    # a host name in the site's own top-level domain, in any script
    assert headline("Port talks | ガゼット.com", None, "https://gazette.com/a") == "Port talks"
    for title in ("Event loops | Node.js", "Fix a crash - setup.py", "Why | Snopes.com lies"):
        assert headline(title, "Dev Notes", "https://devnotes.example.com/") == title
    # a motto after the site's name, shorter than the headline; or part of the outlet's name
    long_head = "Port talks resume after three months"
    assert headline(f"{long_head} - Port Gazette - since 1851", "x", site) == long_head
    assert headline("Talks - ZDNet - Daily", "ZDNet", None) == "Talks - ZDNet - Daily"
    assert headline(f"{long_head} - ZDNet - b - c", "ZDNet", None) == (
        f"{long_head} - ZDNet - b - c"
    ), "only the last two parts can name the site"
    assert headline("Reviews | The Verge | Our long review of the phone", "The Verge", None) == (
        "Reviews | The Verge | Our long review of the phone"
    )
    assert headline(
        "Port talks - Gazette - news since 1851", "Gazette - news since 1851", None
    ) == ("Port talks")
    # trafilatura's guess of an outlet from the title itself (a part with a dot) is no
    # evidence, unless the page names its site in a meta tag
    for title in ("Storm hits coast - U.S. braces for more", "Hamilton - No. 1 on Broadway"):
        assert headline(title, title.split(" - ")[1], None) == title
    assert headline("Best colleges - U.S. News", "U.S. News", None, outlet_declared=True) == (
        "Best colleges"
    )
    # a part that only starts like the outlet, or is started by it, is not its name
    assert headline("Brexit - Time out", "Time", None) == "Brexit - Time out"
    assert headline("Climate - The sun rises", "The Sun", None) == "Climate - The sun rises"
    assert headline("Talks - Inexhibit", "Inexhibit magazine of design", None) == (
        "Talks - Inexhibit"
    ), "less than half of the outlet's name"
    assert headline("Talks - The", "Them", None) == "Talks - The", "too short to name a site"
    # a title whose last part is not the site's name stays whole, and is never emptied
    kept = ("Milan Design Week | Light for FLOS", "Port Gazette", "| Port Gazette")
    assert [headline(t, "The Port Gazette", site) for t in kept] == list(kept)
    for title in ("We won - 🏆", "Great day | !!!", "Is it over - ?"):
        assert headline(title, None, None) == title
    assert headline(None, "ZDNet", None) is None and headline("  ", None, None) == "  "
    assert headline("Talks | Gazette", None, "http://[::1") == "Talks | Gazette"


def test_the_headline_repeated_above_the_article_goes_though_the_title_names_the_site() -> None:
    html = page(
        "<p>Negotiators for the port authority met again on Monday after a pause of three "
        "months, the council said, and the talks will go on next week.</p>"
    ).replace(b"<title>Harbour Notes</title>", b"<title>Harbour Notes | The Port Gazette</title>")
    html = html.replace(
        b"<head>",
        b'<head><meta property="og:site_name" content="The Port Gazette">'
        b'<meta property="og:title" content="Harbour Notes | The Port Gazette">',
    )
    found = extract_html(html)
    assert (found.title, found.outlet) == ("Harbour Notes", "The Port Gazette")
    # an outlet with a dot: a site's name the page declares, not trafilatura's guess
    dotted = html.replace(b"The Port Gazette", b"Port Gazette Co.")
    assert extract_html(dotted).title == "Harbour Notes"
    undeclared = dotted.replace(b'property="og:site_name"', b'property="og:description"')
    assert extract_html(undeclared).title == "Harbour Notes | Port Gazette Co."
    assert found.article.text.startswith("Negotiators for the port authority")


def test_every_word_trafilatura_found_reaches_a_block() -> None:
    """Text trafilatura leaves beside its blocks (after a heading) and code listings were
    dropped when its XML became blocks; a listing keeps its lines."""
    body = (
        "<p>The harbour board met on Tuesday to decide the ferry timetable for the winter "
        "months ahead, with the mayor present.</p>"
        "<h2>The vote</h2>The board voted seven to two for an earlier first crossing, after "
        "an hour of debate about the night shift."
        "<p>The new timetable starts in December, the board's secretary said after the "
        "meeting closed.</p><p>The timetable script the board published reads:</p>"
        "<pre><code>ferry --first 05:40\nferry --last 23:10\n\nferry --publish</code></pre>"
        "<p>Passengers can read it at the terminal from Monday, the secretary added.</p>"
    )
    blocks = extract_html(page(body)).article.blocks
    texts = [b.text for b in blocks]
    assert texts[1:3] == [
        "The vote",
        "The board voted seven to two for an earlier first crossing, after an hour of "
        "debate about the night shift.",
    ]
    listing = blocks[texts.index("ferry --first 05:40\nferry --last 23:10\nferry --publish")]
    assert [r.style for r in listing.runs] == ["code", "br", "code", "br", "code"]
    assert texts[-1].startswith("Passengers can read it")


def test_trafilatura_xml_becomes_blocks_once_each() -> None:
    from lxml import etree

    from generator.tei import tei_blocks

    body = etree.fromstring(
        "<body>Opening words <ref target='https://example.org/a'>with a link</ref>."
        "<list><item>First point<list><item>a sub-point</item></list></item>"
        "<item>Second point</item></list>"
        "<quote><p>Quoted one.</p>and quoted loose text<p>Quoted two.</p></quote>"
        "<p>Inline <code>x = 1</code> code.</p>"
        "<table><row><cell>Port</cell><cell>Departures</cell></row></table>"
        "<code><table><tr><td>1</td><td>ferry --first</td></tr>"
        "<tr><td>2</td><td>ferry --last</td></tr></table></code>Closing words.</body>"
    )
    blocks = tei_blocks(body)
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "Opening words with a link."),
        ("list_item", "First point a sub-point"),
        ("list_item", "Second point"),
        ("quote", "Quoted one."),
        ("quote", "and quoted loose text"),
        ("quote", "Quoted two."),
        ("paragraph", "Inline x = 1 code."),
        ("paragraph", "Port Departures"),
        ("paragraph", "1 ferry --first\n2 ferry --last"),
        ("paragraph", "Closing words."),
    ]
    assert blocks[0].runs[1] == Run("with a link", "link", "https://example.org/a")
    assert blocks[6].runs[1] == Run("x = 1", "code")


def test_pages_are_decoded_as_a_browser_decodes_them() -> None:
    from generator.extract import decode_html

    words = "Sprzeciw wobec ataków na Fundację — «café» naïve"
    declared = f"<html><head><meta charset='utf-8'><title>{words}</title></head>"
    broken = declared.encode() + b"<body><p>one broken byte \xff here</p></body></html>"
    # the declared charset holds despite a broken byte (it was once read as Mac Roman)
    assert words in decode_html(broken) and "\ufffd" in decode_html(broken)
    # a page "in ISO-8859-1" is windows-1252, as in every browser: 0x93 0x94 are quotes
    latin = b"<meta charset='iso-8859-1'><p>\x93Caf\xe9\x94 \x96 done</p>"
    assert "\u201cCafé\u201d \u2013 done" in decode_html(latin)
    # undeclared: UTF-8 when all but a few bytes are, else what the bytes suggest
    assert words in decode_html(f"<p>{words}</p>".encode() + b"\xff")
    assert "Café crème brûlée à la française" in decode_html(
        "<p>Café crème brûlée à la française</p>".encode("latin-1")
    )
    assert decode_html("<p>Ça va</p>".encode("utf-16")) == "<p>Ça va</p>"  # by its BOM
    assert decode_html("\ufeff<p>Ça va \udcff</p>".encode("utf-8", "surrogateescape")) == (
        "<p>Ça va \ufffd</p>"  # a broken byte after a BOM is replaced, not fatal
    )
    # a 7-bit charset's bytes are ASCII: the declaration, not UTF-8, reads them
    japanese = "<meta charset='iso-2022-jp'><p>日本語のテキストです</p>"
    assert decode_html(japanese.encode("iso-2022-jp")) == japanese
    # labels Python has no codec under never stop a build
    for label in ("x-user-defined", "iso-2022-cn", "replacement", "iso-2022-kr"):
        page_bytes = f"<meta charset='{label}'><p>Café</p>".encode("latin-1")
        assert "<p>Caf" in decode_html(page_bytes), label
    # a page cannot declare UTF-16 in ASCII bytes: such a declaration means UTF-8
    assert "<p>Caf\ufffd ok</p>" in decode_html(b"<meta charset='utf-16'><p>Caf\xe9 ok</p>")


def test_a_page_re_encoded_as_utf8_is_read_as_utf8_whatever_it_declares() -> None:
    from generator.extract import decode_html, extract_html

    russian = "Паром отправился в Хельсинки позже обычного, сообщил капитан порта Иванов."
    body = "".join(f"<p>{russian} День {day}.</p>" for day in range(1, 6))
    declared = "<html><head><meta charset='windows-1251'><title>Порт</title></head><body>"
    saved = (declared + f"<article>{body}</article></body></html>").encode()
    assert russian in extract_html(saved).article.text
    # a page really in the charset it declares is read in it
    assert russian in decode_html((declared + body).encode("windows-1251"))


HARBOUR_STORY = (
    "The ferry company said on Tuesday that crossings would resume after the storm.",
    "Port inspectors spent the morning checking the quay walls for cracks and loose stones.",
    "Fishermen who had waited a week in the bay brought their boats back by noon.",
    "The mayor thanked volunteers who cleared the beach road of fallen trees overnight.",
    "Schools on the island reopened, though the bus to the northern villages stayed off.",
    "A spokeswoman for the coastguard said two yachts were towed to safety on Sunday.",
    "Insurance assessors are expected to visit the damaged warehouses later this month.",
    "The harbour café served free soup to everyone who helped with the clean-up work.",
)


def harbour_paragraph(number: int) -> str:
    """A paragraph of its own (no two share a run of four words)."""
    return HARBOUR_STORY[number - 1]


def test_readability_continues_an_article_trafilatura_cut_short() -> None:
    """Where trafilatura finds only the first part of a story (split into several bodies
    on the page), readability-lxml's reading of the page continues it, in place."""
    import dataclasses

    from generator.combine import CombineSettings
    from generator.extract import combine, read_page

    body = "".join(f"<p>{harbour_paragraph(n)}</p>" for n in range(1, 9))
    reading = read_page(page(body + "<p>More from Harbour News</p>").decode())
    assert len(reading.second) >= 8  # readability has the whole story
    cut_short = dataclasses.replace(reading, blocks=reading.blocks[:4], wide_blocks=())
    texts = [b.text for b in combine(cut_short).article.blocks]
    assert texts == [harbour_paragraph(n) for n in range(1, 9)]
    off = CombineSettings(continuation_ratio=0)
    assert [b.text for b in combine(cut_short, settings=off).article.blocks] == texts[:3]


def test_the_continuation_takes_prose_where_it_stands_and_nothing_else() -> None:
    from generator.cleaning import default_rules, matches_furniture
    from generator.combine import continue_article, is_prose

    rules = default_rules()

    def prose(block: Block) -> bool:
        return is_prose(block, 10, lambda text: matches_furniture(text, rules, blocks=True))

    a, b, c, d, e = (harbour_paragraph(n) for n in range(1, 6))
    teaser = "Read how the ferry company rebuilt its fleet after the storm of 2009, and why..."
    linked = Block("paragraph", (Run("See also: ", ""), Run(d + " " + e, "link", "https://x.org/")))
    caption = (
        "The ferry Harbour Star at the quay on Tuesday, its first sailing since the storm (AP)"
    )
    copyright_ = (
        "Copyright 2019 Harbour News. All rights reserved. Reproduction of this text is forbidden."
    )
    ours = paragraphs(a, c)
    second = [*paragraphs(a, b, c, d), Block("heading", (Run("More stories"),)), *paragraphs(e)]
    # b fills the gap after a; d continues after c up to the heading; e is past it
    assert [x.text for x in continue_article(ours, second, prose, 1.3)] == [a, b, c, d]
    assert continue_article(ours, second, prose, 3.0) == ours  # not that much longer
    assert continue_article(ours, paragraphs(b, d, e), prose, 1.3) == ours  # another text
    for stop in (teaser, caption, copyright_, "Short line."):
        tail = [*paragraphs(a, b, c), *paragraphs(stop), *paragraphs(d)]
        assert [x.text for x in continue_article(ours, tail, prose, 1.3)] == [a, b, c]
    tail = [*paragraphs(a, b, c), linked, *paragraphs(d)]
    assert [x.text for x in continue_article(ours, tail, prose, 1.3)] == [a, b, c]
    # a block quote goes on with the article, as a quote; a list is no running text
    quoted = [*paragraphs(a, b, c), Block("quote", (Run(d),))]
    assert [x.kind for x in continue_article(ours, quoted, prose, 1.3)][-1] == "quote"
    listed = [*paragraphs(a, b, c), Block("list_item", (Run(d),))]
    assert [x.text for x in continue_article(ours, listed, prose, 1.3)] == [a, b, c]


def test_the_continuation_keeps_the_pages_order_and_adds_nothing_twice() -> None:
    from generator.cleaning import default_rules, matches_furniture
    from generator.combine import continue_article, is_prose

    rules = default_rules()

    def prose(block: Block) -> bool:
        return is_prose(block, 10, lambda text: matches_furniture(text, rules, blocks=True))

    def texts(blocks: list[Block]) -> list[str]:
        return [x.text for x in continue_article(ours, blocks, prose, 1.3)]

    p1, p2, p3, p4, p5, p6, p7, p8 = HARBOUR_STORY
    # a section break has no words: it says nothing of where the paragraphs after it go
    ours = paragraphs(p1, p2, p7, p8)
    assert texts(paragraphs(p1, p2, "* * *", p3, p4, p5, p6, p7, p8)) == list(HARBOUR_STORY)
    # a heading that a quote further down repeats anchors nothing
    heading = "The board said the ferry would sail"
    quoting = f"{p5} As the notice put it, {heading.lower()}."
    ours = paragraphs(p1, p2, p3, quoting)
    second = [*paragraphs(p1), Block("heading", (Run(heading),)), *paragraphs(p6, p2, p3)]
    assert texts([*second, *paragraphs(quoting, p7, p8)]) == [p1, p6, p2, p3, quoting, p7, p8]
    # text the article has, or that came already, is not added again
    ours = paragraphs(p1, p2, p3)
    caption = "A caption the page repeats under every photo of the harbour, as pages do."
    assert texts(paragraphs(p1, p2, p3, caption, p4, caption, caption)) == [
        p1,
        p2,
        p3,
        caption,
        p4,
    ]
    # a new paragraph that quotes a phrase of the article is new all the same
    quoting = f"{p5} The notice said that {' '.join(p2.split()[:9])}."
    assert texts(paragraphs(p1, p2, p3, quoting, p6)) == [p1, p2, p3, quoting, p6]
    # a subheading both readings have holds the paragraph that follows it below it
    ours = [*paragraphs(p1), Block("heading", (Run("Background"),)), *paragraphs(p3)]
    second = [*paragraphs(p1), Block("heading", (Run("Background"),)), *paragraphs(p2, p3)]
    assert texts(second) == [p1, "Background", p2, p3]
    # a line repeated all over the page does not outvote the article's paragraphs
    warning = "Warning: the template on line 12 of the page could not be read by the server."
    ours = paragraphs(warning, p1, p2, p3)
    second = paragraphs(p1, p5, p2, p3, *[warning] * 6)
    assert texts(second) == [warning, p1, p5, p2, p3]
    # a second reading that shares a paragraph but not the rest is another text
    ours = paragraphs(p1, p2, p3, p4)
    assert texts(paragraphs(p1, p5, p6, p7, p8, p5 + p6, p7 + p8)) == [p1, p2, p3, p4]


def test_a_sentence_cut_around_an_inline_element_is_one_paragraph_again() -> None:
    """trafilatura's fallback cuts a paragraph around an inline element; the pieces are
    joined when the first does not end a sentence and the text after the element goes on
    with it. Paragraphs with nothing inline between them stay apart."""
    from lxml import etree

    from generator.tei import tei_blocks

    body = etree.fromstring(
        "<body><p>Sources cited by the publication </p>"
        "<hi rend='#i'><ref target='https://d.example/'>DigiTimes</ref></hi>"
        "<p>. A preview was shared.</p>"
        "<p>Flos Showroom</p><p>corso Monforte, 15</p>"
        "<p>Given the source is</p><hi rend='#i'>DigiTimes</hi><p>, we would not rule it out.</p>"
        "<p>A caption follows:</p><hi rend='#i'>Photo by A. Rossi</hi><p>The next one.</p>"
        "<p>One.</p><!-- a note of the page's -->loose text<p>Two <!-- a note -->too.</p></body>"
    )
    blocks = tei_blocks(body)
    assert [b.text for b in blocks] == [
        "Sources cited by the publication DigiTimes. A preview was shared.",
        "Flos Showroom",
        "corso Monforte, 15",
        "Given the source is DigiTimes, we would not rule it out.",
        "A caption follows:",
        "Photo by A. Rossi",
        "The next one.",
        "One.",
        "loose text",
        "Two too.",
    ]
    assert Run("DigiTimes", "link", "https://d.example/") in blocks[0].runs


def test_readability_reading_gives_each_innermost_block_once() -> None:
    from generator.combine import readability_blocks

    p1, p2, p3, p4, *_ = HARBOUR_STORY
    html = page(
        f"<p>{p1}</p><blockquote><p>{p2}</p></blockquote>"
        f"<ul><li>{p3}</li></ul><div><p>{p4} <a href='https://x.example/'>More</a></p></div>"
    ).decode()
    blocks = readability_blocks(html)
    assert [(b.kind, b.text) for b in blocks if b.kind != "heading"] == [
        ("paragraph", p1),
        ("quote", p2),
        ("list_item", p3),
        ("paragraph", f"{p4} More"),
    ]
    assert Run("More", "link", "https://x.example/") in blocks[-1].runs
    for junk in ("", "   ", "<!-- nothing -->", "<html></html>"):
        assert readability_blocks(junk) == ()


def test_code_listings_and_divisions_in_trafilatura_xml() -> None:
    from lxml import etree

    from generator.tei import tei_blocks

    def kinds_and_texts(xml: str) -> list[tuple[str, str]]:
        return [(b.kind, b.text) for b in tei_blocks(etree.fromstring(xml))]

    # a listing inside a paragraph stands on its own, its lines kept
    assert kinds_and_texts(
        "<body><p>Then run:<lb/><code>make\nmake install</code> and wait.</p></body>"
    ) == [
        ("paragraph", "Then run:"),
        ("paragraph", "make\nmake install"),
        ("paragraph", "and wait."),
    ]
    # code within a sentence, even with a stray line break at its end, stays in it
    assert kinds_and_texts("<body><p>Use <code>ls\n</code> to list.</p></body>") == [
        ("paragraph", "Use ls to list.")
    ]
    # a body that is one listing is an article
    assert kinds_and_texts("<body><code>a = 1\nb = 2</code></body>") == [
        ("paragraph", "a = 1\nb = 2")
    ]
    # divisions trafilatura left do not run words together; a quote's divisions are quoted
    assert kinds_and_texts("<body><div>alpha</div><div>beta</div><p>Gamma.</p></body>") == [
        ("paragraph", "alpha beta"),
        ("paragraph", "Gamma."),
    ]
    assert kinds_and_texts("<body><quote><div><p>One.</p><p>Two.</p></div></quote></body>") == [
        ("quote", "One."),
        ("quote", "Two."),
    ]


def test_rejoining_keeps_spaces_and_joins_only_a_cut_sentence() -> None:
    from lxml import etree

    from generator.tei import tei_blocks

    def texts(xml: str) -> list[str]:
        return [b.text for b in tei_blocks(etree.fromstring(f"<body>{xml}</body>"))]

    # the inline element's text starts in a child; three cuts in one sentence
    assert texts(
        "<p>a report by</p><hi><ref target='https://x.example/'>DigiTimes</ref></hi>"
        "<p>, a paper, and by</p><hi>Nikkei</hi><p>, another.</p>"
    ) == ["a report by DigiTimes, a paper, and by Nikkei, another."]
    assert texts(
        "<p>Der</p><hi>Kläger</hi><p>sei in einem Alter, in dem er arbeiten kann.</p>"
    ) == ["Der Kläger sei in einem Alter, in dem er arbeiten kann."]
    # text after the paragraph that goes on with it; loose text after the joined piece
    assert texts("<p>Install the tool</p>and then run <hi>ls</hi> to see it.<p>Next.</p>") == [
        "Install the tool and then run ls to see it.",
        "Next.",
    ]
    assert texts("<p>a report by</p><hi>Nikkei</hi><p>, a paper.</p>and loose text") == [
        "a report by Nikkei, a paper.",
        "and loose text",
    ]
    # code between paragraphs was displayed on its own: the sentence is not joined across it
    assert texts("<p>simply running</p><code>pipenv install</code><p>will install it.</p>") == [
        "simply running",
        "pipenv install",
        "will install it.",
    ]
    # a new sentence after the paragraph, or only an image between two paragraphs: no cut
    assert texts("<p>Install the tool</p>Then run <hi>ls</hi> to see it.") == [
        "Install the tool",
        "Then run ls to see it.",
    ]
    assert texts("<p>Photo: Apple</p><graphic src='a.jpg'/><p>iPhone sales fell.</p>") == [
        "Photo: Apple",
        "iPhone sales fell.",
    ]
    # several listings in one paragraph each stand on their own, in order
    assert texts("<p>A:<code>a = 1\nb = 2</code>then B:<code>c = 3\nd = 4</code>done.</p>") == [
        "A:",
        "a = 1\nb = 2",
        "then B:",
        "c = 3\nd = 4",
        "done.",
    ]
