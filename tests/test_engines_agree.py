"""Every stored query gives identical answers on the fast store and on rdflib over the same
reasoned graph: on the embedded graph, and on a store built by `etom-kg load` from user data."""

import pytest

from etom_kg.api import run_stored
from etom_kg.queries import catalog

PARAMS = {"topic": "complaints", "process": "1.1.1.6", "text": "customer", "vertical": "Assurance",
          "horizontal": "Customer Relationship Management", "channel": "web", "application": "Application 3",
          "domain": "Customer Domain", "api": "TMF622", "block": "CCM", "flow": "Order-to-Payment"}
VARIANTS = [  # extra parameter sets, to exercise optional parameters too
    {"topic": "reclamaciones", "include_deprecated": "true"},
    {"process": "Customer Relationship Management", "include_deprecated": "true"},
    {"process": "1.1.1.12", "direct_only": "true", "type": "vertical"},
    {"api": "trouble ticket api", "block": "Producción", "include_parts": "true", "flow": "del pedido al pago", "level": "3"},
]


def params_for(q, extra=None):
    merged = {**PARAMS, **(extra or {})}
    return {p.name: merged[p.name] for p in q.params if p.name in merged}


def compare(q, a, b, extra=None):
    params = params_for(q, extra)
    left, right = run_stored(q, a, params), run_stored(q, b, params)
    assert left.variables == right.variables, q.id
    assert left.boolean == right.boolean, q.id
    assert left.comparable() == right.comparable(), (q.id, params)
    return len(left)


@pytest.mark.parametrize("qid", catalog("cq").ids())
def test_embedded_graph_same_answers(qid, store, rdflib_store):
    q = catalog("cq").get(qid)
    missing = [p.name for p in q.params if p.required and p.name not in PARAMS]
    assert not missing, f"add a test value for {missing} to PARAMS"
    compare(q, store, rdflib_store)
    names = {p.name for p in q.params}
    for extra in VARIANTS:
        if names & set(extra):  # only where the variant changes something
            compare(q, store, rdflib_store, extra)


@pytest.fixture(scope="module")
def user_stores(tmp_path_factory, ontology):
    """A store built by `etom-kg load` from a synthetic landscape, and rdflib over the same closure."""
    import rdflib

    from etom_kg.cli import main
    from etom_kg.graph import load_graph
    from etom_kg.reasoning import expand
    from etom_kg.store import RdflibBackend, open_persistent
    from etom_kg.synthetic import landscape

    work = tmp_path_factory.mktemp("user")
    procs = sorted(str(p) for p in ontology.subjects(rdflib.RDF.type, rdflib.URIRef("https://w3id.org/etom-kg/ontology#Level3Process")))
    data = work / "apps.nt"
    data.write_text(landscape(3000, procs, seed=7), encoding="utf-8")
    assert main(["load", str(data), "--store", str(work / "store")]) == 0
    return open_persistent(work / "store"), RdflibBackend(expand(load_graph(data), reasoner="rules"))


@pytest.mark.parametrize("qid", catalog("cq").ids())
def test_loaded_store_same_answers(qid, user_stores):
    fast, reference = user_stores
    compare(catalog("cq").get(qid), fast, reference)
