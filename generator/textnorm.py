"""Text normalisation shared by the cleaner and quote matching."""

from __future__ import annotations

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

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def clean_whitespace(text: str) -> str:
    """Drop invisible characters and turn every kind of space into a plain one."""
    return _SPACES.sub(" ", text.translate(_INVISIBLE))


def fold_punctuation(text: str) -> str:
    """Map curly quotes, apostrophes and dash kinds to their ASCII forms."""
    return text.translate(_PUNCTUATION_FOLD)


def match_form(text: str) -> str:
    """The form two texts are compared in: punctuation folded, whitespace collapsed."""
    return " ".join(fold_punctuation(clean_whitespace(text)).split())


def loose_form(text: str) -> str:
    """match_form, case-folded too: for comparing headlines, not for verifying quotes."""
    return match_form(text).casefold()
