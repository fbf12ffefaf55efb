"""`etom-kg load` writes exactly the reasoned graph plus its search keys, and counts it right.

The store is written from an N-Quads dump to which the search keys and the "spilled" rule
results (what no rule reads, never inserted into the memory store) are appended, each found by
another thread while the dump runs; this compares it quad by quad with the graph prepared the
plain way: parse, reason, add_search_keys. The data asserts a triple a spilled rule derives
again, and gives a blank node facts that spilled rules copy (its label must keep meaning it).
"""

from __future__ import annotations

import pyoxigraph as ox

from etom_kg.loading import build_store
from etom_kg.rules import materialize
from etom_kg.search import SEARCH_KEY, add_search_keys
from etom_kg.store import load_embedded

BLANK_APP = '[] a etom:Application ; rdfs:label "Unnamed tool" ; etom:supportsProcess proc:TrackAndManageCustomerProblem .'

DATA = """@prefix etom: <https://w3id.org/etom-kg/ontology#> .
@prefix proc: <https://w3id.org/etom-kg/process/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://example.org/app/Remedy> a etom:Application ; rdfs:label "Remedy Façade" ;
    etom:servesProcess proc:TrackAndManageCustomerProblem .
<https://example.org/app/Old> a etom:Application ; rdfs:label "Old CRM", "Σύστημα Χρέωσης"@el ;
    etom:searchKey "old crm", "legacy"@en ;
    etom:contributesTo proc:TrackAndManageCustomerProblem .
""" + BLANK_APP + "\n"


def _split(quads):
    ground = {str(q) for q in quads if not (isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode))}
    return ground, sum(1 for q in quads if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode))


def test_the_store_holds_the_reasoned_graph_and_its_search_keys(tmp_path):
    data = tmp_path / "apps.ttl"
    data.write_text(DATA, encoding="utf-8")
    meta = build_store([data], tmp_path / "store")

    expected = ox.Store()
    load_embedded(expected)
    expected.bulk_load(path=str(data), format=ox.RdfFormat.TURTLE, base_iri=data.resolve().as_uri(), to_graph=ox.DefaultGraph())
    materialize(expected)
    add_search_keys(expected)

    stored = ox.Store.read_only(str(tmp_path / "store"))
    assert meta["reasoned_triples"] == len(stored) == len(expected)
    assert _split(list(stored)) == _split(list(expected))  # blank-node labels differ: counted
    keys = {str(q.object) for q in stored.quads_for_pattern(ox.NamedNode("https://example.org/app/Remedy"), ox.NamedNode(SEARCH_KEY), None)}
    assert keys == {'"remedy facade"'}
    old = {str(q.object) for q in stored.quads_for_pattern(ox.NamedNode("https://example.org/app/Old"), ox.NamedNode(SEARCH_KEY), None)}
    # the blank node's own triples and those spilled rules derived for it (appended to the
    # dump: pyoxigraph gives each file's blank-node labels their own nodes) are about one node
    same = stored.query("""PREFIX etom: <https://w3id.org/etom-kg/ontology#>
        ASK { ?x <http://www.w3.org/2000/01/rdf-schema#label> "Unnamed tool" ; etom:contributesTo ?top .
              ?p etom:supportedByApplication ?x . FILTER(isBlank(?x)) }""")
    assert bool(same)
    assert old == {'"old crm"', '"legacy"@en', '"συστημα χρεωσησ"'}  # casefolded; keys written as text keep their letters
