"""Shared, session-scoped fixtures: every expensive graph is built once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Never read or write the user's real cache during tests."""
    import os

    old = os.environ.get("ETOM_KG_CACHE_DIR")
    os.environ["ETOM_KG_CACHE_DIR"] = str(tmp_path_factory.mktemp("etom-kg-cache"))
    yield
    if old is None:
        os.environ.pop("ETOM_KG_CACHE_DIR", None)
    else:
        os.environ["ETOM_KG_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


# ----------------------------------------------------------------- the shipped ontology


@pytest.fixture(scope="session")
def ontology():
    """The asserted embedded graph (rdflib). Do not mutate."""
    from etom_kg.graph import load_ontology

    return load_ontology()


@pytest.fixture(scope="session")
def reasoned(ontology):
    """The embedded graph closed by the fast rules (rdflib)."""
    from etom_kg.reasoning import expand

    return expand(ontology, reasoner="rules")


@pytest.fixture(scope="session")
def owlrl_reasoned(ontology):
    """The embedded graph closed by owlrl, the reference (~5-10 s, once per run)."""
    from etom_kg.reasoning import expand

    return expand(ontology, reasoner="owlrl")


@pytest.fixture(scope="session")
def store():
    """The reasoned embedded graph in oxigraph: what the CLI queries."""
    from etom_kg.store import default_store

    return default_store()


@pytest.fixture(scope="session")
def rdflib_store(reasoned):
    from etom_kg.store import RdflibBackend

    return RdflibBackend(reasoned)


@pytest.fixture(scope="session")
def asserted_store():
    from etom_kg.store import default_store

    return default_store(reasoned=False)


# ----------------------------------------------------------------- the mini fixture


@pytest.fixture(scope="session")
def mini_graph():
    """The shipped schema plus tests/data/mini.ttl (asserted, rdflib)."""
    from etom_kg.graph import load_schema

    g = load_schema()
    g.parse(DATA / "mini.ttl")
    return g


@pytest.fixture(scope="session")
def mini_backends(mini_graph):
    """The fixture reasoned three ways: "oxigraph" (fast rules, oxigraph), "rdflib" (the same
    closure in rdflib) and "owlrl" (owlrl's closure in rdflib)."""
    import pyoxigraph as ox

    from etom_kg.reasoning import expand
    from etom_kg.store import OxigraphBackend, RdflibBackend

    rules = expand(mini_graph, reasoner="rules")
    st = ox.Store()
    st.load(rules.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return {
        "oxigraph": OxigraphBackend(st),
        "rdflib": RdflibBackend(rules),
        "owlrl": RdflibBackend(expand(mini_graph, reasoner="owlrl")),
    }


# ----------------------------------------------------------------- browser tests (issue 14)
# One Chromium and one build of each site for every browser test module (test_site_browser.py,
# test_site_a11y.py): fixtures defined in a test module would be set up once per module.
from browser_fixtures import artifacts, browser, linked_site_url, site_dir, site_url  # noqa: E402,F401
