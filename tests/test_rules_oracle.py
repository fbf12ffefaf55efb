"""The fast rules give exactly owlrl's closure, apart from owlrl's noise.

Noise (see etom_kg.reasoning.is_owlrl_noise): ``x owl:sameAs x``, literal subjects,
``owl:Thing`` typing and datatype axioms. Any other difference fails.
"""

import re

import pyoxigraph as ox
import pytest
import rdflib

from etom_kg.graph import load_schema, store_to_rdflib
from etom_kg.reasoning import closure_difference, expand
from etom_kg.rules import materialize
from etom_kg.synthetic import landscape


def assert_same_closure(graph):
    reference = expand(graph, reasoner="owlrl")
    candidate = expand(graph, reasoner="rules")
    only_owlrl, only_rules = closure_difference(reference, candidate)
    assert not only_owlrl and not only_rules, (sorted(only_owlrl)[:5], sorted(only_rules)[:5])


def test_oracle_on_the_shipped_ontology(ontology, owlrl_reasoned, reasoned):
    only_owlrl, only_rules = closure_difference(owlrl_reasoned, reasoned)
    assert not only_owlrl and not only_rules, (sorted(only_owlrl)[:5], sorted(only_rules)[:5])


def test_oracle_on_the_mini_fixture(mini_graph):
    assert_same_closure(mini_graph)


@pytest.mark.parametrize("size", [1500, 6000])
def test_oracle_on_synthetic_landscapes(ontology, size):
    """Applications, extension classes and sub-properties linked to the real processes."""
    procs = sorted(str(p) for p in ontology.subjects(rdflib.RDF.type, rdflib.URIRef("https://w3id.org/etom-kg/ontology#Level3Process")))
    schema = load_schema()
    schema.parse(data=landscape(size, procs[:40], seed=size), format="nt")
    # give the linked processes their hierarchy so the chains and levels have work to do
    for p in procs[:40]:
        for t in ontology.triples((rdflib.URIRef(p), None, None)):
            schema.add(t)
    assert_same_closure(schema)


def test_oracle_with_user_sub_properties_and_equivalences():
    g = load_schema()
    g.parse(format="turtle", data="""
        @prefix etom: <https://w3id.org/etom-kg/ontology#> . @prefix ex: <https://example.org/> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:escalatesTo rdfs:subPropertyOf etom:invokes .
        ex:Same owl:equivalentClass ex:Other . ex:Other rdfs:subClassOf etom:Application .
        ex:peerOf a owl:SymmetricProperty , owl:ObjectProperty .
        ex:a ex:escalatesTo ex:b . ex:b etom:invokes ex:c . ex:app a ex:Same ; ex:peerOf ex:app2 .
    """)
    assert_same_closure(g)


@pytest.mark.parametrize("chain", ["two", "equivalent-middle", "equivalent-top", "equivalent-bottom"])
def test_oracle_when_a_class_types_through_the_class_between(chain):
    """A class reads the members of its sub-classes only through the typed class between
    them (c ⊑ e ⊑ d); equivalences around e must not let two classes excuse each other."""
    extra = {
        "two": "",
        "equivalent-middle": "ex:E owl:equivalentClass ex:E2 . ex:E2 a owl:Class ; rdfs:subClassOf ex:D .",
        "equivalent-top": "ex:D owl:equivalentClass ex:E .",
        "equivalent-bottom": "ex:C owl:equivalentClass ex:E .",
    }[chain]
    g = load_schema()
    g.parse(format="turtle", data=f"""
        @prefix ex: <https://example.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:C a owl:Class ; rdfs:subClassOf ex:E . ex:E a owl:Class ; rdfs:subClassOf ex:D . ex:D a owl:Class .
        ex:B a owl:Class ; rdfs:subClassOf ex:C .
        ex:p a owl:ObjectProperty ; rdfs:domain ex:E .
        {extra}
        ex:c1 a ex:C . ex:b1 a ex:B . ex:x ex:p ex:y . ex:e2 a ex:E2 .
    """)
    assert_same_closure(g)
    reasoned = expand(g, reasoner="rules")
    D = rdflib.URIRef("https://example.org/D")
    for member in ("c1", "b1", "x"):
        assert (rdflib.URIRef(f"https://example.org/{member}"), rdflib.RDF.type, D) in reasoned


def test_second_pass_adds_nothing(store):
    """The plan is stratified: running it again over its own output is a no-op."""
    before = len(store)
    scratch = ox.Store()
    scratch.extend(store.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    materialize(scratch)
    assert len(scratch) == before


def test_materialize_reports_counts():
    st = ox.Store()
    from etom_kg.store import load_embedded

    load_embedded(st)
    n = len(st)
    report = materialize(st)
    assert len(st) > n and report.steps >= 10 and report.iterations >= report.steps
    back = store_to_rdflib(st)
    assert len(back) == len(st)


def test_spilled_updates_complete_the_closure(ontology):
    """``materialize(spill=...)`` (what ``etom-kg load`` uses) leaves out only what no rule
    reads, and its CONSTRUCT queries give back exactly that."""
    from etom_kg.rules import TYPE
    from etom_kg.store import load_embedded

    procs = sorted(str(p) for p in ontology.subjects(rdflib.RDF.type, rdflib.URIRef("https://w3id.org/etom-kg/ontology#Level3Process")))
    data = landscape(3000, procs[:60], seed=3)

    def prepared():
        st = ox.Store()
        load_embedded(st)
        st.load(data, format=ox.RdfFormat.N_TRIPLES)
        return st

    full, part = prepared(), prepared()
    materialize(full)
    report = materialize(part, spill=lambda p: True)
    spilled = {re.search(r"<([^>]+)>", q).group(1) for q in report.spilled}  # what each one writes
    assert "https://w3id.org/etom-kg/ontology#contributesTo" in spilled and TYPE not in spilled
    assert len(part) < len(full)
    found = [t for q in report.spilled for t in part.query(q)]
    part.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in found)

    def ground(st):
        return {str(q) for q in st if not (isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode))}

    assert len(part) == len(full)
    assert ground(part) == ground(full)
    kept = materialize(prepared(), spill=lambda p: p != "https://w3id.org/etom-kg/ontology#contributesTo")
    assert not any("contributesTo" in q for q in kept.spilled)

