"""Text normalisation shared by the cleaner and quote matching."""

from __future__ import annotations

import hashlib
import re

# Typographic variants a scrape or a writer may use interchangeably.
_PUNCTUATION_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)

_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS), None)
_ODD_SPACES = "\t\u00a0" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
# One translation drops invisible characters and makes every kind of space a plain one.
_NORMALISE_SPACES = {**_INVISIBLE, **dict.fromkeys(map(ord, _ODD_SPACES), " ")}
_NORMALISED = _INVISIBLE_CHARS + _ODD_SPACES


def clean_whitespace(text: str) -> str:
    """Drop invisible characters and turn every run of spaces of any kind into one plain
    space. (String methods, not a pattern: this runs over every source, and a pattern
    that visits every space was the slowest step of cleaning.)"""
    if text.isascii():
        text = text.replace("\t", " ")
    elif any(char in text for char in _NORMALISED):  # a scan per character: far faster
        text = text.translate(_NORMALISE_SPACES)  # than translate() over non-ASCII text
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def fold_punctuation(text: str) -> str:
    """Map curly quotes, apostrophes and dash kinds to their ASCII forms."""
    return text.translate(_PUNCTUATION_FOLD)


def match_form(text: str) -> str:
    """The form two texts are compared in: punctuation folded, whitespace collapsed."""
    return " ".join(fold_punctuation(clean_whitespace(text)).split())


def loose_form(text: str) -> str:
    """match_form, case-folded too: for comparing headlines, not for verifying quotes."""
    return match_form(text).casefold()


def passage_id(source_id: str, quote: str) -> str:
    """A stable id for a quoted passage: the same quote of the same source, the same id."""
    digest = hashlib.sha1(f"{source_id}\x00{quote_form(quote)}".encode()).hexdigest()
    return f"q-{digest[:10]}"


def match_form_with_map(text: str) -> tuple[str, list[int]]:
    """match_form of text, plus for each of its characters the index it came from.

    Whitespace is collapsed and dropped around dashes, so 'a—b' and 'a - b' compare equal.
    """
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in _INVISIBLE_CHARS:
            continue
        char = char.translate(_PUNCTUATION_FOLD)
        if char.isspace():
            if out and out[-1] not in (" ", "-"):
                out.append(" ")
                origin.append(index)
            continue
        if char == "-" and out and out[-1] == " ":
            out.pop()
            origin.pop()
        out.append(char)
        origin.append(index)
    if out and out[-1] == " ":
        out.pop()
        origin.pop()
    return "".join(out), origin


_SPACE_AROUND_DASH = re.compile(r" ?- ?")


def quote_form(text: str) -> str:
    """The form a quote and a source text are compared in: match_form_with_map's text,
    computed with string methods (this runs over every source block a quote is sought in)."""
    folded = text.translate(_INVISIBLE).translate(_PUNCTUATION_FOLD)
    return _SPACE_AROUND_DASH.sub("-", " ".join(folded.split()))


_SENTENCE_END = re.compile(r"(?<=[.!?\u201d\"])\s+(?=[A-Z\"\u201c\u2018'(])")


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; a stop before a lowercase word ("U.S. to") is not an end."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s]
