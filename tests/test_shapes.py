"""The SHACL shapes (ontology/etom.shapes.ttl): valid SHACL, each constraint fires on its
fixture (tests/data/checks/shapes/<Shape>.ttl) and nothing else does, the shipped graph conforms.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from etom_kg.validation import SHAPES_NS

SH = "http://www.w3.org/ns/shacl#"

# shape -> the constraint component it fires with on its fixture (the resource ex:<focus>).
EXPECTED = {
    "EnglishPrefLabel": ("Step", "QualifiedMinCountConstraintComponent"),
    "SpanishPrefLabel": ("Step", "QualifiedMinCountConstraintComponent"),
    "PrefLabelPerLanguage": ("Step", "UniqueLangConstraintComponent"),
    "LabelPerLanguage": ("Step", "UniqueLangConstraintComponent"),
    "ProcessLevel": ("Floating", "QualifiedMinCountConstraintComponent"),
    "ProcessClassicId": ("Step", "DatatypeConstraintComponent"),
    "ProcessR16Id": ("Step", "PatternConstraintComponent"),
    "ProcessV21Id": ("Step", "PatternConstraintComponent"),
    "ProcessParentCount": ("Step", "MaxCountConstraintComponent"),
    "ProcessCanBeInvokedDirectly": ("Step", "DatatypeConstraintComponent"),
    "ProcessLaterName": ("Step", "DatatypeConstraintComponent"),
    "NoOwnAncestor": ("Loop", "DisjointConstraintComponent"),
    "Level0NoParent": ("Area", "MaxCountConstraintComponent"),
    "Level0ClassicId": ("Area", "PatternConstraintComponent"),
    "Level1Parent": ("Group", "MinCountConstraintComponent"),
    "Level1ClassicId": ("Group", "PatternConstraintComponent"),
    "GroupingShape": ("Group", "XoneConstraintComponent"),
    "GroupingInOperations": ("Group", "HasValueConstraintComponent"),
    "VerticalGroupingNoClassicId": ("Group", "MaxCountConstraintComponent"),
    "Level2Parent": ("Step", "ClassConstraintComponent"),
    "Level2Vertical": ("Step", "MinCountConstraintComponent"),
    "Level2ClassicId": ("Step", "OrConstraintComponent"),
    "Level3Parent": ("Step", "ClassConstraintComponent"),
    "Level3ClassicId": ("Step", "OrConstraintComponent"),
    "Level4Parent": ("Task", "ClassConstraintComponent"),
    "Level4ClassicId": ("Task", "OrConstraintComponent"),
    "Level5Parent": ("Task", "ClassConstraintComponent"),
    "Level5ClassicId": ("Task", "OrConstraintComponent"),
    "Level6Parent": ("Task", "ClassConstraintComponent"),
    "ResponsibilityBroader": ("Duty", "ClassConstraintComponent"),
    "ApplicationLabel": ("App", "MinCountConstraintComponent"),
    "ApplicationSupportsCurrentProcess": ("App", "QualifiedMaxCountConstraintComponent"),
    # issue 12: Open APIs, ODA blocks, SID ABEs, flows and mapping records
    "FrameworkElementTmfId": ("Blk", "MinCountConstraintComponent"),
    "OpenApiId": ("Api", "PatternConstraintComponent"),
    "AbeSidDomain": ("Abe", "MaxCountConstraintComponent"),
    "FlowStream": ("Flw", "MinCountConstraintComponent"),
    "MappingSubject": ("Rec", "OrConstraintComponent"),
    "MappingObject": ("Rec", "MinCountConstraintComponent"),
    "MappingJustification": ("Rec", "MaxCountConstraintComponent"),
    "MappingSource": ("Rec", "MinCountConstraintComponent"),
}

# Other resources of a fixture and what they set off. A process without a level cannot be
# avoided where a fixture needs a cycle or a parent of the wrong level (any level would be
# inconsistent with the child's); ProcessLevel names it.
ALSO_FIRES = {
    "NoOwnAncestor": {"Loop": {"ProcessLevel"}},
    "Level0NoParent": {"Container": {"ProcessLevel"}},
    "Level3Parent": {"Container": {"ProcessLevel"}},
    "Level4Parent": {"Container": {"ProcessLevel"}},
    "Level5Parent": {"Container": {"ProcessLevel"}},
    "Level6Parent": {"Container": {"ProcessLevel"}},
}

SEVERITY = {"ApplicationSupportsCurrentProcess": "warning"}


def namespace(shape: str) -> str:
    return f"https://example.org/shapes/{shape}/"


@pytest.fixture(scope="module")
def shapes():
    from etom_kg.validation import shapes_graph

    return shapes_graph()


@pytest.fixture(scope="module")
def fixture_findings(data_dir, shapes):
    """shape fixture -> {local name of the focus: [findings]}."""
    from etom_kg.validation import build_store, run_shapes

    files = sorted((data_dir / "checks" / "shapes").glob("*.ttl"))
    by = defaultdict(lambda: defaultdict(list))
    for f in run_shapes(build_store(files), shapes):
        for name in EXPECTED:
            if f.focus.value.startswith(namespace(name)):
                by[name][f.focus.value[len(namespace(name)):]].append(f)
    return by


def firing_shapes(shapes) -> set:
    """Shapes that carry a constraint of their own: property shapes, and node shapes with more
    than targets and property links (a report names them as sh:sourceShape)."""
    import rdflib

    structural = {f"{SH}{p}" for p in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf",
                                        "property", "message", "severity", "deactivated", "name", "description")}
    out = set()
    for s in set(shapes.subjects()):
        if not isinstance(s, rdflib.URIRef) or not str(s).startswith(SHAPES_NS):
            continue
        own = {str(p) for p in shapes.predicates(s) if str(p).startswith(SH)} - structural
        if own:
            out.add(str(s)[len(SHAPES_NS):])
    return out


# ----------------------------------------------------------------- the shapes graph


def test_shapes_conform_to_shacl_for_shacl(shapes):
    from pyshacl.entrypoints import meta_validate

    conforms, _graph, text = meta_validate(shapes, inference="none")
    assert conforms, text


def test_shacl_for_shacl_rejects_a_malformed_shape(shapes):
    """The meta-validation can fail: a shape with a non-integer sh:minCount does not pass."""
    import rdflib
    from pyshacl.entrypoints import meta_validate

    broken = rdflib.Graph()
    for t in shapes:
        broken.add(t)
    shape = rdflib.URIRef(SHAPES_NS + "Level2Vertical")
    broken.set((shape, rdflib.URIRef(SH + "minCount"), rdflib.Literal("one")))
    conforms, _graph, _text = meta_validate(broken, inference="none")
    assert not conforms


def test_every_shape_has_a_fixture(shapes, data_dir):
    fixtures = {p.stem for p in (data_dir / "checks" / "shapes").glob("*.ttl")}
    assert firing_shapes(shapes) == set(EXPECTED) == fixtures


def test_every_shape_has_a_message(shapes):
    import rdflib

    for name in firing_shapes(shapes):
        messages = list(shapes.objects(rdflib.URIRef(SHAPES_NS + name), rdflib.URIRef(SH + "message")))
        assert [m.language for m in messages] == ["en"], name


# ----------------------------------------------------------------- each shape fires


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shape_fires_on_its_fixture_and_nothing_else_does(name, fixture_findings):
    focus, component = EXPECTED[name]
    expected = {focus: {name}}
    for other, rules in ALSO_FIRES.get(name, {}).items():
        expected[other] = expected.get(other, set()) | rules
    fired = {local: {f.rule.removeprefix("etomsh:") for f in found} for local, found in fixture_findings[name].items()}
    assert fired == expected
    mine = [f for f in fixture_findings[name][focus] if f.rule == f"etomsh:{name}"]
    assert {f.component for f in mine} == {SH + component}
    assert {f.severity for f in mine} == {SEVERITY.get(name, "error")}
    assert all(f.message.startswith(f"<{namespace(name)}{focus}> ") for f in mine)


def test_a_wrong_value_is_named_in_the_message(fixture_findings):
    (finding,) = fixture_findings["Level2Parent"]["Step"]
    assert finding.message == (
        f"<{namespace('Level2Parent')}Step> is a Level-2 process and needs a horizontal grouping "
        "as its parent (etom:directlyPartOf) (value: proc:Fulfillment)"
    )


# ----------------------------------------------------------------- the shipped graph


def test_shipped_graph_conforms_to_the_shapes(shapes):
    from etom_kg.validation import build_store, run_shapes

    findings = run_shapes(build_store(), shapes)
    assert [f.message for f in findings if f.severity == "error"] == []
    assert [f.message for f in findings if f.severity == "warning"] == []
