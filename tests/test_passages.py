"""Locating quotes in cleaned text and splitting blocks into highlighted pieces."""

from __future__ import annotations

import posixpath

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.cleaning import clean_article
from generator.models import Block, Run
from generator.resolve import Passage, block_pieces, locate_quote
from generator.textnorm import match_form_with_map, quote_form
from generator.urls import relative_url


def article(text: str):  # type: ignore[no-untyped-def]
    return clean_article(text, markdown=False)


def test_locate_forgives_typography_only() -> None:
    art = article("Title line here\n\nHe said it was “hysterical and absurd” — twice.\n")
    block, start, end = locate_quote(art, '"hysterical and absurd" - twice')  # type: ignore[misc]
    assert art.blocks[block].text[start:end] == "“hysterical and absurd” — twice"
    assert locate_quote(art, "Hysterical and absurd") is None
    assert locate_quote(art, "hysterical and  absurd") is not None


def test_overlapping_passages_share_one_highlight() -> None:
    block = Block("paragraph", (Run("Alpha beta "), Run("gamma", "em"), Run(" delta epsilon.")))
    text = block.text
    first = Passage("q-1", "s", 0, text.index("beta"), text.index("gamma") + 5, ())
    second = Passage("q-2", "s", 0, text.index("gamma"), text.index("delta") + 5, ())
    pieces = block_pieces(block, [first, second])
    kinds = [p.kind for p in pieces]
    assert kinds.count("open") == 1 and kinds.count("close") == 1
    opened = next(p for p in pieces if p.kind == "open")
    assert opened.ids == ("q-1", "q-2")
    inside = pieces[kinds.index("open") + 1 : kinds.index("close")]
    assert "".join(p.run.text for p in inside if p.run) == "beta gamma delta"
    # styles survive the split
    assert any(p.run and p.run.style == "em" and p.run.text == "gamma" for p in inside)
    # nothing is lost or duplicated
    assert "".join(p.run.text for p in pieces if p.run) == text


def test_disjoint_passages_get_their_own_highlights() -> None:
    block = Block("paragraph", (Run("one two three four"),))
    a = Passage("q-a", "s", 0, 0, 3, ())
    b = Passage("q-b", "s", 0, 8, 13, ())
    pieces = block_pieces(block, [b, a])
    opens = [p.ids for p in pieces if p.kind == "open"]
    assert opens == [("q-a",), ("q-b",)]


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("ab -\u2014\u2019'\"\u201c \u00a0\t\n\u200bxy")), max_size=40
    )
)
def test_quote_form_agrees_with_the_mapped_form(text: str) -> None:
    normal, origin = match_form_with_map(text)
    assert quote_form(text) == normal
    assert len(origin) == len(normal)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "topics"]), max_size=3),
    st.sampled_from(["x.html", "index.html"]),
    st.lists(st.sampled_from(["a", "b", "topics"]), max_size=3),
    st.sampled_from(["x.html", "index.html", "y.css"]),
)
def test_relative_url_matches_relpath(
    source: list[str], source_file: str, target: list[str], target_file: str
) -> None:
    """Output paths are folders then a file; between such paths it agrees with relpath."""
    from_page, to = "/".join([*source, source_file]), "/".join([*target, target_file])
    expected = posixpath.relpath(to, posixpath.dirname(from_page) or ".")
    assert relative_url(from_page, to) == expected
