"""Remove active content from HTML that a writer's raw HTML brought into a page.

Used only when allow_raw_html is on (otherwise markdown-it escapes raw HTML): scripts,
frames, forms, event-handler attributes and javascript:/data: URLs never reach the output.
"""

from __future__ import annotations

from .urls import is_safe_url

DANGEROUS_TAGS = (
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "form",
    "base",
    "meta",
    "link",
    "style",
    "template",
    "noscript",
    "portal",
)
URL_ATTRIBUTES = (
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "background",
    "cite",
    "data",
    "srcset",
    "ping",
)


def sanitize_html(html: str) -> str:
    """Return html without active content; everything else is kept as written."""
    from bs4 import BeautifulSoup  # imported here: only sites with raw HTML need it

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(DANGEROUS_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        for name in list(tag.attrs):
            lowered = name.lower()
            value = tag.attrs[name]
            text = " ".join(value) if isinstance(value, list) else str(value)
            if (
                lowered.startswith("on")
                or lowered in ("srcdoc", "style")
                or (lowered in URL_ATTRIBUTES and not is_safe_url(text))
            ):
                del tag.attrs[name]
    return str(soup)
