"""The editor's report (briefing check, --report): each rule on a small project that breaks
it and one that keeps it, the sentence reading the rules rest on, the command line, and
the repository's own briefing (nothing above "info")."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from generator.markdown import make_markdown
from generator.report import RULES, editors_report
from generator.report.claims import Sentence, split_claim
from generator.report.rules import Finding, is_attributed, is_factual, named_dates, note_kind

from .conftest import ROOT, copy_project, run_cli, tree_digest

WIRE = """\
Talks in Munich

Officials met in Munich on Saturday to discuss trade.

The minister said the talks were useful and would go on.

Trade between the two countries rose by ten percent in 2022.
"""
COLUMN = """\
Why the talks failed

The talks were a failure from the start.

China must change course before it is too late.

Beijing has said nothing about the talks.
"""
UNDATED = """\
Notes from the conference

Delegates arrived from forty countries for the conference.
"""

SOURCES = {
    "wire": ("news", "2023-02-10", "The Wire", "Ann Lee", WIRE, "Kind: a news report."),
    "column": ("opinion", "2023-02-12", "Daily Views", "Bo Chan", COLUMN, "Kind: it argues."),
    "notes": ("news", None, "Conference Notes", "Cy Dale", UNDATED, "Kind: a news report."),
}


def make_project(
    root: Path,
    topic: str,
    *,
    timeline: str = "",
    kinds: dict[str, str] | None = None,
    notes: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
) -> Path:
    """A project with the three sources above and one topic page whose body is `topic`."""
    (root / "seeds").mkdir(parents=True)
    (root / "content" / "topics").mkdir(parents=True)
    shutil.copytree(ROOT / "themes", root / "themes")
    (root / "briefing.yaml").write_text("title: Test\n", encoding="utf-8")
    entries = []
    for source_id, (kind, date, outlet, author, text, note) in SOURCES.items():
        (root / "seeds" / f"{source_id}.txt").write_text(text, encoding="utf-8")
        kind = (kinds or {}).get(source_id, kind)
        note = (notes or {}).get(source_id, note)
        described = {"outlet": outlet, "author": author, "date": date}
        for key in drop:
            described[key] = None
        entries.append(
            f"- id: {source_id}\n  file: {source_id}.txt\n  kind: {kind}\n"
            + "".join(f"  {key}: {value or 'null'}\n" for key, value in described.items())
            + f'  note: "{note}"\n'
        )
    (root / "seeds" / "sources.yaml").write_text("".join(entries), encoding="utf-8")
    (root / "content" / "topics" / "talks.md").write_text(
        f"---\ntitle: Talks\nsummary: The talks.\n---\n\n{topic}\n", encoding="utf-8"
    )
    if timeline:
        (root / "content" / "timeline.yaml").write_text(timeline, encoding="utf-8")
    return root


TOPIC_FILE = "content/topics/talks.md"
FIRST_LINE = 6  # the topic body's first line


def findings(root: Path, rule: str) -> list[Finding]:
    """What one rule finds in the project."""
    report = editors_report(root, rules={rule: RULES[rule]})
    assert not report.count("error"), report.lines()
    return list(report.findings)


def where(found: list[Finding]) -> list[tuple[str, int | None, str, str]]:
    return [(f.file, f.line, f.rule, f.level) for f in found]


# -- uncited facts -----------------------------------------------------------------------------


def test_a_factual_paragraph_without_a_citation_is_reported(tmp_path: Path) -> None:
    topic = 'The wire says officials met [@wire "Officials met in Munich"].\n\n' + (
        "Officials met in Munich\non Saturday."
    )
    found = findings(make_project(tmp_path, topic), "uncited-fact")
    assert where(found) == [(TOPIC_FILE, FIRST_LINE + 2, "uncited-fact", "warning")]
    assert "Officials met in Munich on Saturday." in found[0].message


def test_a_list_item_without_a_citation_is_reported(tmp_path: Path) -> None:
    topic = (
        '- The wire says officials met [@wire "Officials met in Munich"].\n- Trade rose in 2022.'
    )
    found = findings(make_project(tmp_path, topic), "uncited-fact")
    assert where(found) == [(TOPIC_FILE, FIRST_LINE + 1, "uncited-fact", "warning")]
    assert found[0].message.startswith("list item states a fact with no citation")


def test_cited_paragraphs_and_sentences_about_the_briefing_are_not(tmp_path: Path) -> None:
    topic = (
        'The wire says officials met [@wire "Officials met in Munich"].\n\n'
        "This briefing does not judge the talks.\n\n- See [[Talks]]."
    )
    assert findings(make_project(tmp_path, topic), "uncited-fact") == []


def test_a_plain_page_that_cites_nothing_is_about_the_site(tmp_path: Path) -> None:
    root = make_project(tmp_path, 'The wire says so [@wire "Officials met in Munich"].')
    (root / "content" / "pages").mkdir()
    (root / "content" / "pages" / "about.md").write_text(
        "---\ntitle: About\n---\n\nIt is built with Briefing.\n", encoding="utf-8"
    )
    assert findings(root, "uncited-fact") == []


# -- claims resting on one source, or on opinion only --------------------------------------


def test_a_claim_on_one_source_told_as_fact_is_reported(tmp_path: Path) -> None:
    topic = 'Officials met in Munich on Saturday [@wire "Officials met in Munich"].'
    found = findings(make_project(tmp_path, topic), "thin-claim")
    assert where(found) == [(TOPIC_FILE, FIRST_LINE, "thin-claim", "warning")]
    assert "one source only (wire)" in found[0].message


def test_a_claim_on_opinion_pieces_only_told_as_fact_is_reported(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        "Officials met, and the talks failed\n"
        '[@wire "Officials met in Munich"; @column "The talks were a failure"].',
        kinds={"wire": "editorial"},
    )
    found = findings(root, "thin-claim")
    assert where(found) == [(TOPIC_FILE, FIRST_LINE, "thin-claim", "warning")]
    assert "opinion and editorial sources only" in found[0].message


def test_an_attributed_claim_or_one_on_two_sources_is_not(tmp_path: Path) -> None:
    topic = (
        'According to The Wire, officials met in Munich [@wire "Officials met in Munich"].\n\n'
        'Officials met in Munich [@wire "Officials met in Munich"], and delegates came '
        'from forty countries [@notes "Delegates arrived from forty countries"].'
    )
    assert findings(make_project(tmp_path, topic), "thin-claim") == []


# -- opinion stated as fact ------------------------------------------------------------------


def test_an_opinion_stated_in_the_briefings_voice_is_reported(tmp_path: Path) -> None:
    topic = (
        'Officials met [@wire "Officials met in Munich"].\n'
        'The talks were a failure from the start [@column "The talks were a failure"].'
    )
    found = findings(make_project(tmp_path, topic), "opinion-as-fact")
    assert where(found) == [(TOPIC_FILE, FIRST_LINE + 1, "opinion-as-fact", "warning")]
    assert "only opinion sources say (column)" in found[0].message


@pytest.mark.parametrize(
    "sentence",
    [
        "A column argues that the talks were a failure",
        "Bo Chan calls the talks a failure",
        'The talks were "a failure from the start", in the words of Daily Views',
    ],
)
def test_an_attributed_opinion_is_not(tmp_path: Path, sentence: str) -> None:
    topic = f'Officials met [@wire "Officials met in Munich"].\n{sentence} [@column].'
    assert findings(make_project(tmp_path, topic), "opinion-as-fact") == []


def test_words_of_saying_inside_a_quote_are_not_attribution(tmp_path: Path) -> None:
    topic = (
        'Officials met [@wire "Officials met in Munich"].\n'
        'Beijing "has said nothing about the talks" [@column "Beijing has said nothing"].'
    )
    assert len(findings(make_project(tmp_path, topic), "opinion-as-fact")) == 1


# -- sentences about the briefing that cite a source -----------------------------------------


def test_a_sentence_about_the_briefing_that_cites_a_source_is_reported(tmp_path: Path) -> None:
    topic = 'The wire says officials met.\nThis briefing does not judge the talks [@wire "talks"].'
    found = findings(make_project(tmp_path, topic), "cited-self-reference")
    assert where(found) == [(TOPIC_FILE, FIRST_LINE + 1, "cited-self-reference", "warning")]


def test_an_uncited_one_or_a_we_inside_a_quote_is_not(tmp_path: Path) -> None:
    topic = (
        'The wire says officials met [@wire "Officials met in Munich"].\n'
        "This briefing does not judge the talks.\n"
        'The wire quotes a delegate: "we met in Munich" [@wire "Officials met"].'
    )
    assert findings(make_project(tmp_path, topic), "cited-self-reference") == []


# -- date order ------------------------------------------------------------------------------

EVENT = "- date: {date}\n  text: >-\n    {text}\n  topics: [talks]\n"


def test_an_event_cited_to_an_older_or_undated_source_is_reported(tmp_path: Path) -> None:
    timeline = EVENT.format(
        date="2023-03-01", text='The wire says officials met [@wire "Officials met in Munich"].'
    ) + EVENT.format(
        date="2023-02-01", text='Notes say delegates came [@notes "Delegates arrived"].'
    )
    root = make_project(tmp_path, 'The wire says so [@wire "Officials met"].', timeline=timeline)
    found = findings(root, "date-order")
    assert where(found) == [
        ("content/timeline.yaml", 2, "date-order", "warning"),
        ("content/timeline.yaml", 6, "date-order", "warning"),
    ]
    assert "written earlier (10 February 2023)" in found[0].message
    assert "whose date is unknown" in found[1].message


def test_a_sentence_naming_a_later_date_than_its_sources_is_reported(tmp_path: Path) -> None:
    topic = (
        'In March 2023, the wire says, officials met [@wire "Officials met in Munich"].\n'
        'On 1 February 2023, notes say, delegates came [@notes "Delegates arrived"].'
    )
    found = findings(make_project(tmp_path, topic), "date-order")
    assert where(found) == [
        (TOPIC_FILE, FIRST_LINE, "date-order", "warning"),
        (TOPIC_FILE, FIRST_LINE + 1, "date-order", "warning"),
    ]
    assert "names March 2023 but cites only sources written before it" in found[0].message
    assert "cites only undated sources (notes)" in found[1].message


def test_sources_in_date_order_or_said_to_be_undated_are_not(tmp_path: Path) -> None:
    timeline = EVENT.format(
        date="2023-02-04", text='The wire says officials met [@wire "Officials met in Munich"].'
    )
    topic = (
        'The wire says trade rose in 2022 [@wire "rose by ten percent in 2022"].\n'
        'Undated notes say delegates came in February 2023 [@notes "Delegates arrived"].'
    )
    assert findings(make_project(tmp_path, topic, timeline=timeline), "date-order") == []


def test_named_dates_are_read_at_their_precision() -> None:
    dates = named_dates("On 24 February 2022, by Feb. 4, 2023, in March 2022 and in 2014.")
    assert [d.iso for d in dates] == ["2022-02-24", "2023-02-04", "2022-03", "2014"]
    assert named_dates("$US100 billion on Feb. 4") == []


# -- sources ---------------------------------------------------------------------------------


def test_a_source_nobody_cites_is_reported(tmp_path: Path) -> None:
    found = findings(
        make_project(tmp_path, 'The wire says [@wire "Officials met"].'), "uncited-source"
    )
    assert [(f.file, f.line, f.level) for f in found] == [
        ("seeds/sources.yaml", 8, "info"),
        ("seeds/sources.yaml", 15, "info"),
    ]
    assert "column is never cited" in found[0].message


def test_cited_sources_are_not(tmp_path: Path) -> None:
    topic = "Three sources say it [@wire; @column; @notes]."
    assert findings(make_project(tmp_path, topic), "uncited-source") == []


def test_a_source_with_unknown_date_outlet_or_author_is_reported(tmp_path: Path) -> None:
    root = make_project(tmp_path, "It is said [@wire].", drop=("outlet", "author"))
    found = findings(root, "unknown-metadata")
    assert [f.message.split(";")[0] for f in found] == [
        "source wire: outlet, author unknown",
        "source column: outlet, author unknown",
        "source notes: date, outlet, author unknown",
    ]
    assert {f.level for f in found} == {"info"}


def test_a_fully_described_source_is_not(tmp_path: Path) -> None:
    found = findings(make_project(tmp_path, "It is said [@wire]."), "unknown-metadata")
    assert [f.message.split(":")[0] for f in found] == ["source notes"]


NOTE = "Kind: it argues a position; nothing says it is the outlet's own editorial, so opinion."


def test_a_kind_its_own_note_contradicts_is_reported(tmp_path: Path) -> None:
    root = make_project(
        tmp_path, "It is said [@wire].", kinds={"column": "editorial"}, notes={"column": NOTE}
    )
    found = findings(root, "kind-against-note")
    assert where(found) == [("seeds/sources.yaml", 8, "kind-against-note", "warning")]
    assert "'editorial' but its note's reasoning makes it 'opinion'" in found[0].message


def test_a_kind_its_note_concludes_is_not(tmp_path: Path) -> None:
    root = make_project(tmp_path, "It is said [@wire].", notes={"column": NOTE})
    assert findings(root, "kind-against-note") == []


@pytest.mark.parametrize(
    ("note", "kind"),
    [
        ("Title: x. Kind: a news report attributing every claim.", "news"),
        ("Kind: it reports remarks inside an argument, so opinion rather than news.", "opinion"),
        (
            "Kind: nothing in the file marks it opinion, editorial, analysis or review, so news.",
            "news",
        ),
        ("Date: so 2023. Kind: an unsigned piece. Tags: opinion.", None),
        ("Kind: news or analysis.", None),
        ("No kind clause, so opinion.", None),
    ],
)
def test_the_kind_a_note_concludes(note: str, kind: str | None) -> None:
    assert note_kind(note) == kind


# -- repeated citations ----------------------------------------------------------------------


def test_the_same_passage_twice_in_one_sentence_is_reported(tmp_path: Path) -> None:
    topic = (
        'The wire says officials met [@wire "Officials met in Munich"] on Saturday\n'
        '[@wire "met in Munich on Saturday"].'
    )
    found = findings(make_project(tmp_path, topic), "repeated-passage")
    assert where(found) == [(TOPIC_FILE, FIRST_LINE, "repeated-passage", "warning")]


def test_two_passages_or_one_in_two_sentences_is_not(tmp_path: Path) -> None:
    topic = (
        'The wire says officials met [@wire "Officials met in Munich"] and talked\n'
        '[@wire "the talks were useful"]. It says they met [@wire "Officials met in Munich"].'
    )
    assert findings(make_project(tmp_path, topic), "repeated-passage") == []


def test_citations_side_by_side_showing_one_number_twice_are_reported(tmp_path: Path) -> None:
    topic = 'The wire says so [@wire "Officials met"] [@wire "the talks were useful"].'
    found = findings(make_project(tmp_path, topic), "repeated-number")
    assert where(found) == [(TOPIC_FILE, FIRST_LINE, "repeated-number", "info")]


def test_one_marker_citing_a_source_twice_is_not_reported(tmp_path: Path) -> None:
    """The page shows such a marker as one number (its preview lists both quotes)."""
    topic = 'The wire says so [@wire "Officials met"; @wire "the talks were useful"].'
    assert findings(make_project(tmp_path, topic), "repeated-number") == []
    apart = 'The wire says so [@wire "Officials met"] and [@wire "the talks were useful"].'
    assert findings(make_project(tmp_path / "apart", apart), "repeated-number") == []


def test_a_marker_citing_two_sources_is_not(tmp_path: Path) -> None:
    topic = 'Two say so [@wire "Officials met"; @column "The talks were a failure"].'
    assert findings(make_project(tmp_path, topic), "repeated-number") == []


# -- topics drawn from one source ------------------------------------------------------------


def test_a_topic_drawn_mostly_from_one_source_is_reported(tmp_path: Path) -> None:
    topic = "The wire says [@wire]. It says [@wire]. It says [@wire]. A column says [@column]."
    found = findings(make_project(tmp_path, topic), "one-source-topic")
    assert where(found) == [(TOPIC_FILE, 1, "one-source-topic", "info")]
    assert "75% of the page's 4 citations are to wire" in found[0].message


def test_a_topic_with_its_citations_shared_is_not(tmp_path: Path) -> None:
    topic = "The wire says [@wire]. It says [@wire]. Notes say [@notes]. A column says [@column]."
    assert findings(make_project(tmp_path, topic), "one-source-topic") == []


# -- reading sentences -----------------------------------------------------------------------


def split(text: str) -> list[tuple[str, int | None, list[str]]]:
    sources = {"a": "A", "b": "B"}
    children = make_markdown().parseInline(text, {})[0].children or []
    return [
        (s.text, s.line, [c.source for c in s.cited])  # type: ignore[misc]
        for s in split_claim(children, 10, sources)  # type: ignore[arg-type]
    ]


def test_sentences_split_at_stops_but_not_after_abbreviations() -> None:
    assert split("The U.S. Senate met on Feb. 4 with J. Smith. It voted? Yes.") == [
        ("The U.S. Senate met on Feb. 4 with J. Smith.", 10, []),
        ("It voted?", 10, []),
        ("Yes.", 10, []),
    ]


@pytest.mark.parametrize(
    ("text", "factual", "attributed"),
    [
        ("More than 100 entities were sanctioned.", True, False),
        ("Beijing rejected the claims.", True, True),
        ("The Kyiv Post dates the downing to 4 February.", True, True),
        ("The Times dates the downing to 4 February.", True, False),
        ("According to the piece, talks failed.", True, True),
        ('Talks "were said to have failed".', True, False),
        ("This briefing does not decide between them.", False, None),
        ('Blinken told CBS: "we will respond".', True, True),
        ("We add no facts.", False, None),
        ("See Ukraine support.", False, None),
        ("Did the talks fail?", False, None),
        ("Talks failed.", False, None),
    ],
)
def test_how_a_sentence_reads(text: str, factual: bool, attributed: bool | None) -> None:
    """Whether a sentence is attributed matters only for a factual one (None: not asked).
    The sentence cites a source published by the Kyiv Post."""
    sentence = Sentence(text, 1, ())
    kyiv_post = SimpleNamespace(outlet="Kyiv Post", author=None)
    assert is_factual(sentence) == factual
    if factual:
        assert is_attributed(sentence, [kyiv_post]) == attributed  # type: ignore[list-item]


def test_a_marker_belongs_to_its_sentence_or_closes_the_one_before() -> None:
    assert split("One says [@a].\nTwo says. [@b] Three\n[@a; @b].") == [
        ("One says.", 10, ["A"]),
        ("Two says.", 11, ["B"]),
        ("Three.", 11, ["A", "B"]),
    ]


# -- the command line and the repository's briefing -----------------------------------------


def test_the_repository_briefing_has_nothing_above_info() -> None:
    report = editors_report(ROOT)
    serious = [str(f) for f in report.findings if f.level != "info"]
    assert serious == []
    assert report.findings, "the repository's briefing has unknown authors: info entries"


def test_check_prints_the_report_most_serious_first_and_fails_only_when_strict(
    tmp_path: Path,
) -> None:
    root = make_project(tmp_path, 'Officials met in Munich [@wire "Officials met in Munich"].')
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    levels = [line.split(": ")[1] for line in lines[:-1]]
    assert levels == sorted(levels, key=["error", "warning", "info"].index)
    assert (
        f"{TOPIC_FILE}:{FIRST_LINE}: warning: paragraph rests on one source only" in result.stdout
    )
    assert lines[-1] == "editor's report: 0 errors, 1 warning, 4 info"
    strict = run_cli("check", "--strict", "--root", str(root))
    assert strict.returncode == 1 and strict.stdout == result.stdout


def test_check_reports_build_errors_as_the_build_does(tmp_path: Path) -> None:
    root = make_project(tmp_path, 'The wire says [@wire "words it never wrote"].')
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1
    assert f"{TOPIC_FILE}:{FIRST_LINE}: error: quote not found in source 'wire'" in result.stdout
    assert "    hint: the closest passage is:" in result.stdout
    assert "Traceback" not in result.stderr


def test_check_writes_nothing(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    before = tree_digest(root)
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert tree_digest(root) == before
    assert not (root / "output").exists() and not (root / ".briefing-cache").exists()
    built = run_cli("--root", str(root), "--no-search", "-q")
    assert built.returncode == 0, built.stderr
    cache = tree_digest(root / ".briefing-cache")
    assert run_cli("check", "--root", str(root)).stdout == result.stdout
    assert tree_digest(root / ".briefing-cache") == cache


def test_report_after_a_build_is_printed_not_published(tmp_path: Path) -> None:
    root = make_project(tmp_path, 'Officials met in Munich [@wire "Officials met in Munich"].')
    result = run_cli("--root", str(root), "--no-search", "--report")
    assert result.returncode == 0, result.stderr
    assert "built 1 topics" in result.stdout
    assert "warning: paragraph rests on one source only (wire)" in result.stdout
    site = tree_digest(root / "output")
    assert not any(b"rests on one source" in data for data in site.values())
    strict = run_cli("build", "--root", str(root), "--no-search", "--report", "--strict")
    assert strict.returncode == 1
    assert "editor's report: 0 errors, 1 warning" in strict.stdout


def test_a_source_cited_only_by_an_event_on_no_topic_is_cited(tmp_path: Path) -> None:
    timeline = "- date: 2023-02-04\n  text: Notes say delegates came [@notes].\n  topics: []\n"
    root = make_project(tmp_path, "Two say so [@wire; @column].", timeline=timeline)
    assert findings(root, "uncited-source") == []


def test_help_documents_check_and_report() -> None:
    main = run_cli("--help")
    assert "check             the editor's report, without building" in main.stdout
    assert "--report" in main.stdout and "--strict" in main.stdout
    check = run_cli("check", "--help")
    assert (
        check.returncode == 0 and "--strict" in check.stdout and "writing nothing" in check.stdout
    )
