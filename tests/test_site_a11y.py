"""Accessibility as a test (issue 14, item 9): axe-core, injected with Playwright into Debian
Chromium, finds no violation of impact "serious" or "critical" on the site's pages in every
state a reader meets — the map plain, with the coverage heat map, with a search active and in
Spanish; a process page; the SPARQL page with a result — at desktop (1440×900) and phone
(390×844) sizes. Each state is also photographed into $ETOM_KG_ARTIFACTS.

axe-core comes from npm, pinned exactly in tests/browser/package.json (``.ci/run`` installs it
with ``npm install --prefix tests/browser``). Without it, or without chromium, the tests are
skipped with the reason; in CI (CI=true) either one missing is a failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser_fixtures import CHROMIUM, IN_CI  # the session fixtures come from there, through conftest.py

AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
PINNED = json.loads((Path(__file__).parent / "browser" / "package.json").read_text(encoding="utf-8"))["dependencies"]["axe-core"]
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
BLOCKING = ("serious", "critical")
MAX_NODES = 12  # elements listed per violated rule in a failure message

if CHROMIUM is None and not IN_CI:
    pytestmark = pytest.mark.skip(reason="no 'chromium' on PATH (apt-get install chromium); CI runs these tests")


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.is_file():
        message = (f"axe-core is not installed: run 'npm install --prefix tests/browser --no-audit --no-fund' "
                   f"(pins axe-core {PINNED}; .ci/run does it)")
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    version = json.loads((AXE.parent / "package.json").read_text(encoding="utf-8"))["version"]
    assert version == PINNED, f"tests/browser/node_modules has axe-core {version}, package.json pins {PINNED}: reinstall"
    return AXE


# --------------------------------------------------------------------------- the states


def _search(pg) -> None:
    """A topic typed into the search box (Enter too: the search may run as you type or on Enter)."""
    pg.locator("#topic").press_sequentially("complaints")
    pg.press("#topic", "Enter")
    pg.wait_for_selector("#map .match")


def _spanish(pg) -> None:
    pg.click("[data-set-lang='es']")
    pg.wait_for_function("document.documentElement.lang === 'es'")


def _sparql_result(pg) -> None:
    pg.click("#sparql-form button[type='submit']")
    pg.wait_for_selector("#sparql-result table")


# name -> (which site, page, what the reader does before the check)
STATES = {
    "home-plain": ("plain", "index.html", None),
    "home-heat-map": ("linked", "index.html", None),
    "home-search": ("plain", "index.html", _search),
    "home-heat-map-search": ("linked", "index.html", _search),
    "home-spanish": ("plain", "index.html", _spanish),
    "process-page": ("linked", "process/ProblemHandling.html", None),
    "sparql-page": ("plain", "sparql.html", _sparql_result),
    # beyond the list: a grouping page, with the coverage statement of D1
    "grouping-page": ("linked", "process/BillingAndRevenueManagement.html", None),
}


def describe(violations: list) -> str:
    """One block per violation: rule id, impact, what it asks, and every offending element
    with axe's own summary of what is wrong there."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({len(v['nodes'])} element(s)) {v['helpUrl']}")
        for node in v["nodes"][:MAX_NODES]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    target {', '.join(map(str, node['target']))}: {summary[:400]}")
            lines.append(f"      html {' '.join(node.get('html', '').split())[:200]}")
        if len(v["nodes"]) > MAX_NODES:
            lines.append(f"    ... and {len(v['nodes']) - MAX_NODES} more element(s) failing the same rule")
    return "\n".join(lines)


def run_axe(pg, script: Path) -> list:
    pg.add_script_tag(path=str(script))
    result = pg.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(n => ({target: n.target, html: n.html, impact: n.impact, failureSummary: n.failureSummary}))}));
    }""")
    return result


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("state", list(STATES))
def test_no_serious_or_critical_axe_violation(state, size, browser, site_url, linked_site_url, artifacts, request):
    which, rel, action = STATES[state]
    base = linked_site_url if which == "linked" else site_url
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US",
                                  bypass_csp=True)  # the server's CSP refuses injected scripts; axe is ours
    try:
        pg = context.new_page()
        problems: list[str] = []
        pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        pg.goto(base + rel)
        pg.wait_for_load_state("networkidle")
        if action:
            action(pg)
        path = artifacts / f"{state}-{size}.png"
        pg.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        # asked for only now: without axe-core the screenshot is still taken, then the test skips
        violations = run_axe(pg, request.getfixturevalue("axe_script"))
    finally:
        context.close()
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, (f"axe-core {PINNED}: {len(blocking)} serious/critical violation(s) on {rel} "
                          f"({state}, {size} {width}×{height}):\n{describe(blocking)}")
    assert problems == []
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_describe_names_rule_impact_target_and_summary():
    """The failure message the lead reads after a merge: precise enough to find the element."""
    text = describe([{"id": "color-contrast", "impact": "serious", "help": "Elements must meet contrast",
                      "helpUrl": "https://example.org/rule", "nodes": [
                          {"target": ["#map a.box.cov-1 > .pid"], "html": "<span class=\"pid\">1.1.1.6</span>",
                           "failureSummary": "Fix any of the following:\n  insufficient contrast 2.36"}]}])
    assert "color-contrast [serious]" in text and "#map a.box.cov-1 > .pid" in text
    assert "insufficient contrast 2.36" in text and "1 element(s)" in text
