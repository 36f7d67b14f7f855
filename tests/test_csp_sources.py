"""What the Content-Security-Policy refuses, kept out of our own sources: no inline event
handler or `javascript:` URL in a template, no <script> without the request's nonce, and no
eval or raw HTML sink in our JavaScript (names reach the page only escaped or as text)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
TEMPLATES = sorted(
    path
    for folder in TEMPLATE_DIRS
    if ".venv" not in folder.parts
    for path in folder.rglob("*.html")
)
SCRIPTS = sorted((ROOT / "static" / "perfhub").glob("*.js"))
INLINE_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.DOTALL)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
# What would run text as code or put text into the page as HTML.
JS_SINKS = re.compile(
    r"\beval\s*\(|\bnew\s+Function\b|\bsetTimeout\s*\(\s*['\"]|\.innerHTML\b|\.outerHTML\b"
    r"|insertAdjacentHTML|document\.write|\.html\s*\("
)


def test_the_sources_are_found():
    names = {p.name for p in TEMPLATES}
    assert {"base.html", "dashboard.html", "kpi_detail.html", "influence.html"} <= names
    assert {"dashboard.js", "kpi.js", "influence.js", "entry.js", "page.js"} <= {
        p.name for p in SCRIPTS
    }


def test_no_template_has_an_inline_event_handler_or_javascript_url():
    found = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        found += [f"{name}: {m.group(0)[-60:]}" for m in INLINE_HANDLER.finditer(text)]
        if re.search(r"(href|src|action)\s*=\s*[\"']\s*javascript:", text, re.IGNORECASE):
            found.append(f"{path.relative_to(ROOT)}: javascript: URL")
    assert found == []


def test_every_script_tag_of_a_template_carries_the_nonce():
    found = []
    for path in TEMPLATES:
        for attrs in SCRIPT_TAG.findall(path.read_text(encoding="utf-8")):
            if "application/json" in attrs:
                continue  # data, never run
            if 'nonce="{{ CSP_NONCE }}"' not in attrs:
                found.append(f"{path.relative_to(ROOT)}: <script{attrs}>")
    assert found == []


def test_our_javascript_has_no_eval_and_no_raw_html_sink():
    found = []
    for path in SCRIPTS:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if JS_SINKS.search(line):
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert found == []


def test_every_chart_tooltip_formatter_escapes_what_it_returns():
    """ECharts puts a formatter's string into the page as HTML: each value a formatter
    joins in goes through `esc` (echarts.format.encodeHTML). The browser test
    (tests/browser/test_hostile_names.py) proves it on hostile names."""
    found, formatters = [], 0
    for path in SCRIPTS:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"formatter:\s*function\s*\([^)]*\)\s*\{(.*?)\n\s*\}", text, re.S):
            formatters += 1
            body = match.group(1)
            returned = re.search(r"return\s+(.*?);", body, re.S).group(1)
            for term in re.split(r"\s*\+\s*", returned):
                term = term.strip()
                if not (term.startswith("esc(") or re.fullmatch(r"\"[^\"<>&]*\"", term)):
                    found.append(f"{path.name}: {term}")
    assert formatters >= 2 and found == []
