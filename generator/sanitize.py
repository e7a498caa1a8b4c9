"""Keep only the HTML a topic page needs when a writer's raw HTML is in it.

Used only when allow_raw_html is on (otherwise markdown-it escapes raw HTML). An allow-list,
not a deny-list: a deny-list leaks whatever it did not foresee (SVG's <animate> setting a
link's href to javascript:, for one). nh3, the binding of the maintained sanitiser ammonia,
parses as a browser does, keeps the elements, attributes, classes and URL schemes below and
writes the tree out again, so what a browser reads is what was checked. The lists cover
everything our own Markdown rendering emits (heading ids, citation superscripts, footnotes,
wikilink classes, table alignment), since a page's whole rendered HTML goes through them.
"""

from __future__ import annotations

import nh3

from .urls import is_safe_url

TAGS = frozenset(
    {
        # text
        *("p", "br", "hr", "span", "div", "section", "blockquote", "pre"),
        *("h1", "h2", "h3", "h4", "h5", "h6"),
        *("em", "strong", "b", "i", "u", "s", "del", "ins", "sub", "sup", "small", "mark"),
        *("abbr", "cite", "q", "code", "kbd", "samp", "var"),
        # lists, tables, figures, images, links, disclosure
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"),
        *("figure", "figcaption", "img", "a", "details", "summary"),
    }
)
# Elements whose content is not prose either: dropped with them, not shown as text.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "iframe", "noscript", "noembed", "noframes", "object"}
    | {"textarea", "select", "title", "xmp"}
)
ATTRIBUTES = {
    "*": {"id", "title", "lang"},  # ids: heading and footnote anchors, a writer's own
    # a citation's entry in the list, its name when it leads there, its previews' passages
    "a": {"href", "aria-describedby", "aria-label", "data-passages"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "col": {"span"},
    "colgroup": {"span"},
    "details": {"open"},
    "code": {"class"},  # a fenced block's language-*, kept by _filter
}
# markdown-it's column alignment is the only style attribute, and only these values.
ALIGNMENTS = {"style": {f"text-align:{side}" for side in ("left", "center", "right")}}
CLASSES = {
    "a": {"wikilink", "footnote-backref"},
    "span": {"wikilink-missing"},
    "sup": {"cite", "cite-missing", "footnote-ref"},
    "hr": {"footnotes-sep"},
    "section": {"footnotes"},
    "ol": {"footnotes-list"},
    "li": {"footnote-item"},
}
URL_ATTRIBUTES = frozenset({"href", "src"})


def _filter(element: str, attribute: str, value: str) -> str | None:
    """Refuse what ammonia lets through but Markdown links may not have: a scheme hidden by
    a control character (java\\x7fscript:). Keep only language-* classes on code."""
    if attribute in URL_ATTRIBUTES:
        return value if is_safe_url(value) else None
    if element == "code" and attribute == "class":
        kept = [name for name in value.split() if name.startswith("language-")]
        return " ".join(kept) or None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    tag_attribute_values={"th": ALIGNMENTS, "td": ALIGNMENTS},
    allowed_classes={tag: set(names) for tag, names in CLASSES.items()},
    attribute_filter=_filter,
    url_schemes={"http", "https", "mailto"},  # and relative URLs, passed through
    link_rel=None,  # our own links carry no rel; no target= is kept, so none is needed
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """Return html with only the allowed elements, attributes, classes and URLs."""
    return _CLEANER.clean(html)
