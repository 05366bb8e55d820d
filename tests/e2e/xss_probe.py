"""Watching a page for script that should never run: the `__xss(id)` sentinel every vector
calls, dialogs, Content-Security-Policy violations; the policy header itself; and the DOM
invariants a page keeps whatever its text (only the site's own scripts, no inline handlers,
no script URLs, no frames or plugins, JSON-LD that parses)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import Dialog, Response

from tests.e2e.browser import Visit

# Installed in every frame before any of its scripts: the sentinel and a CSP listener.
PROBE_JS = """(() => {
  const report = (kind, detail) => {
    try { window.__xssReport(kind, String(detail)); } catch (e) { /* no binding: opaque frame */ }
  };
  Object.defineProperty(window, "__xss", { value: (id) => report("call", id) });
  document.addEventListener("securitypolicyviolation", (e) => report("csp",
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:` +
    `${e.lineNumber} ${e.sample}`), true);
})();"""

# What any page of the site may hold, whatever text it shows.
DOM_FINDINGS_JS = """() => {
  const found = [];
  const scriptish = /^(javascript|vbscript|data|livescript):/i;
  const clean = (v) => v.replace(/[\\u0000-\\u0020\\u007f-\\u009f]/g, "");
  for (const s of document.querySelectorAll("script")) {
    const own = s.getAttribute("src") || "";
    if (!own.startsWith("/static/site.js") && s.type !== "application/ld+json")
      found.push("script: " + s.outerHTML.slice(0, 120));
    if (s.type === "application/ld+json") {
      try { JSON.parse(s.textContent); } catch (e) { found.push("JSON-LD does not parse: " + e); }
    }
  }
  const banned = "iframe, frame, object, embed, applet, base, style, meta[http-equiv], " +
    "body svg, body math, form:not([action^='/'])";
  for (const el of document.querySelectorAll(banned))
    found.push("element: " + el.outerHTML.slice(0, 120));
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) found.push(`handler ${a.name} on <${el.localName}>`);
      if (/^(href|src|action|formaction|data|xlink:href|srcdoc|style)$/i.test(a.name)
          && (scriptish.test(clean(a.value)) && !(el.localName === "img" && a.name === "src")
              || a.name === "srcdoc" || a.name === "style"))
        found.push(`${a.name}=${a.value.slice(0, 80)} on <${el.localName}>`);
    }
  }
  return found;
}"""

# Two frames and a task after the load event; then the document's type.
SETTLED_JS = """() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(
  () => setTimeout(() => done(document.contentType), 0))))"""

UNSAFE_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:", "blob:"}


@dataclass
class Probe:
    """Everything a watched page reported: sentinel calls, dialogs, policy violations."""

    calls: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def assert_quiet(self, where: str) -> None:
        assert self.calls == [], f"{where}: vectors ran: {sorted(set(self.calls))}"
        assert self.dialogs == [], f"{where}: dialogs opened: {self.dialogs}"
        assert self.violations == [], f"{where}: CSP violations: {self.violations}"


def watch(v: Visit) -> Probe:
    """Install the probe on `v`'s page; call before the first navigation."""
    probe = Probe()

    def report(kind: str, detail: str) -> None:
        (probe.calls if kind == "call" else probe.violations).append(detail)

    def on_dialog(dialog: Dialog) -> None:
        probe.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    v.page.expose_function("__xssReport", report)
    v.page.add_init_script(PROBE_JS)
    v.page.on("dialog", on_dialog)
    return probe


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: sources}."""
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed.setdefault(words[0].lower(), words[1:])
    return parsed


def csp_problems(policy: str | None) -> list[str]:
    """What keeps `policy` from being strict (empty: strict)."""
    if not policy:
        return ["no Content-Security-Policy header"]
    d = directives(policy)
    problems: list[str] = []
    script = d.get("script-src", d.get("default-src"))
    if script is None:
        problems.append("neither script-src nor default-src")
    else:
        keyed = any(re.match(r"'(nonce|sha256|sha384|sha512)-", s) for s in script)
        unsafe = UNSAFE_SOURCES - ({"'unsafe-inline'"} if keyed else set())
        problems += [f"script-src allows {s}" for s in script if s.lower() in unsafe]
    if d.get("object-src", d.get("default-src")) != ["'none'"]:
        problems.append("object-src is not 'none'")
    if d.get("base-uri") not in (["'self'"], ["'none'"]):
        problems.append("base-uri is not restricted to 'self' or 'none'")
    if d.get("frame-ancestors") not in (["'self'"], ["'none'"]):
        problems.append("frame-ancestors is not 'self' or 'none'")
    return problems


RESOURCE_ERRORS = re.compile(r"Failed to load resource")  # vectors' relative <img src=x>
VIEWER_ERRORS = re.compile(r"Applying inline style violates|Failed to load resource")


def assert_safe(v: Visit, response: Response, probe: Probe, statuses: tuple[int, ...]) -> None:
    """The page answered as expected with a strict policy, nothing ran, and its DOM holds
    nothing that could run."""
    where = response.url[:200]
    assert response.status in statuses, f"{where} answered {response.status}"
    problems = csp_problems(response.header_value("content-security-policy"))
    assert problems == [], f"{where}: {problems}"
    assert_clean(v, probe, where)


def assert_clean(v: Visit, probe: Probe, where: str) -> None:
    """Nothing ran on the page as it is now, and its DOM holds nothing that could run."""
    # Focus, toggle, animation and error events come a frame or so after the load event.
    html = v.page.evaluate(SETTLED_JS) == "text/html"
    if not html:  # Chromium's own XML viewer styles the tree inline, and the policy refuses that
        probe.violations[:] = [x for x in probe.violations if not x.startswith("style-src")]
    probe.assert_quiet(where)
    if html:
        findings = v.page.evaluate(DOM_FINDINGS_JS)
        assert findings == [], f"{where}: {findings}"
    v.assert_no_console_errors(RESOURCE_ERRORS if html else VIEWER_ERRORS)
    outside = [u for u in v.requested if not u.startswith((v.platform.base + "/", "data:"))]
    assert outside == [], f"{where} fetched from outside the site: {outside}"
