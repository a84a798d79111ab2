"""The app's texts, written in Markdown and turned into HTML on the server.

``solara.Markdown`` makes each browser load KaTeX (for formulas) from
Solara's CDN path; offline that file is missing (solara-assets 1.58.2 does
not carry KaTeX's auto-render), and when a class opens the pages at once the
failed load shows as a script error on some of them
(``benchmarks/bench_class_load.py`` counted 13 in 50 sessions). The app's
texts have no formulas, so they are rendered here with the ``markdown``
package Solara itself uses, and shown as plain HTML: nothing is fetched.
"""

from __future__ import annotations

import html

import markdown
import solara


def to_html(text: str) -> str:
    """Markdown to HTML; any HTML in the text is shown as text, not markup."""
    return markdown.markdown(html.escape(text, quote=False), extensions=["tables"])


@solara.component
def Prose(text: str, classes: list[str] | None = None):
    """A block of Markdown text (the place of ``solara.Markdown``)."""
    return solara.HTML(tag="div", unsafe_innerHTML=to_html(text), classes=["prose"] + list(classes or []))
