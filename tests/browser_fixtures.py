"""The browser tests' session fixtures (Debian ``chromium`` driven by Playwright), shared by
every browser test module through conftest.py: one Chromium per test session, and each site
(plain, and with the coverage heat map) built and served once.

Without chromium the browser tests are skipped, except in CI (CI=true), where a missing
browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI") == "true"
CHROMIUM = shutil.which("chromium")
LINKS = Path(__file__).parent / "data" / "site" / "applications.ttl"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.fail("CI=true but 'chromium' is not on PATH; .ci/run installs the Debian package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@contextmanager
def serving(site_dir: Path, backend):
    """The `etom-kg serve` server for ``site_dir`` on a free 127.0.0.1 port, in a thread."""
    from etom_kg.serve import make_server

    server = make_server(site_dir, backend, port=0, quiet=True, workers=1)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.close()
        thread.join(10)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory, store) -> Path:
    from etom_kg.site import build_site

    out = tmp_path_factory.mktemp("browser-site") / "site"
    build_site(out, backend=store)
    return out


@pytest.fixture(scope="session")
def site_url(site_dir, store):
    with serving(site_dir, store) as url:
        yield url


@pytest.fixture(scope="session")
def linked_site_url(tmp_path_factory):
    from etom_kg.site import build_site
    from etom_kg.site.links import graph_with_links

    out = tmp_path_factory.mktemp("browser-linked-site") / "site"
    backend = graph_with_links(LINKS)
    build_site(out, links=LINKS, backend=backend)
    with serving(out, backend) as url:
        yield url


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    configured = os.environ.get("ETOM_KG_ARTIFACTS")
    path = Path(configured) if configured else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path
