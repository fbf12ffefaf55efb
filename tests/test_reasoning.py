"""OWL 2 RL behaviour, one test per rule the ontology relies on, for both reasoners.

Each test reasons over the shipped schema plus a few triples, so it checks the rule *and*
that the schema declares what the rule needs.
"""

import pytest
import rdflib

from etom_kg.errors import ReasoningError
from etom_kg.reasoning import expand

E = rdflib.Namespace("https://w3id.org/etom-kg/ontology#")
P = rdflib.Namespace("https://w3id.org/etom-kg/process/")
C = rdflib.Namespace("https://w3id.org/etom-kg/concept/")
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
A = rdflib.RDF.type
REASONERS = ("rules", "owlrl")


@pytest.fixture(scope="module")
def schema():
    from etom_kg.graph import load_schema

    return load_schema()


def closure(schema, reasoner, turtle):
    g = rdflib.Graph()
    for t in schema:
        g.add(t)
    g.parse(data="@prefix etom: <https://w3id.org/etom-kg/ontology#> .\n"
                 "@prefix proc: <https://w3id.org/etom-kg/process/> .\n"
                 "@prefix etomc: <https://w3id.org/etom-kg/concept/> .\n"
                 "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
                 "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n" + turtle, format="turtle")
    before = len(g)
    out = expand(g, reasoner=reasoner)
    assert len(g) == before, "the asserted graph must not be mutated"
    return out


@pytest.mark.parametrize("reasoner", REASONERS)
def test_prp_trp_part_of_is_transitive(schema, reasoner):
    g = closure(schema, reasoner, "proc:c etom:directlyPartOf proc:b . proc:b etom:directlyPartOf proc:a .")
    assert (P.c, E.partOf, P.a) in g
    assert (P.c, E.directlyPartOf, P.a) not in g


@pytest.mark.parametrize("reasoner", REASONERS)
def test_prp_inv_inverse_properties(schema, reasoner):
    g = closure(schema, reasoner, "proc:c etom:directlyPartOf proc:b . proc:x etom:invokedBy proc:y .")
    assert (P.b, E.directlyHasPart, P.c) in g
    assert (P.b, E.hasPart, P.c) in g
    assert (P.y, E.invokes, P.x) in g


@pytest.mark.parametrize("reasoner", REASONERS)
def test_prp_spo1_sub_properties_roll_up(schema, reasoner):
    g = closure(schema, reasoner, "proc:x etom:invokes proc:y . proc:y etom:invokes proc:z . "
                                  "<urn:app> etom:servesProcess proc:x .")
    assert (P.x, E.invokesTransitively, P.z) in g  # spo1 then trp
    assert (rdflib.URIRef("urn:app"), E.supportsProcess, P.x) in g


@pytest.mark.parametrize("reasoner", REASONERS)
def test_prp_spo2_property_chains(schema, reasoner):
    g = closure(schema, reasoner, """
        proc:x etom:handles etomc:Narrow . etomc:Narrow skos:broader etomc:Mid . etomc:Mid skos:broader etomc:Top .
        <urn:app> etom:supportsProcess proc:x . proc:x etom:directlyPartOf proc:p . proc:p etom:directlyPartOf proc:q .""")
    assert (P.x, E.handles, C.Top) in g  # handles o broader o broader, by recursion
    assert (C.Top, E.handledBy, P.x) in g
    assert (rdflib.URIRef("urn:app"), E.contributesTo, P.q) in g


@pytest.mark.parametrize("reasoner", REASONERS)
def test_prp_dom_prp_rng_and_cax_sco(schema, reasoner):
    g = closure(schema, reasoner, "proc:x etom:handles etomc:R . proc:x etom:inVertical proc:V .")
    assert (P.x, A, E.Process) in g
    assert (C.R, A, E.Responsibility) in g
    assert (C.R, A, SKOS.Concept) in g  # Responsibility is a sub-class of skos:Concept
    assert (P.V, A, E.VerticalGrouping) in g
    assert (P.V, A, E.Level1Process) in g


@pytest.mark.parametrize("reasoner", REASONERS)
def test_cls_svf1_levels_follow_from_the_hierarchy(schema, reasoner):
    g = closure(schema, reasoner, """
        proc:area a etom:ProcessArea . proc:l1 etom:directlyPartOf proc:area .
        proc:l2 etom:directlyPartOf proc:l1 . proc:l3 etom:directlyPartOf proc:l2 . proc:l4 etom:directlyPartOf proc:l3 .""")
    for node, level in ((P.area, 0), (P.l1, 1), (P.l2, 2), (P.l3, 3), (P.l4, 4)):
        assert (node, A, E[f"Level{level}Process"]) in g
        assert (node, A, E.Process) in g


@pytest.mark.parametrize("reasoner", REASONERS)
def test_cax_dw_inconsistency_is_a_readable_error(schema, reasoner):
    with pytest.raises(ReasoningError, match="inconsistent") as err:
        closure(schema, reasoner, "proc:x a etom:Level2Process , etom:Level3Process .")
    assert "https://w3id.org/etom-kg/process/x" in str(err.value)


@pytest.mark.parametrize("reasoner", REASONERS)
def test_cax_dw_level_clash_from_the_hierarchy(schema, reasoner):
    # asserted Level 2 but part of a Level-2 process: inferred Level 3 clashes.
    with pytest.raises(ReasoningError):
        closure(schema, reasoner, "proc:a a etom:Level2Process . proc:b a etom:Level2Process ; etom:directlyPartOf proc:a .")


def test_unknown_reasoner_lists_the_valid_ones(schema):
    with pytest.raises(ReasoningError, match="valid: rules, owlrl"):
        expand(schema, reasoner="hermit")


def test_fast_rules_refuse_axioms_outside_owl2rl(schema):
    with pytest.raises(ReasoningError, match="owl:hasSelf"):
        closure(schema, "rules", "proc:R owl:onProperty etom:invokes ; owl:hasSelf true .")


# ------------------------------------------------------------- the shipped ontology


def test_asserted_and_inferred_levels_agree(ontology):
    """Strip every asserted level class: reasoning must give each process its level back."""
    from etom_kg.graph import load_ontology

    level_classes = {E[f"Level{i}Process"] for i in range(2, 7)}
    asserted = {(s, o) for s, o in ontology.subject_objects(A) if o in level_classes}
    assert len(asserted) >= 650  # every process from Level 2 to Level 5
    stripped = load_ontology()
    for s, o in asserted:
        stripped.remove((s, A, o))
    inferred = expand(stripped, reasoner="rules")
    for s, o in asserted:
        assert (s, A, o) in inferred, s
    for proc in ontology.subjects(A, E.HorizontalGrouping):
        assert (proc, A, E.Level1Process) in inferred
    for proc in ontology.subjects(A, E.ProcessArea):
        assert (proc, A, E.Level0Process) in inferred


def test_reasoning_answers_more_complaint_handlers(store, asserted_store):
    from etom_kg.api import run_stored
    from etom_kg.queries import catalog

    q = catalog().get("processes-for-topic")
    with_reasoning = set(run_stored(q, store, {"topic": "complaints"}).column("process"))
    asserted_only = set(run_stored(q, asserted_store, {"topic": "complaints"}).column("process"))
    assert asserted_only < with_reasoning
    assert P.BillInquiryHandling.toPython() in with_reasoning - asserted_only
    assert P.ProblemHandling.toPython() in with_reasoning - asserted_only
