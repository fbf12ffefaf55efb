"""Exact answers on the hand-checkable fixture (tests/data/mini.ttl), on both engines."""

import pytest

from etom_kg.api import run_stored
from etom_kg.queries import catalog

P = "https://w3id.org/etom-kg/process/"
ENGINES = ("oxigraph", "rdflib", "owlrl")


def ask(mini_backends, engine, name, **params):
    return run_stored(catalog().get(name), mini_backends[engine], params)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("topic", ["complaints", "reclamaciones", " RECLAMACIÓN ", "quejas", "complaint handling"])
def test_processes_for_topic_complaints(mini_backends, engine, topic):
    r = ask(mini_backends, engine, "processes-for-topic", topic=topic)
    assert r.records() == [
        {"process": P + "CustomerRelationshipManagement", "id": "1.1.1", "label": "Customer Relationship Management", "level": 1},
        {"process": P + "ServiceManagementAndOperations", "id": "1.1.2", "label": "Service Management & Operations", "level": 1},
        {"process": P + "BillInquiryHandling", "id": "1.1.1.12", "label": "Bill Inquiry Handling", "level": 2},
        {"process": P + "ProblemHandling", "id": "1.1.1.6", "label": "Problem Handling", "level": 2},
        {"process": P + "CreateCustomerProblemReport", "id": "1.1.1.6.5", "label": "Create Customer Problem Report", "level": 3},
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_processes_for_topic_narrow_and_deprecated(mini_backends, engine):
    narrow = ask(mini_backends, engine, "processes-for-topic", topic="reclamaciones de facturación")
    assert narrow.column("id") == ["1.1.1.12"]
    with_old = ask(mini_backends, engine, "processes-for-topic", topic="billing complaints", include_deprecated=True)
    assert with_old.column("id") == ["1.1.1.12", "1.1.1.8"]
    assert ask(mini_backends, engine, "processes-for-topic", topic="rating").column("id") == ["1.1.1.13"]
    assert ask(mini_backends, engine, "processes-for-topic", topic="nothing like this").rows == []


@pytest.mark.parametrize("engine", ENGINES)
def test_processes_catalogue(mini_backends, engine):
    rows = ask(mini_backends, engine, "processes").records()
    assert len(rows) == 10  # the deprecated one is left out
    by_id = {r["process"].rsplit("/", 1)[1]: r for r in rows}
    assert by_id["ProblemHandling"] == {
        "process": P + "ProblemHandling", "id": "1.1.1.6", "level": 2, "label_en": "Problem Handling",
        "label_es": "Gestión de Problemas", "parent_id": "1.1.1", "verticals": "Assurance"}
    assert by_id["Assurance"]["id"] == "" and by_id["Assurance"]["level"] == 1
    assert by_id["Operations"]["parent_id"] == "" and by_id["Operations"]["level"] == 0
    assert [r["level"] for r in rows] == sorted(r["level"] for r in rows)
    assert len(ask(mini_backends, engine, "processes", include_deprecated=True)) == 11


@pytest.mark.parametrize("engine", ENGINES)
def test_hierarchy_queries(mini_backends, engine):
    assert ask(mini_backends, engine, "children", process="1.1.1.6").column("id") == ["1.1.1.6.5"]
    assert ask(mini_backends, engine, "children", process="problem handling").column("id") == ["1.1.1.6.5"]
    assert ask(mini_backends, engine, "children", process=P + "ProblemHandling").column("id") == ["1.1.1.6.5"]
    desc = ask(mini_backends, engine, "descendants", process="Gestión de las Relaciones con el Cliente")
    assert desc.column("id") == ["1.1.1.12", "1.1.1.13", "1.1.1.6", "1.1.1.6.5"]
    assert desc.column("parent_id") == ["1.1.1", "1.1.1", "1.1.1", "1.1.1.6"]
    anc = ask(mini_backends, engine, "ancestors", process="1.1.1.6.5")
    assert anc.column("id") == ["1.1.1.6", "1.1.1", "1.1"]
    assert anc.column("level") == [2, 1, 0]


@pytest.mark.parametrize("engine", ENGINES)
def test_matrix_and_groupings(mini_backends, engine):
    cell = ask(mini_backends, engine, "matrix-cell", vertical="Aseguramiento del Servicio", horizontal="1.1.1")
    assert cell.column("id") == ["1.1.1.6", "1.1.1.6.5"]
    assert ask(mini_backends, engine, "matrix-cell", vertical="Billing & Revenue Management",
               horizontal="Customer Relationship Management").column("id") == ["1.1.1.12", "1.1.1.13"]
    assert ask(mini_backends, engine, "verticals-of-process", process="1.1.1.12").column("label_es") == [
        "Facturación y Gestión de los Ingresos"]
    groupings = ask(mini_backends, engine, "groupings").records()
    assert [(g["kind"], g["label_en"]) for g in groupings] == [
        ("horizontal", "Customer Relationship Management"), ("horizontal", "Service Management & Operations"),
        ("horizontal", "Resource Management & Operations"), ("vertical", "Assurance"),
        ("vertical", "Billing & Revenue Management")]
    assert len(ask(mini_backends, engine, "groupings", type="vertical")) == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_relations_and_lookup(mini_backends, engine):
    inv = ask(mini_backends, engine, "invocations").records()
    assert [(r["caller_label"], r["callee_label"], r["direct"]) for r in inv] == [
        ("Customer Relationship Management", "Resource Management & Operations", False),
        ("Customer Relationship Management", "Service Management & Operations", True),
        ("Service Management & Operations", "Resource Management & Operations", True)]
    assert len(ask(mini_backends, engine, "invocations", direct_only=True)) == 2
    found = ask(mini_backends, engine, "process-lookup", text="problem")
    assert found.column("id") == ["1.1.1.6", "1.1.1.6.5"]
    assert ask(mini_backends, engine, "process-lookup", text="1.1.1.13").column("label_es") == ["Tarificación"]
    resp = ask(mini_backends, engine, "responsibilities-of-process", process="1.1.1.12").records()
    assert [(r["label_en"], r["asserted"]) for r in resp] == [
        ("billing complaint handling", True), ("complaint handling", False)]
    dep = ask(mini_backends, engine, "deprecated-processes").records()
    assert [(d["id"], d["replacement_label"]) for d in dep] == [("1.1.1.8", "Bill Inquiry Handling")]
    counts = ask(mini_backends, engine, "process-count-by-level").records()
    assert counts == [{"level": 0, "processes": 1}, {"level": 1, "processes": 5},
                      {"level": 2, "processes": 3}, {"level": 3, "processes": 1}]


def test_every_query_agrees_between_engines_on_the_fixture(mini_backends):
    params = {"process": "1.1.1.6", "topic": "complaints", "text": "a", "vertical": "Assurance", "horizontal": "1.1.1", "domain": "Customer Domain",
              "api": "TMF622", "block": "CCM", "flow": "Order-to-Payment"}
    for q in catalog():
        needed = {p.name: params[p.name] for p in q.params if p.required}
        a = run_stored(q, mini_backends["oxigraph"], needed)
        b = run_stored(q, mini_backends["rdflib"], needed)
        assert a.variables == b.variables, q.id
        assert a.comparable() == b.comparable(), q.id
