"""ArchiMate Model Exchange File: the eTOM mapping, XSD validity (offline, before writing),
relationship rules, stable identifiers, counts that match the graph, and the round trip."""

import hashlib
import re
from importlib import resources

import pytest
import rdflib

from etom_kg.archimate import exchange, rules
from etom_kg.archimate.model import Element, Model, Relationship, Text, build_model
from etom_kg.cli import main
from etom_kg.errors import InputError
from etom_kg.exporters import export

ETOM = "https://w3id.org/etom-kg/ontology#"
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")

# Independent table of the pairs etom-kg uses (ArchiMate 3.1/3.2 Appendix B): what is
# allowed and, just as important, what is not.
ALLOWED = {
    ("BusinessProcess", "BusinessProcess"): {"Composition", "Aggregation", "Serving", "Triggering", "Flow",
                                             "Specialization", "Association"},
    ("ApplicationComponent", "BusinessProcess"): {"Serving", "Realization", "Flow", "Triggering", "Association"},
    ("BusinessProcess", "ApplicationComponent"): {"Flow", "Triggering", "Serving", "Association"},
}
NOT_ALLOWED = [
    ("ApplicationComponent", "BusinessProcess", "Assignment"),
    ("ApplicationComponent", "BusinessProcess", "Composition"),
    ("BusinessProcess", "BusinessProcess", "Realization"),
    ("BusinessProcess", "ApplicationComponent", "Realization"),
    ("BusinessProcess", "BusinessProcess", "Assignment"),
]


def counts(graph, predicate: str) -> int:
    return len(set(graph.subject_objects(rdflib.URIRef(ETOM + predicate))))


# ----------------------------------------------------------------- packaged schemas and rules


def test_packaged_schemas_match_their_checksums():
    folder = resources.files("etom_kg.archimate").joinpath("xsd")
    lines = folder.joinpath("SHA256SUMS").read_text().split("\n")
    sums = dict(reversed(line.split("  ", 1)) for line in lines if line.strip())
    assert {"archimate3_Diagram.xsd", "archimate3_View.xsd", "archimate3_Model.xsd", "dc.xsd", "xml.xsd",
            "LICENSE-archi-xmlexchange.txt"} <= set(sums)
    for name, digest in sums.items():
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("pair, kinds", sorted(ALLOWED.items()))
def test_relationship_table_allows_the_expected_pairs(pair, kinds):
    assert {k for k in rules.LETTERS.values() if rules.allowed(*pair, k)} == kinds


@pytest.mark.parametrize("source, target, kind", NOT_ALLOWED)
def test_relationship_table_refuses(source, target, kind):
    assert not rules.allowed(source, target, kind)
    assert not rules.allowed("BusinessProcess", "Nonsense", "Association")  # unknown types are never guessed


# ----------------------------------------------------------------- validation has teeth

VALID = """<?xml version="1.0" encoding="UTF-8"?>
<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       identifier="m1">
  <name xml:lang="en">m</name>
  <elements>
    <element identifier="{a}" xsi:type="{type}"><name xml:lang="en">A</name></element>
    <element identifier="b" xsi:type="BusinessProcess">{bname}</element>
  </elements>
  <relationships>
    <relationship identifier="r1" source="{a}" target="{target}" xsi:type="Composition"/>
  </relationships>
</model>"""


def doc(a="a", type="BusinessProcess", target="b", bname='<name xml:lang="en">B</name>'):
    return VALID.format(a=a, type=type, target=target, bname=bname).encode()


def test_validation_accepts_a_minimal_model():
    exchange.validate(doc())


@pytest.mark.parametrize("kwargs, hint", [
    ({"a": "1a"}, "1a"),  # an xs:ID may not start with a digit
    ({"type": "CompositionRelationship"}, "CompositionRelationship"),  # Archi CSV names are not XSD types
    ({"target": "missing"}, "missing"),  # dangling reference (keyref)
    ({"bname": ""}, "name"),  # a real element needs a name
])
def test_validation_rejects_invalid_documents(kwargs, hint):
    with pytest.raises(exchange.ExchangeValidationError, match="not valid against archimate3_Diagram.xsd 3.1"):
        exchange.validate(doc(**kwargs))


def test_invalid_models_are_never_returned_for_writing():
    bad = Model("m", (Text("en", "m"),), elements=(Element("9lives", "BusinessProcess", (Text("en", "x"),)),))
    exchange.render(bad)  # serialising alone works...
    with pytest.raises(exchange.ExchangeValidationError):
        exchange.to_bytes(bad)  # ...but what writers get is validated


def test_a_failed_export_leaves_the_old_file_alone(tmp_path, capsys):
    out = tmp_path / "model.xml"
    out.write_bytes(b"previous")
    links = tmp_path / "links.ttl"
    links.write_text("@prefix etom: <https://w3id.org/etom-kg/ontology#> .\n"
                     "<urn:x:app> a etom:Application ; etom:servesProcess <urn:x:not-a-process> .\n")
    assert main(["export", "--format", "archimate", "--with-links", str(links), "-o", str(out)]) == 2
    assert "not an eTOM process" in capsys.readouterr().err
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["links.ttl", "model.xml"]  # no temporary file left


# ----------------------------------------------------------------- the mapping, on the fixture


def test_fixture_maps_exactly(mini_graph):
    model = build_model(mini_graph)
    assert len(model.elements) == 11 and {e.type for e in model.elements} == {"BusinessProcess"}
    kinds = {}
    for r in model.relationships:
        kinds[r.type] = kinds.get(r.type, 0) + 1
    assert kinds == {"Composition": 10, "Aggregation": 5, "Triggering": 2}
    ph = model.element("etom-ProblemHandling")
    assert ph.names == (Text("en", "Problem Handling"), Text("es", "Gestión de Problemas"))
    assert dict(ph.properties) == {"IRI": "https://w3id.org/etom-kg/process/ProblemHandling",
                                   "eTOM classic id": "1.1.1.6", "eTOM level": "2"}
    ids = {r.id: r for r in model.relationships}
    assert ids["rel-composition.etom-CustomerRelationshipManagement.etom-ProblemHandling"].source == \
        "etom-CustomerRelationshipManagement"
    assert "rel-aggregation.etom-Assurance.etom-CreateCustomerProblemReport" in ids
    assert "rel-triggering.etom-CustomerRelationshipManagement.etom-ServiceManagementAndOperations" in ids
    deprecated = model.element("etom-BillingAndCollectionsManagement")
    assert ("Deprecated", "true") in deprecated.properties
    assert ("Replaced by", "https://w3id.org/etom-kg/process/BillInquiryHandling") in deprecated.properties


def test_fixture_folders_mirror_level_0_and_level_1(mini_graph):
    model = build_model(mini_graph)
    assert [f.labels for f in model.folders] == [(Text("en", "Business"),), (Text("en", "Relations"),)]
    business = model.folders[0]
    (operations,) = business.folders
    assert operations.members == ("etom-Operations",)
    assert [f.labels[0].value for f in operations.folders] == [
        "Assurance", "Billing & Revenue Management", "Customer Relationship Management",
        "Service Management & Operations", "Resource Management & Operations"]
    crm = operations.folders[2]
    assert set(crm.members) == {"etom-CustomerRelationshipManagement", "etom-ProblemHandling",
                                "etom-CreateCustomerProblemReport", "etom-BillInquiryHandling",
                                "etom-BillingAndCollectionsManagement", "etom-Charging"}


def test_links_become_application_components(mini_graph, tmp_path):
    links = tmp_path / "links.ttl"
    links.write_text(
        "@prefix etom: <https://w3id.org/etom-kg/ontology#> . @prefix proc: <https://w3id.org/etom-kg/process/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<urn:x:tt> a etom:Application ; rdfs:label \"Trouble Ticketing\" ; etom:realizesProcess proc:CreateCustomerProblemReport ;"
        " etom:servesProcess proc:ProblemHandling .\n"
        "<urn:x:bi> a etom:Application ; rdfs:label \"BI\" ; etom:supportsProcess proc:Charging .\n")
    data = export("archimate", graph=mini_graph, links=[links])
    path = tmp_path / "m.xml"
    path.write_bytes(data)
    model = exchange.read(path)
    apps = [e for e in model.elements if e.type == "ApplicationComponent"]
    assert sorted(e.id for e in apps) == ["app-bi", "app-tt"]
    app_rels = {(r.type, r.source, r.target, dict(r.properties)["eTOM link"])
                for r in model.relationships if r.source.startswith("app-")}
    assert app_rels == {
        ("Realization", "app-tt", "etom-CreateCustomerProblemReport", "realizesProcess"),
        ("Serving", "app-tt", "etom-ProblemHandling", "servesProcess"),
        ("Serving", "app-bi", "etom-Charging", "supportsProcess"),
    }
    application_folder = next(f for f in model.folders if f.labels[0].value == "Application")
    assert application_folder.folders[0].members == ("app-bi", "app-tt")


# ----------------------------------------------------------------- the shipped graph


@pytest.fixture(scope="module")
def full(ontology, tmp_path_factory):
    data = export("archimate", graph=ontology)
    path = tmp_path_factory.mktemp("archimate") / "etom.xml"
    path.write_bytes(data)
    return data, exchange.read(path), build_model(ontology)


def test_full_export_validates_and_round_trips(full):
    data, read_back, model = full
    exchange.validate(data)  # to_bytes validated already; check the bytes that were written
    assert read_back.elements == model.elements
    assert read_back.relationships == model.relationships
    assert read_back.folders == model.folders
    assert read_back.names == model.names and read_back.metadata == model.metadata


def test_counts_match_the_graph(full, ontology):
    _, model, _ = full
    processes = {s for s, in ontology.query(
        "SELECT DISTINCT ?p WHERE { ?p a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <%sProcess> }" % ETOM)}
    framework = {t: counts_of_type(ontology, c) for t, c in (("ApplicationComponent", "FunctionalBlock"),
                                                             ("ApplicationInterface", "OpenApi"),
                                                             ("DataObject", "AggregateBusinessEntity"))}
    assert len([e for e in model.elements if e.type == "BusinessProcess"]) == len(processes) >= 100
    assert {t: len([e for e in model.elements if e.type == t]) for t in framework} == framework == {
        "ApplicationComponent": 6, "ApplicationInterface": 64, "DataObject": 72}
    by_type = {}
    for r in model.relationships:
        by_type[r.type] = by_type.get(r.type, 0) + 1
    # issue 12: blocks aggregate their APIs and serve their processes; blocks and processes access ABEs
    assert by_type == {"Composition": counts(ontology, "directlyPartOf"),
                       "Aggregation": counts(ontology, "inVertical") + counts(ontology, "exposesApi"),
                       "Serving": counts(ontology, "supports") + counts(ontology, "inFunctionalBlock") + counts(ontology, "usesApi"),
                       "Triggering": counts(ontology, "invokes"),
                       "Access": counts(ontology, "managesEntity") + counts(ontology, "handlesEntity")}


def counts_of_type(graph, local: str) -> int:
    return len(set(graph.subjects(rdflib.RDF.type, rdflib.URIRef(ETOM + local))))


def test_every_relationship_is_allowed_and_every_id_is_an_xs_id(full):
    _, model, _ = full
    types = {e.id: e.type for e in model.elements}
    for r in model.relationships:
        assert rules.allowed(types[r.source], types[r.target], r.type), r
    ids = [e.id for e in model.elements] + [r.id for r in model.relationships]
    assert len(ids) == len(set(ids)) and all(NCNAME.match(i) for i in ids)


def test_names_documentation_and_properties_in_both_languages(full):
    data, model, _ = full
    for e in model.elements:
        assert [t.lang for t in e.names] == ["en", "es"], e.id
        assert {t.lang for t in e.documentation} == {"en", "es"}, e.id
        if e.type == "BusinessProcess":
            assert e.property("IRI") and e.property("eTOM level") in {"0", "1", "2", "3", "4", "5"}
        else:  # issue 12: TM Forum blocks, Open APIs and ABEs carry their TM Forum id instead
            assert e.property("IRI") and e.property("TM Forum id")
    with_classic = sum(1 for e in model.elements if e.property("eTOM classic id"))
    with_r16 = sum(1 for e in model.elements if e.property("eTOM R16 id"))
    assert with_classic >= 100 and with_r16 >= 50
    assert b'<propertyDefinition identifier="propid-etom-level" type="number">' in data


def test_every_process_sits_in_exactly_one_folder(full):
    _, model, _ = full
    placed = []

    def walk(folder):
        placed.extend(m for m in folder.members if not m.startswith("rel-"))
        for sub in folder.folders:
            walk(sub)

    for top in model.folders:
        walk(top)
    assert sorted(placed) == sorted(e.id for e in model.elements)
    operations = model.folders[0].folders[0]
    assert operations.labels[0].value == "Operations" and len(operations.folders) == 8


def test_export_is_byte_stable(ontology, full):
    from etom_kg.graph import load_ontology

    assert export("archimate", graph=load_ontology()) == full[0]


def test_reader_names_file_and_line_for_broken_input(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text('<?xml version="1.0"?>\n<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/">\n<elements>\n</model>\n')
    with pytest.raises(InputError, match=r"broken.xml:4: not well-formed XML"):
        exchange.read(broken)
    old = tmp_path / "old.xml"
    old.write_text('<model xmlns="http://www.opengroup.org/xsd/archimate"/>')
    with pytest.raises(InputError, match="ArchiMate 2.x exchange files"):
        exchange.read(old)
    entity = tmp_path / "entity.xml"
    entity.write_text('<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                      '<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/">&x;</model>')
    with pytest.raises(InputError, match="external entities are not allowed|not well-formed"):
        exchange.read(entity)


def test_relationship_model_identity_ignores_line_numbers():
    assert Relationship("r", "Serving", "a", "b", line=3) == Relationship("r", "Serving", "a", "b", line=9)
