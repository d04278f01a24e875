"""Markdown reports as standalone HTML pages (markdown-it-py, CommonMark with tables)."""

from __future__ import annotations

import html

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}"
    "code{font-size:.9em}"
)


def markdown_to_html(text: str, *, title: str) -> str:
    """``text`` (Markdown) as a complete HTML page; raw HTML in the text is escaped, not passed through."""
    try:
        from markdown_it import MarkdownIt
    except ImportError as exc:
        from blastdoor.errors import Unavailable

        raise Unavailable(
            "HTML reports need markdown-it-py, which is not installed",
            hints=["pip install 'blastdoor[governance]'"],
        ) from exc
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head>\n<body>\n{body}</body></html>\n"
    )
