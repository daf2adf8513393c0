"""Markdown → safe HTML for descriptions: raw HTML off in the parser, then an nh3 allow-list
(no images: an organizer's remote image would tell a third party who viewed the page)."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

MAX_SOURCE = 10_000
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "hr",
}


@lru_cache(maxsize=512)
def render_markdown(source: str) -> str:
    html = _md.render(source[:MAX_SOURCE])
    # Headings from Markdown are shifted below the page's own h1/h2.
    for level, target in (("h1", "h3"), ("h2", "h3"), ("h5", "h4"), ("h6", "h4")):
        html = html.replace(f"<{level}>", f"<{target}>").replace(f"</{level}>", f"</{target}>")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
    )
