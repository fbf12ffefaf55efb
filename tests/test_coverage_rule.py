"""FIBO's coverage rule: every class and property of the etom: namespace is used by at least
one stored competency query (queries/cq/*.rq), and the queries written for that rule answer
correctly on the hand-checkable fixture.

A term is *used* when its IRI appears in the query's algebra (prefixed or written out, in a
triple pattern, a property path, a VALUES block or an expression). A query that lists every
term generically (ontology-terms) does not count: the rule asks for a question about the term.
"""

from __future__ import annotations

import pytest

from etom_kg.api import run_stored
from etom_kg.namespaces import ETOM
from etom_kg.queries import catalog

P = "https://w3id.org/etom-kg/process/"
C = "https://w3id.org/etom-kg/concept/"

# term (local name in etom:) -> why no competency query needs it. Empty: every term is used.
ALLOWED_UNUSED: dict[str, str] = {}


def iris_in(node, found: set) -> set:
    """Every IRI in a parsed query's algebra, including inside property paths."""
    import rdflib
    from rdflib.paths import Path

    if isinstance(node, rdflib.URIRef):
        found.add(str(node))
    elif isinstance(node, Path):
        for attr in ("args", "arg", "path"):
            if getattr(node, attr, None) is not None:
                iris_in(getattr(node, attr), found)
    elif isinstance(node, dict):
        for value in node.values():
            iris_in(value, found)
    elif isinstance(node, (list, tuple, set)):
        for value in node:
            iris_in(value, found)
    return found


@pytest.fixture(scope="module")
def used_terms() -> dict:
    """IRI -> ids of the competency queries that use it."""
    from rdflib.plugins.sparql import prepareQuery

    used: dict = {}
    for q in catalog("cq"):
        for iri in iris_in(prepareQuery(q.text).algebra, set()):
            used.setdefault(iri, set()).add(q.id)
    return used


@pytest.fixture(scope="module")
def ontology_terms(ontology) -> set:
    from rdflib.namespace import OWL, RDF

    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    return {str(s) for kind in kinds for s in ontology.subjects(RDF.type, kind) if str(s).startswith(ETOM)}


def test_the_ontology_has_terms_to_cover(ontology_terms):
    assert {ETOM + "Process", ETOM + "partOf", ETOM + "classicId", ETOM + "levelNumber"} <= ontology_terms


def test_every_term_is_used_by_a_competency_query(ontology_terms, used_terms):
    unused = sorted(t[len(ETOM):] for t in ontology_terms if t not in used_terms)
    assert [t for t in unused if t not in ALLOWED_UNUSED] == []


def test_every_allowed_exception_is_still_needed(ontology_terms, used_terms):
    stale = [t for t in ALLOWED_UNUSED if ETOM + t not in ontology_terms or ETOM + t in used_terms]
    assert stale == []


def test_the_usage_scan_sees_property_paths(used_terms):
    """responsibilities-of-process.rq reaches skos:narrower only inside a path (narrower|^broader)."""
    assert "responsibilities-of-process" in used_terms["http://www.w3.org/2004/02/skos/core#narrower"]


# ----------------------------------------------------------------- answers on the mini fixture

ENGINES = ("oxigraph", "rdflib", "owlrl")


def ask(backends, engine, name, **params):
    return run_stored(catalog("cq").get(name), backends[engine], params).records()


@pytest.mark.parametrize("engine", ENGINES)
def test_framework_outline(mini_backends, engine):
    rows = ask(mini_backends, engine, "framework-outline")
    assert {r["area"] for r in rows} == {P + "Operations"}
    assert {r["area_kind"] for r in rows} == {"process area"}
    assert [(r["child"][len(P):], r["child_kind"]) for r in rows] == [
        ("CustomerRelationshipManagement", "horizontal grouping"),
        ("ResourceManagementAndOperations", "horizontal grouping"),
        ("ServiceManagementAndOperations", "horizontal grouping"),
        ("Assurance", "vertical grouping"),
        ("BillingAndRevenueManagement", "vertical grouping"),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_undecomposed_processes(mini_backends, engine):
    assert ask(mini_backends, engine, "undecomposed-processes") == [
        {"process": P + "CreateCustomerProblemReport", "id": "1.1.1.6.5",
         "label": "Create Customer Problem Report", "parent_label": "Problem Handling"},
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_responsibility_coverage_counts_narrower_handling(mini_backends, engine):
    counts = {r["responsibility"][len(C):]: r["processes"] for r in ask(mini_backends, engine, "responsibility-coverage")}
    # complaints: CRM directly; SM&O, Problem Handling, Create Customer Problem Report and
    # Bill Inquiry Handling through narrower complaint responsibilities.
    assert counts == {"ComplaintHandling": 5, "CustomerComplaintHandling": 2, "BillingComplaintHandling": 1,
                      "ServiceLevelComplaintHandling": 1, "Rating": 1}
    with_deprecated = ask(mini_backends, engine, "responsibility-coverage", include_deprecated=True)
    assert {r["responsibility"][len(C):]: r["processes"] for r in with_deprecated}["BillingComplaintHandling"] == 2


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("qid, process, expected, empty_for", [
    ("invokers", "Resource Management & Operations",
     [("ServiceManagementAndOperations", True), ("CustomerRelationshipManagement", False)], "1.1.1"),
    ("invoked", "Customer Relationship Management",
     [("ServiceManagementAndOperations", True), ("ResourceManagementAndOperations", False)], "1.1.3"),
])
def test_invocations_of_one_process_direct_and_through_a_chain(mini_backends, engine, qid, process, expected, empty_for):
    column = "invoker" if qid == "invokers" else "invoked"
    rows = ask(mini_backends, engine, qid, process=process)
    assert [(r[column][len(P):], r["direct"]) for r in rows] == expected
    assert ask(mini_backends, engine, qid, process=empty_for) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_vertical_members(mini_backends, engine):
    rows = ask(mini_backends, engine, "vertical-members", vertical="Assurance")
    assert [(r["process"][len(P):], r["level"]) for r in rows] == [("ProblemHandling", 2), ("CreateCustomerProblemReport", 3)]
    rows = ask(mini_backends, engine, "vertical-members", vertical="BILLING & REVENUE MANAGEMENT", include_deprecated=True)
    assert [r["id"] for r in rows] == ["1.1.1.12", "1.1.1.13", "1.1.1.8"]


# ----------------------------------------------------------------- answers on mini + extras


@pytest.fixture(scope="module")
def extended_backends(mini_graph, data_dir):
    """mini.ttl plus tests/data/coverage/mini-extras.ttl, closed by the fast rules."""
    import pyoxigraph as ox
    import rdflib

    from etom_kg.reasoning import expand
    from etom_kg.store import OxigraphBackend, RdflibBackend

    graph = rdflib.Graph()
    for t in mini_graph:
        graph.add(t)
    graph.parse(data_dir / "coverage" / "mini-extras.ttl")
    closure = expand(graph, reasoner="rules")
    store = ox.Store()
    store.load(closure.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return {"oxigraph": OxigraphBackend(store), "rdflib": RdflibBackend(closure)}


@pytest.mark.parametrize("engine", ("oxigraph", "rdflib"))
def test_processes_for_channel(extended_backends, engine):
    rows = ask(extended_backends, engine, "processes-for-channel", channel="PHONE")
    assert [(r["process"][len(P):], r["channel_label"]) for r in rows] == [
        ("CustomerRelationshipManagement", "telephone"), ("ProblemHandling", "telephone")]
    assert [r["id"] for r in ask(extended_backends, engine, "processes-for-channel", channel="teléfono")] == ["1.1.1", "1.1.1.6"]
    assert [r["id"] for r in ask(extended_backends, engine, "processes-for-channel", channel="web")] == ["1.1.1"]
    assert ask(extended_backends, engine, "processes-for-channel", channel="fax") == []


@pytest.mark.parametrize("engine", ("oxigraph", "rdflib"))
def test_lineage_summary_counts_every_status(extended_backends, engine):
    rows = ask(extended_backends, engine, "lineage-summary")
    assert [(r["label_en"], r["label_es"], r["processes"]) for r in rows] == [
        ("renamed", "renombrado", 2), ("deleted", "eliminado", 1), ("split", "dividido", 0)]


@pytest.mark.parametrize("engine", ("oxigraph", "rdflib"))
def test_directly_invocable(extended_backends, engine):
    assert ask(extended_backends, engine, "directly-invocable") == [
        {"process": P + "ServiceManagementAndOperations", "id": "1.1.2",
         "label": "Service Management & Operations", "invoked_by": 1}]


@pytest.mark.parametrize("engine", ("oxigraph", "rdflib"))
def test_supporters(extended_backends, engine):
    assert [r["supporter"] for r in ask(extended_backends, engine, "supporters", process="Assurance")] == [
        P + "ResourceManagementAndOperations"]
    assert ask(extended_backends, engine, "supporters", process="1.1.3") == []


@pytest.mark.parametrize("engine", ("oxigraph", "rdflib"))
def test_unsupported_processes_are_the_landscape_gaps(extended_backends, mini_backends, engine):
    # Ticketing realizes Create Customer Problem Report, so its parent Problem Handling is
    # covered too (etom:contributesTo); the deprecated Billing & Collections Management is left out.
    rows = ask(extended_backends, engine, "unsupported-processes")
    assert [(r["process"][len(P):], r["level"]) for r in rows] == [("BillInquiryHandling", 2), ("Charging", 2)]
    without_applications = ask(mini_backends, engine, "unsupported-processes")
    assert [r["id"] for r in without_applications] == ["1.1.1.12", "1.1.1.13", "1.1.1.6", "1.1.1.6.5"]
