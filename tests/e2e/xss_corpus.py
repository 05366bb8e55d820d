"""Hand-written XSS vectors for the browser tests (OWASP filter-evasion and mutation-XSS ideas).

Each template names the call it would make if it ever ran: `CALL` becomes `__xss(<id>)`, the
sentinel the probe installs in every frame before any page script (see `xss_probe.py`);
`ENT_CALL`, `HEX_CALL`, `PCT_CALL` and `JSU_CALL` are the same call as decimal and hex
character references, percent-encoding and JavaScript `\\u` escapes, and `B64_PAGE` is a
base64 HTML document that makes the call. A number as the id needs no quotes, so a vector
works in unquoted attributes too.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from urllib.parse import quote

from shared.sanitize import clean_text

TEMPLATES: tuple[tuple[str, str], ...] = (
    # <script> in every casing and disguise
    ("script", "<script>CALL</script>"),
    ("script", "<SCRIPT>CALL</SCRIPT>"),
    ("script", "<ScRiPt >CALL</sCrIpT >"),
    ("script", "<script/xss>CALL</script>"),
    ("script", "<script\n>CALL</script\n>"),
    ("script", "<<script>CALL//<</script>"),
    ("script", "<scr<script>ipt>CALL</scr</script>ipt>"),
    ("script", "<script src=data:text/javascript,CALL></script>"),
    ("script", "<script src=//127.0.0.1:9/x.js></script><script>CALL</script>"),
    ("script", "%3Cscript%3ECALL%3C%2Fscript%3E"),
    ("script", "&lt;script&gt;CALL&lt;/script&gt;"),
    ("script", "&amp;lt;script&amp;gt;CALL&amp;lt;/script&amp;gt;"),
    ("script", "\\u003cscript\\u003eCALL\\u003c/script\\u003e"),
    ("script", "\\x3cscript\\x3eCALL\\x3c/script\\x3e"),
    # breaking out of attributes, titles, text areas and inline JSON-LD
    ("quote", '"><script>CALL</script>'),
    ("quote", "'><script>CALL</script>"),
    ("quote", '" onmouseover="CALL" autofocus onfocus="CALL" x="'),
    ("quote", "' onfocus='CALL' autofocus x='"),
    ("quote", "`\"'><img src=x onerror=CALL>"),
    ("quote", "</title><script>CALL</script>"),
    ("quote", "</textarea><script>CALL</script>"),
    ("json-ld", "</script><script>CALL</script>"),
    ("json-ld", "</SCRIPT ><script>CALL</script>"),
    ("json-ld", '<!--<script>"}</script><script>CALL</script>'),
    ("json-ld", '"}]}</script><img src=x onerror=CALL>'),
    # event handlers that fire without a reader doing anything
    ("handler", "<img src=x onerror=CALL>"),
    ("handler", '<IMG SRC="x" ONERROR="CALL">'),
    ("handler", "<img src=x onerror=ENT_CALL>"),
    ("handler", "<img src=x onerror=HEX_CALL>"),
    ("handler", "<img src=x onerror=JSU_CALL>"),
    ("handler", "<img/src=x/onerror=CALL>"),
    ("handler", "<img src=x onerror\t=\tCALL>"),
    ("handler", "<svg onload=CALL>"),
    ("handler", "<svg/onload=CALL//"),
    ("handler", "<body onload=CALL>"),
    ("handler", "<input autofocus onfocus=CALL>"),
    ("handler", "<select autofocus onfocus=CALL></select>"),
    ("handler", "<textarea autofocus onfocus=CALL></textarea>"),
    ("handler", "<div contenteditable autofocus onfocus=CALL>x</div>"),
    ("handler", "<details open ontoggle=CALL><summary>x</summary></details>"),
    (
        "handler",
        "<style>@keyframes k{from{color:red}}</style>"
        '<b style="animation:k 1ms" onanimationstart=CALL>x</b>',
    ),
    ("handler", "<video><source onerror=CALL></video>"),
    ("handler", "<audio src=x onerror=CALL></audio>"),
    ("handler", "<marquee onstart=CALL>x</marquee>"),
    ("handler", "<iframe onload=CALL></iframe>"),
    ("handler", "<object data=x onerror=CALL></object>"),
    # script URLs, with entity and whitespace tricks
    ("url", '<a href="javascript:CALL">j</a>'),
    ("url", '<a href="JaVaScRiPt:CALL">j</a>'),
    ("url", '<a href="java&#x09;script:CALL">j</a>'),
    ("url", '<a href=" &#14;  javascript:CALL">j</a>'),
    ("url", '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;CALL">j</a>'),
    ("url", '<a href="&#x6A;avascript&colon;CALL">j</a>'),
    ("url", '<a href="java\x00script:CALL">j</a>'),
    ("url", '<a href="vbscript:CALL">v</a>'),
    ("url", '<a href="data:text/html;base64,B64_PAGE">d</a>'),
    ("url", '<a href="javascript:PCT_CALL">p</a>'),
    ("url", '<img src="javascript:CALL">'),
    ("url", '<form action="javascript:CALL"><button autofocus>f</button></form>'),
    ("url", '<button form=x formaction="javascript:CALL">b</button>'),
    ("frame", '<iframe src="javascript:CALL"></iframe>'),
    ("frame", '<iframe src="data:text/html,<script>CALL</script>"></iframe>'),
    ("frame", '<iframe srcdoc="&lt;script&gt;CALL&lt;/script&gt;"></iframe>'),
    ("frame", '<iframe srcdoc="<img src=x onerror=CALL>"></iframe>'),
    ("frame", '<object data="javascript:CALL"></object>'),
    ("frame", '<object data="data:text/html;base64,B64_PAGE"></object>'),
    ("frame", '<embed src="data:text/html;base64,B64_PAGE">'),
    ("frame", '<embed src="javascript:CALL">'),
    ("meta", '<meta http-equiv="refresh" content="0;url=javascript:CALL">'),
    ("meta", '<meta http-equiv="refresh" content="0;url=data:text/html;base64,B64_PAGE">'),
    (
        "meta",
        '<base href="http://127.0.0.1:9/"><script src="/x.js"></script><img src=x onerror=CALL>',
    ),
    ("meta", '<link rel="import" href="data:text/html,<script>CALL</script>">'),
    # SVG and MathML
    ("svg", "<svg><script>CALL</script></svg>"),
    ("svg", "<svg><script>CALL&#x3c;/script></svg>"),
    ("svg", "<svg><animate onbegin=CALL attributeName=x dur=1s></svg>"),
    ("svg", '<svg><a xlink:href="javascript:CALL"><text y="20">s</text></a></svg>'),
    ("svg", '<svg><set attributeName="onmouseover" to="CALL"/></svg>'),
    ("svg", "<svg><foreignObject><img src=x onerror=CALL></foreignObject></svg>"),
    ("svg", "<svg><style><img src=x onerror=CALL></style></svg>"),
    (
        "math",
        '<math><maction actiontype="statusline" xlink:href="javascript:CALL">m</maction></math>',
    ),
    ("math", "<math><mtext><table><mglyph><style><img src=x onerror=CALL>"),
    # mutation XSS: markup that parses differently once serialised and parsed again
    ("mxss", '<noscript><p title="</noscript><img src=x onerror=CALL>"></noscript>'),
    ("mxss", '<title><a title="</title><img src=x onerror=CALL>"></a></title>'),
    ("mxss", '<textarea><p title="</textarea><img src=x onerror=CALL>"></textarea>'),
    ("mxss", '<xmp><p title="</xmp><img src=x onerror=CALL>"></xmp>'),
    ("mxss", '<style><p title="</style><img src=x onerror=CALL>"></style>'),
    ("mxss", '<noembed><p title="</noembed><img src=x onerror=CALL>"></noembed>'),
    ("mxss", "<template><script>CALL</script><img src=x onerror=CALL></template>"),
    ("mxss", "<!--><img src=x onerror=CALL>-->"),
    ("mxss", "<!-- --!><img src=x onerror=CALL>-->"),
    ("mxss", "<![CDATA[><img src=x onerror=CALL>]]>"),
    ("mxss", "<? ><img src=x onerror=CALL>?>"),
    ("mxss", "<form><math><mtext></form><form><mglyph><style></math><img src onerror=CALL>"),
    ("mxss", '<svg></p><style><a id="</style><img src=1 onerror=CALL>">'),
    ("mxss", '<a href="http://x.example/" title="&quot;&gt;&lt;img src=x onerror=CALL&gt;">t</a>'),
    ("mxss", '<img alt="&#34; onerror=CALL x=&#34;" src=x>'),
    # style and legacy script in CSS
    ("style", '<div style="background:url(javascript:CALL)">s</div>'),
    ("style", '<div style="width:expression(CALL)">s</div>'),
    ("style", "<style>@import 'data:text/css,*{x:expression(CALL)}';</style>"),
    ("style", '<link rel=stylesheet href="data:text/css,*{background:url(javascript:CALL)}">'),
    # template injection: jinja, JS template literals, AngularJS-style expressions
    ("template", "{{7*7}} {{'<script>CALL</script>'|safe}}"),
    ("template", "{% raw %}{% endraw %}{{ '<img src=x onerror=CALL>'|safe }}"),
    ("template", "{% set x = '<svg onload=CALL>' %}{{ x|safe }}"),
    ("template", "{{ config }}{{ self.__init__.__globals__ }}<img src=x onerror=CALL>"),
    ("template", "${CALL} #{CALL} <%= CALL %>"),
    ("template", "{{constructor.constructor('CALL')()}}"),
    # unicode escapes, zero-width, bidi and noncharacters
    ("unicode", "<scr\u200bipt>CALL</scr\u200bipt><img\u200c src=x onerror=CALL>"),
    ("unicode", "\ufeff<script>CALL</script>"),
    ("unicode", "\uff1cscript\uff1eCALL\uff1c/script\uff1e"),
    ("unicode", "\u202e<script>CALL</script>\u202c"),
    ("unicode", "\u2028</script>\u2029<script>CALL</script>"),
    ("unicode", "<img src=x onerror=CALL\u0338>\u226e\u226f"),
    ("unicode", "\x0b\x0c\x1b<img src=x onerror=CALL>\x7f"),
    ("unicode", "\ufffe\uffff<script>CALL</script>\ufdd0"),
    # very long payloads
    ("long", "가" * 4000 + "<script>CALL</script>"),
    ("long", "<div>" * 3000 + "<img src=x onerror=CALL>" + "</div>" * 3000),
    ("long", "<" * 6000 + "script>CALL</script>"),
)


@dataclass(frozen=True)
class Vector:
    id: int
    family: str
    payload: str

    def fit(self, limit: int) -> str:
        """The payload within a field's limit: its end, where the dangerous part is."""
        return self.payload if len(self.payload) <= limit else self.payload[-limit:]


def _call(n: int) -> str:
    return f"__xss({n})"


def _expand(template: str, n: int) -> str:
    call = _call(n)
    page = f"<script>{call}</script>".encode()
    return (
        template.replace("ENT_CALL", "".join(f"&#{ord(c)};" for c in call))
        .replace("HEX_CALL", "".join(f"&#x{ord(c):x};" for c in call))
        .replace("PCT_CALL", quote(call, safe=""))
        .replace("JSU_CALL", "".join(f"\\u{ord(c):04x}" if c == "_" else c for c in call))
        .replace("B64_PAGE", base64.b64encode(page).decode())
        .replace("CALL", call)
    )


VECTORS: tuple[Vector, ...] = tuple(
    Vector(n, family, _expand(template, n)) for n, (family, template) in enumerate(TEMPLATES, 1)
)

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def stored_text(text: str) -> str:
    """What ingest promises to keep of a text field: its own cleaning (NFC, no control
    characters or U+FFFE/U+FFFF; tabs and line breaks inside stay), no whitespace around."""
    return clean_text(text).strip()


def xml_text(text: str) -> str:
    """`text` as a feed can carry it: without the characters XML 1.0 has no place for."""
    return _NOT_XML.sub("", text)


def squeezed(text: str) -> str:
    """`text` without any whitespace: how it compares with the text a page shows, whatever
    the markup made of its spaces and line breaks."""
    return "".join(text.split())
