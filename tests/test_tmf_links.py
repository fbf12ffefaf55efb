"""Issue 12: Operations processes linked to Open APIs, ODA blocks, SID ABEs and end-to-end flows.

The links are compiled from the reviewed tables in ontology/tmf/ by tools/build_tmf_links.py;
these tests keep the compiled modules current, account for every row of the tables (loaded,
or skipped with its reason), and pin the reasoning decisions on both reasoners.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest
import rdflib


ROOT = Path(__file__).resolve().parents[1]
E = rdflib.Namespace("https://w3id.org/etom-kg/ontology#")
P = rdflib.Namespace("https://w3id.org/etom-kg/process/")
C = rdflib.Namespace("https://w3id.org/etom-kg/concept/")
REASONERS = ("rules", "owlrl")


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build():
    return _tool("build_tmf_links")


@pytest.fixture(scope="module")
def plan(build):
    return build.plan()


# ----------------------------------------------------------------- compiled and assembled files


def test_compiled_link_modules_are_current(build):
    assert build.stale() == [], "run: python3 tools/build_tmf_links.py && python3 tools/assemble_ontology.py"


def test_assembled_ontology_is_current():
    assert _tool("assemble_ontology").main(["--check"]) == 0, "run: python3 tools/assemble_ontology.py"


# ----------------------------------------------------------------- every row accounted for

# Rows of ontology/tmf/mappings.csv per source. GB1022 counts its block -> process (38 loaded),
# block -> Open API (71) and block -> ABE (62) rows.
EXPECTED_COUNTS = {
    "GB1022": {"loaded": 171, "skipped": 52},
    "GB921E": {"loaded": 60, "skipped": 75},
    "GB991": {"loaded": 26, "skipped": 43},
    "consideration": {"loaded": 0, "skipped": 105},
}
EXPECTED_KINDS = {
    ("GB1022", "process-block"): 38, ("GB1022", "block-api"): 71, ("GB1022", "block-abe"): 62,
    ("GB921E", "process-flow"): 60, ("GB991", "process-abe"): 26,
}
# Why rows were not loaded; every reason keeps a row out because its eTOM end is not an
# Operations process of this graph (or the row is not TM Forum's).
EXPECTED_REASONS = {
    ("GB1022", "outside Operations"): 20, ("GB1022", "new since the classic framework"): 29,
    ("GB1022", "no such v21 id"): 3,
    ("GB921E", "outside Operations"): 45, ("GB921E", "new since the classic framework"): 15,
    ("GB921E", "no such v21 id"): 15,
    ("GB991", "outside Operations"): 17, ("GB991", "new since the classic framework"): 21,
    ("GB991", "no such v21 id"): 5,
    ("consideration", "not TM Forum's"): 105,
}


def _reason_kind(reason: str) -> str:
    for needle, kind in (("outside Operations", "outside Operations"), ("new since", "new since the classic framework"),
                         ("GB921 v21 has no process", "no such v21 id"), ("duplicate", "duplicate"),
                         ("own proposal", "not TM Forum's")):
        if needle in reason:
            return kind
    return reason


def test_links_per_source_loaded_and_skipped(plan):
    assert plan.counts() == EXPECTED_COUNTS
    assert Counter((l.source, l.kind) for l in plan.links) == EXPECTED_KINDS


def test_rows_not_loaded_are_listed_with_their_reason(plan):
    reasons = Counter((source, _reason_kind(reason)) for _line, source, _text, reason in plan.skipped)
    listing = "\n".join(f"line {line} [{source}] {text}: {reason}" for line, source, text, reason in plan.skipped)
    print(listing)  # the list, for `pytest -s`; the compiled module ends with the same list
    assert dict(reasons) == EXPECTED_REASONS, listing
    total_rows = sum(c["loaded"] + c["skipped"] for c in EXPECTED_COUNTS.values())
    assert total_rows == 532  # every row of mappings.csv


def test_no_consideration_row_reaches_the_graph(ontology):
    sources = set(ontology.objects(None, E.statedIn))
    assert sources == {C.GB1022, C.GB921E, C.GB991}


def test_every_loaded_link_is_a_triple_with_its_mapping_record(ontology, plan):
    records = Counter(ontology.value(m, E.statedIn) for m in ontology.subjects(rdflib.RDF.type, E.Mapping))
    assert records == {C.GB1022: 171, C.GB921E: 60, C.GB991: 26}
    for m in ontology.subjects(rdflib.RDF.type, E.Mapping):
        s, o = ontology.value(m, E.mappingSubject), ontology.value(m, E.mappingObject)
        prop = ontology.value(m, E.mappingProperty)
        assert (s, prop, o) in ontology, m
        assert ontology.value(m, E.mappingJustification) == C.StatedInSource
        assert (ontology.value(m, E.statedIn), rdflib.RDF.type, E.SourceDocument) in ontology


def test_stated_links_of_problem_handling(ontology):
    ph = P.ProblemHandling
    assert set(ontology.objects(ph, E.takesPartInFlow)) == {
        C.ProblemToSolutionFlow, C.ComplaintToSolutionFlow}
    assert set(ontology.objects(ph, E.handlesEntity)) == {C.CustomerProblemAbe, C.ProductTestAbe}
    assert set(ontology.objects(ph, E.inFunctionalBlock)) == {C.CoreCommerceManagementBlock}


# ----------------------------------------------------------------- reasoning (item 5), both reasoners


# the shipped schema and a closure over it plus a few triples, as the per-rule tests use them
from test_reasoning import closure, schema  # noqa: E402, F401  (schema is a fixture)


FIXTURE = """
proc:L2 etom:inFunctionalBlock etomc:Blk ; etom:takesPartInFlow etomc:Flw .
proc:L3 etom:directlyPartOf proc:L2 .
proc:L4 etom:directlyPartOf proc:L3 .
proc:Other etom:directlyHasPart proc:OtherChild .
proc:OtherChild etom:takesPartInFlow etomc:Flw .
etomc:Blk etom:exposesApi etomc:Api .
"""


@pytest.mark.parametrize("reasoner", REASONERS)
def test_prp_spo2_a_block_covers_every_part_of_its_processes(schema, reasoner):
    g = closure(schema, reasoner, FIXTURE)
    for p in (P.L2, P.L3, P.L4):
        assert (p, E.withinFunctionalBlock, C.Blk) in g
        assert (C.Blk, E.blockCoversProcess, p) in g
    # ownership is what the source states; coverage is what reasoning adds
    assert set(g.objects(None, E.inFunctionalBlock)) == {C.Blk}
    assert set(g.subjects(E.inFunctionalBlock, None)) == {P.L2}


@pytest.mark.parametrize("reasoner", REASONERS)
def test_prp_spo2_block_apis_are_candidates_of_the_processes_it_owns(schema, reasoner):
    g = closure(schema, reasoner, FIXTURE)
    assert (P.L2, E.candidateApi, C.Api) in g
    assert (P.L2, E.usesApi, C.Api) not in g  # derived, never stated
    assert (P.L3, E.candidateApi, C.Api) not in g  # sub-processes reach them through their block


@pytest.mark.parametrize("reasoner", REASONERS)
def test_prp_spo2_flows_roll_up_to_containers_but_not_down_to_parts(schema, reasoner):
    g = closure(schema, reasoner, FIXTURE)
    assert (P.L2, E.involvedInFlow, C.Flw) in g
    assert (P.L3, E.involvedInFlow, C.Flw) not in g
    assert (P.L4, E.takesPartInFlow, C.Flw) not in g
    assert (P.Other, E.involvedInFlow, C.Flw) in g  # its part takes part
    assert (P.Other, E.takesPartInFlow, C.Flw) not in g
    assert (C.Flw, E.flowIncludes, P.OtherChild) in g  # prp-inv
    assert (C.Flw, E.flowInvolves, P.Other) in g


@pytest.mark.parametrize("reasoner", REASONERS)
def test_prp_dom_prp_rng_link_ends_are_typed(schema, reasoner):
    g = closure(schema, reasoner, FIXTURE)
    assert (C.Blk, rdflib.RDF.type, E.FunctionalBlock) in g
    assert (C.Api, rdflib.RDF.type, E.OpenApi) in g
    assert (C.Flw, rdflib.RDF.type, E.EndToEndFlow) in g
    assert (C.Api, rdflib.RDF.type, E.FrameworkElement) in g  # cax-sco


@pytest.mark.parametrize("reasoner", REASONERS)
def test_cax_dw_a_process_cannot_be_a_framework_element(schema, reasoner):
    from etom_kg.errors import ReasoningError

    with pytest.raises(ReasoningError):
        closure(schema, reasoner, "proc:L2 a etom:Process . etomc:Blk etom:exposesApi proc:L2 .")


def test_shipped_graph_reasoned_links(reasoned):
    # Customer Order Handling's Level-3 parts are within its block, not in its flows
    children = set(reasoned.objects(P.ProblemHandling, E.directlyHasPart))
    assert children
    for child in children:
        assert (child, E.withinFunctionalBlock, C.CoreCommerceManagementBlock) in reasoned
        assert (child, E.takesPartInFlow, C.ProblemToSolutionFlow) not in reasoned
    assert (P.ProblemHandling, E.candidateApi, C.TMF621) in reasoned
    assert (P.CustomerRelationshipManagement, E.involvedInFlow, C.ProblemToSolutionFlow) in reasoned


# ----------------------------------------------------------------- RDF exports carry the links


@pytest.mark.parametrize("fmt, parser", [("turtle", "turtle"), ("jsonld", "json-ld")])
def test_turtle_and_jsonld_exports_carry_links_and_provenance(fmt, parser):
    import warnings

    from etom_kg.exporters import export

    g = rdflib.Graph()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        g.parse(data=export(fmt), format=parser)
    assert (P.ProblemHandling, E.takesPartInFlow, C.ProblemToSolutionFlow) in g
    assert (C.CoreCommerceManagementBlock, E.exposesApi, C.TMF621) in g
    record = rdflib.URIRef("https://w3id.org/etom-kg/mapping/gb921e/ProblemHandling--ProblemToSolutionFlow")
    assert (record, E.statedIn, C.GB921E) in g and (C.GB921E, E.release, rdflib.Literal("20.0.1")) in g
    assert (C.TMF621, rdflib.RDFS.label, rdflib.Literal("Trouble Ticket API", lang="en")) in g
