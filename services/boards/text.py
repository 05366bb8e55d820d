"""Board text as HTML: everything escaped, line breaks kept, http(s) URLs made links.

Posts and comments are stored as plain text; this is the one way they become HTML, so no
markup a member types can ever run in a reader's browser. Links get rel="nofollow ugc
noopener" (user content: no search-engine credit, no access to the opener).
"""

from __future__ import annotations

import html
import re

URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\"。、"


def to_html(text: str) -> str:
    out: list[str] = []
    cursor = 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(TRAILING)
        end = match.start() + len(url)
        out.append(html.escape(text[cursor : match.start()]))
        out.append(
            f'<a href="{html.escape(url, quote=True)}" rel="nofollow ugc noopener">'
            f"{html.escape(url)}</a>"
        )
        cursor = end
    out.append(html.escape(text[cursor:]))
    return "".join(out).replace("\r\n", "\n").replace("\n", "<br>\n")
