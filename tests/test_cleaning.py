"""Cleaning rules on small synthetic articles: each general rule, one case at a time."""

from __future__ import annotations

import pytest

from generator.cleaning import CleanHints, clean_article

LONG = (
    "The minister said the talks would continue next week, officials confirmed to reporters "
    "on Tuesday after a long meeting."
)


def texts(raw: str, **kwargs: object) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in clean_article(raw, **kwargs).blocks]  # type: ignore[arg-type]


CASES = [
    (
        "crumbs and repeated headline",
        f"Home World Asia Talks Resume in Geneva\n\nTalks Resume in Geneva\n\n{LONG}\n",
        "Talks Resume in Geneva",
        [("paragraph", LONG)],
    ),
    (
        "advertisement and page furniture lines",
        f"Talks Resume\n\ntop of page\n\n{LONG}\n\nAdvertisement\n\n{LONG}\n\nbottom of page",
        "Talks Resume",
        [("paragraph", LONG), ("paragraph", LONG)],
    ),
    (
        "image caption closed by a credit",
        f"Talks Resume\n\n{LONG}\n\nDelegates arrive in Geneva\nPhoto: Reuters\n\n{LONG}",
        "Talks Resume",
        [("paragraph", LONG), ("paragraph", LONG)],
    ),
    (
        "related-story teaser with its repeat and blurb",
        f"Talks Resume\n\n{LONG}\n\nFloods Hit Coast\nOther Topics of Interest\n\nFloods Hit Coast"
        f"\n\nHeavy rain flooded towns along the coast.\n\n{LONG}",
        "Talks Resume",
        [("paragraph", LONG), ("paragraph", LONG)],
    ),
    (
        "short tail after an end marker is dropped",
        f"Talks Resume\n\n{LONG}\n\n{LONG}\n\n{LONG}\n\nAbout the author\n\nJo writes about "
        "diplomacy.\n\nBe the first to comment",
        "Talks Resume",
        [("paragraph", LONG)] * 3,
    ),
    (
        "subheadings and question headings",
        f"Talks Resume\n\n{LONG}\n\nWhat Comes Next\n\n{LONG}\n\nWhy does it matter?\n\n{LONG}",
        "Talks Resume",
        [
            ("paragraph", LONG),
            ("heading", "What Comes Next"),
            ("paragraph", LONG),
            ("heading", "Why does it matter?"),
            ("paragraph", LONG),
        ],
    ),
    (
        "paragraph split mid-sentence is mended",
        "Talks Resume\n\nThe minister said the talks had\n\nnot ended yet.",
        "Talks Resume",
        [("paragraph", "The minister said the talks had not ended yet.")],
    ),
    (
        "editor's note is kept as a note",
        f"Talks Resume\n\n{LONG}*\n\n*Editor’s Note: The meeting was on May 2.",
        "Talks Resume",
        [("paragraph", LONG + "*"), ("note", "Editor’s Note: The meeting was on May 2.")],
    ),
]


@pytest.mark.parametrize(("name", "raw", "title", "blocks"), CASES, ids=[c[0] for c in CASES])
def test_cleaning_rule(name: str, raw: str, title: str, blocks: list[tuple[str, str]]) -> None:
    cleaned = clean_article(raw, markdown=False)
    assert cleaned.title == title
    assert [(b.kind, b.text) for b in cleaned.blocks] == blocks


def test_end_marker_mid_article_does_not_swallow_text() -> None:
    raw = f"Talks Resume\n\n{LONG}\n\nAbout the author\n\n" + "\n\n".join([LONG] * 6)
    kept = texts(raw, markdown=False)
    assert kept.count(("paragraph", LONG)) == 7


def test_markdown_title_byline_and_inline_styles() -> None:
    raw = (
        "# Talks Resume\n\n**Jo Reporter**  \n2 May 2023\n\n"
        "The *Financial Times* reported trade of \\$US100 billion, [details](http://x.org).\n\n"
        "To contact the newsroom visit:  \n**[x.org/contact](http://x.org/contact)**\n"
    )
    cleaned = clean_article(raw)
    assert cleaned.title == "Talks Resume"
    assert cleaned.byline_author == "Jo Reporter"
    assert cleaned.byline_date is not None and cleaned.byline_date.iso == "2023-05-02"
    (block,) = cleaned.blocks
    assert block.text == "The Financial Times reported trade of $US100 billion, details."
    assert [(r.style, r.text) for r in block.runs if r.style] == [
        ("em", "Financial Times"),
        ("link", "details"),
    ]


def test_inline_code_in_a_markdown_source_is_kept_as_code() -> None:
    cleaned = clean_article("# T\n\nThe agency's `RU-2023/17` order was quoted in full.\n")
    (block,) = cleaned.blocks
    assert block.text == "The agency's RU-2023/17 order was quoted in full."
    assert [(r.style, r.text) for r in block.runs if r.style] == [("code", "RU-2023/17")]


def test_unsafe_link_in_markdown_source_is_not_kept() -> None:
    cleaned = clean_article("# T\n\nClick [here](javascript:alert(1)) now, please.\n")
    assert all(r.href is None for b in cleaned.blocks for r in b.runs)


def test_hints_cut_and_drop() -> None:
    raw = f"Talks Resume\n\n{LONG}\n\nSpecial promo line\n\n{LONG}\n\nMORE BELOW\n\n{LONG}"
    hints = CleanHints(cut_after="MORE BELOW", drop=("special promo line",))
    assert texts(raw, markdown=False, hints=hints) == [("paragraph", LONG)] * 2
