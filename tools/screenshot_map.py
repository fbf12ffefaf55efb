"""Take the README's picture of the map: docs/img/map.png, the home page of the site built
with the example landscape's coverage heat map, 1440×900, in Debian's Chromium.

    .venv/bin/python tools/screenshot_map.py [OUTPUT]

Builds the site into a temporary folder, serves it on a free 127.0.0.1 port and keeps the
PNG under 300 KB (the test in tests/test_readme.py checks it is there and referenced).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINKS = ROOT / "examples" / "bss-oss-landscape.ttl"


def main(out: Path) -> int:
    from playwright.sync_api import sync_playwright

    from etom_kg.serve import make_server
    from etom_kg.site import build_site
    from etom_kg.site.links import graph_with_links

    chromium = shutil.which("chromium")
    if chromium is None:
        print("screenshot_map: no 'chromium' on PATH (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        backend = graph_with_links(LINKS)
        build_site(site, links=LINKS, backend=backend)
        server = make_server(site, backend, port=0, quiet=True, workers=1)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(server.url + "index.html")
                page.wait_for_load_state("networkidle")
                out.parent.mkdir(parents=True, exist_ok=True)
                partial = out.with_name(out.name + ".part")
                partial.write_bytes(page.screenshot(type="png"))
                partial.replace(out)  # atomic: the old picture or the new one
                browser.close()
        finally:
            server.shutdown()
            server.close()
            thread.join(10)
    size = out.stat().st_size
    print(f"screenshot_map: wrote {out} ({size // 1024} KB)")
    return 0 if size < 300_000 else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img" / "map.png"))
