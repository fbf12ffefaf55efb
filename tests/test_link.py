"""etom-kg link: matching an application inventory (CSV or ArchiMate) to eTOM, accounting
for every row; the coverage reports; round trips through our own EA exports; the example."""

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from etom_kg.api import run_stored
from etom_kg.cli import main
from etom_kg.commands.interop import coverage_backend, coverage_queries
from etom_kg.errors import InputError
from etom_kg.exporters import export
from etom_kg.linking import ProcessIndex, link, normalize, report, strict_failure

P = "https://w3id.org/etom-kg/process/"
ETOM = rdflib.Namespace("https://w3id.org/etom-kg/ontology#")
EXAMPLES = Path(__file__).parents[1] / "examples"

# The fixture plus ids that collide on purpose: 1.1.1.12 is Bill Inquiry Handling's classic id
# and (here) Charging's R16 id; 1.1.1.8 is the deprecated Billing & Collections Management's
# classic id and (here) also Charging's.
EXTRA = """
@prefix etom: <https://w3id.org/etom-kg/ontology#> . @prefix proc: <https://w3id.org/etom-kg/process/> .
proc:Charging etom:r16Id "1.1.1.12" , "1.1.1.8" .
proc:ProblemHandling etom:r16Id "1.3.7" .
"""

INVENTORY = (
    "Application;Process;Relation\n"                       # 1  semicolons, any case
    "CRM;1.1.1.6;serves\n"                                 # 2  classic id
    "CRM;gestion de PROBLEMAS;\n"                          # 3  Spanish label, no accents, default relation
    'Billing;"Bill Inquiry Handling | Charging";realises\n'  # 4  two processes in one cell
    "Portal;proc:CreateCustomerProblemReport;SERVING\n"    # 5  compact IRI
    "Portal;1.1.1.12;serves\n"                             # 6  ambiguous id
    "Portal;classic:1.1.1.12;serves\n"                     # 7  disambiguated
    "Portal;Nonexistent Process;serves\n"                  # 8  unmatched
    ";1.1.1.6;serves\n"                                    # 9  malformed: no application
    "Portal;1.1.1.6;owns\n"                                # 10 malformed: relation
    "Portal;1.1.1.6\n"                                     # 11 malformed: field count
    "Legacy;;\n"                                           # 12 unlinked
    '"Multi\nline";1.1.1.13;serves\n'                      # 13-14 a quoted newline
    "CRM;1.1.1.8;serves\n"                                 # 15 the current process wins
    "Old;Billing & Collections Management;serves\n"        # 16 deprecated, reported
    "# a comment\n"                                        # 17
    "CRM;problem handling;serves\n"                        # 18 same link as line 2
)


@pytest.fixture(scope="module")
def mini_ontology(mini_graph):
    g = rdflib.Graph()
    g += mini_graph
    g.parse(data=EXTRA, format="turtle")
    return g


@pytest.fixture
def inventory(tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_text(INVENTORY, encoding="utf-8")
    return path


def statuses(result):
    return [(r.line, r.status, r.process.replace(P, "")) for r in sorted(result.rows, key=lambda r: (r.line, r.process))]


# ----------------------------------------------------------------- matching


@pytest.mark.parametrize("text, key", [
    ("Gestión de Problemas", "gestion de problemas"),
    ("  Billing &  Revenue   Management ", "billing and revenue management"),
    ("Facturación y Gestión de los Ingresos", "facturacion and gestion de los ingresos"),
    ("Supplier/Partner Relationship Management", "supplier partner relationship management"),
])
def test_normalize(text, key):
    assert normalize(text) == key


def test_index_finds_by_id_label_and_iri(mini_ontology):
    index = ProcessIndex(mini_ontology)
    assert index.find("1.1.1.6") == {P + "ProblemHandling"}
    assert index.find("r16:1.3.7") == {P + "ProblemHandling"} and index.find("classic:1.3.7") == set()
    assert index.find("GESTIÓN DE PROBLEMAS") == {P + "ProblemHandling"}
    assert index.find("1.1.1.6 - Problem Handling") == {P + "ProblemHandling"}
    assert index.find("1.1.1.12 Charging") == {P + "Charging"}  # the name settles an ambiguous id
    assert index.find(P + "Charging") == {P + "Charging"} and index.find(P + "Nope") == set()
    assert index.find("1.1.1.12") == {P + "BillInquiryHandling", P + "Charging"}


def test_every_row_is_accounted_for_with_its_line(mini_ontology, inventory):
    result = link([inventory], ontology=mini_ontology)
    assert statuses(result) == [
        (2, "matched", "ProblemHandling"),
        (3, "matched", "ProblemHandling"),
        (4, "matched", "BillInquiryHandling"), (4, "matched", "Charging"),
        (5, "matched", "CreateCustomerProblemReport"),
        (6, "ambiguous", ""),
        (7, "matched", "BillInquiryHandling"),
        (8, "unmatched", ""),
        (9, "malformed", ""), (10, "malformed", ""), (11, "malformed", ""),
        (12, "unlinked", ""),
        (13, "matched", "Charging"),
        (15, "matched", "Charging"),
        (16, "matched", "BillingAndCollectionsManagement"),
        (18, "matched", "ProblemHandling"),
    ]
    by_line = {r.line: r for r in result.rows}
    assert by_line[6].candidates == (P + "BillInquiryHandling", P + "Charging")
    assert "classic: or r16:" in by_line[6].message
    assert by_line[9].message == "no application name"
    assert by_line[10].message == "relation 'owns' is not one of serves, realizes, supports"
    assert by_line[11].message == "2 fields, the header has 3"
    assert by_line[15].message.startswith("also matches deprecated Billing & Collections Management")
    assert by_line[16].message.startswith("deprecated; replaced by Bill Inquiry Handling")
    assert by_line[18].message.endswith("same link as " + f"{inventory}:2")
    assert result.counts() == {"matched": 10, "unlinked": 1, "unmatched": 1, "ambiguous": 1, "malformed": 3}


def test_the_user_graph(mini_ontology, inventory):
    result = link([inventory], ontology=mini_ontology, base="https://example.org/app/")
    expected = rdflib.Graph()
    expected.parse(format="turtle", data="""
        @prefix etom: <https://w3id.org/etom-kg/ontology#> . @prefix proc: <https://w3id.org/etom-kg/process/> .
        @prefix app: <https://example.org/app/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        app:crm a etom:Application ; rdfs:label "CRM" ; etom:servesProcess proc:ProblemHandling , proc:Charging ;
            etom:supportsProcess proc:ProblemHandling .
        app:billing a etom:Application ; rdfs:label "Billing" ;
            etom:realizesProcess proc:BillInquiryHandling , proc:Charging .
        app:portal a etom:Application ; rdfs:label "Portal" ;
            etom:servesProcess proc:CreateCustomerProblemReport , proc:BillInquiryHandling .
        app:legacy a etom:Application ; rdfs:label "Legacy" .
        app:multi-line a etom:Application ; rdfs:label "Multi\\nline" ; etom:servesProcess proc:Charging .
        app:old a etom:Application ; rdfs:label "Old" ; etom:servesProcess proc:BillingAndCollectionsManagement .
    """)
    assert isomorphic(result.graph(), expected)
    data = result.turtle("https://example.org/app/")
    assert data.startswith(b"# Applications linked to eTOM by etom-kg link from: inventory.csv\n@prefix app:")
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.TURTLE)
    assert len(store) == len(expected)


def test_reports_in_table_and_json(mini_ontology, inventory):
    result = link([inventory], ontology=mini_ontology)
    table = report(result, "table")
    assert f"{inventory}:8" in table and "unmatched" in table
    assert "16 rows: 10 matched, 1 unlinked, 1 unmatched, 1 ambiguous, 3 malformed; 6 applications, 9 links" in table
    doc = json.loads(report(result, "json"))
    assert doc["summary"] == {"matched": 10, "unlinked": 1, "unmatched": 1, "ambiguous": 1, "malformed": 3,
                              "applications": 6, "links": 9}
    assert {"source", "line", "application", "process_text", "relation", "status", "process", "candidates",
            "message"} == set(doc["rows"][0])
    message = strict_failure(result)
    assert message.startswith("5 rows could not be linked (--strict): ") and f"{inventory}:6: ambiguous" in message


def test_bad_inventories_fail_with_file_and_line(tmp_path):
    headerless = tmp_path / "apps.csv"
    headerless.write_text("name,owner\nCRM,Sales\n")
    with pytest.raises(InputError, match=r"apps.csv:1: the header needs columns application and process"):
        link([headerless])
    latin = tmp_path / "latin.csv"
    latin.write_bytes("application,process\nFacturación,1.1.1.6\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin.csv: not UTF-8 text"):
        link([latin])
    with pytest.raises(InputError, match="missing.csv: no such file"):
        link([tmp_path / "missing.csv"])


# ----------------------------------------------------------------- ArchiMate input

EA_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<model xmlns="http://www.opengroup.org/xsd/archimate/3.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="ea">
  <name>Landscape from an EA tool</name>
  <elements>
    <element identifier="EAID_1" xsi:type="ApplicationComponent"><name>Siebel</name></element>
    <element identifier="EAID_2" xsi:type="ApplicationComponent"><name>Remedy</name></element>
    <element identifier="EAID_3" xsi:type="ApplicationComponent"><name>Unused</name></element>
    <element identifier="EAID_10" xsi:type="BusinessProcess"><name>1.1.1.6 Problem Handling</name></element>
    <element identifier="EAID_11" xsi:type="BusinessProcess"><name xml:lang="es">Tarificación</name></element>
    <element identifier="EAID_12" xsi:type="BusinessProcess"><name>Our own name</name>
      <properties><property propertyDefinitionRef="pd1"><value>1.1.1.6.5</value></property></properties></element>
    <element identifier="EAID_13" xsi:type="BusinessProcess"><name>Something Else</name></element>
    <element identifier="EAID_20" xsi:type="DataObject"><name>Ticket</name></element>
  </elements>
  <relationships>
    <relationship identifier="R1" source="EAID_1" target="EAID_10" xsi:type="Serving"/>
    <relationship identifier="R2" source="EAID_2" target="EAID_12" xsi:type="Realization"/>
    <relationship identifier="R3" source="EAID_11" target="EAID_1" xsi:type="Association"/>
    <relationship identifier="R4" source="EAID_2" target="EAID_13" xsi:type="Serving"/>
    <relationship identifier="R5" source="EAID_2" target="EAID_10" xsi:type="Assignment"/>
    <relationship identifier="R6" source="EAID_10" target="EAID_1" xsi:type="Serving"/>
    <relationship identifier="R7" source="EAID_2" target="EAID_20" xsi:type="Access"/>
    <relationship identifier="R8" source="EAID_10" target="EAID_12" xsi:type="Composition"/>
    <relationship identifier="R9" source="EAID_1" target="EAID_99" xsi:type="Serving"/>
  </relationships>
  <propertyDefinitions>
    <propertyDefinition identifier="pd1" type="string"><name>eTOM ID</name></propertyDefinition>
  </propertyDefinitions>
</model>
"""


def test_archimate_from_an_ea_tool(mini_ontology, tmp_path):
    path = tmp_path / "landscape.xml"
    path.write_text(EA_MODEL, encoding="utf-8")
    result = link([path], ontology=mini_ontology)
    rows = {r.line: r for r in result.rows}
    assert statuses(result) == [
        (7, "unlinked", ""),  # Unused: no relationship to a process, still an application
        (16, "matched", "ProblemHandling"),  # by the id in its name
        (17, "matched", "CreateCustomerProblemReport"),  # by its "eTOM ID" property
        (18, "matched", "Charging"),  # by its Spanish name; an Association in either direction
        (19, "unmatched", ""), (20, "malformed", ""), (21, "malformed", ""), (24, "malformed", ""),
    ]
    assert [(r.relation, r.application) for r in (rows[16], rows[17], rows[18])] == [
        ("serves", "Siebel"), ("realizes", "Remedy"), ("supports", "Siebel")]
    assert "Assignment from ApplicationComponent to BusinessProcess is not application support" in rows[20].message
    assert "Serving from BusinessProcess to ApplicationComponent" in rows[21].message
    assert "'EAID_99', which is not an element" in rows[24].message
    assert result.notes == [f"{path}: 2 relationships not between an application and a business process were not used"]
    assert set(result.applications.values()) == {"Siebel", "Remedy", "Unused"}


# ----------------------------------------------------------------- round trips through our EA exports


@pytest.fixture(scope="module")
def example_links(ontology, tmp_path_factory):
    result = link([EXAMPLES / "bss-oss-landscape.csv"], ontology=ontology)
    path = tmp_path_factory.mktemp("links") / "links.ttl"
    path.write_bytes(result.turtle())
    return result, path


def test_round_trip_through_our_archimate_export(ontology, example_links, tmp_path):
    result, links = example_links
    model = tmp_path / "model.xml"
    model.write_bytes(export("archimate", graph=ontology, links=[links]))
    back = link([model], ontology=ontology)
    assert back.problems() == []
    assert isomorphic(back.graph(), result.graph())


def test_round_trip_through_our_archi_csv_export(ontology, example_links, tmp_path):
    result, links = example_links
    for name, data in export("archi-csv", graph=ontology, links=[links], prefix="landscape-").items():
        (tmp_path / name).write_bytes(data)
    back = link([tmp_path / "landscape-elements.csv"], ontology=ontology)
    assert back.problems() == []
    assert isomorphic(back.graph(), result.graph())


# ----------------------------------------------------------------- the shipped example


def test_the_example_landscape_links_cleanly(example_links):
    result, links = example_links
    assert result.problems() == [] and 20 <= len(result.applications) <= 40
    assert links.read_bytes() == (EXAMPLES / "bss-oss-landscape.ttl").read_bytes()


def _cells(text: str) -> list:
    """Report lines with comma-separated lists sorted (GROUP_CONCAT order is not defined)."""
    return [" ".join(sorted(part.strip() for part in line.split(","))) if ", " in line else line
            for line in text.splitlines()]


def test_the_example_gap_report_is_the_expected_one(example_links, capsys):
    _, links = example_links
    assert main(["coverage", str(links)]) == 0
    out = capsys.readouterr().out
    assert _cells(out) == _cells((EXAMPLES / "bss-oss-landscape-coverage.txt").read_text(encoding="utf-8"))


def test_the_example_exports_to_a_valid_archimate_file(ontology, example_links):
    from etom_kg.archimate.model import build_model

    result, links = example_links
    data = export("archimate", graph=ontology, links=[links])  # validated against the XSD on the way
    model = build_model(ontology)
    blocks = [e for e in model.elements if e.type == "ApplicationComponent"]  # issue 12: the ODA functional blocks
    assert data.count(b'xsi:type="ApplicationComponent"') == len(result.applications) + len(blocks) == len(result.applications) + 6
    app_relationships = data.count(b'<relationship identifier="rel-serving.app-') + \
        data.count(b'<relationship identifier="rel-realization.app-')
    assert app_relationships == len(result.links) and data.count(b"<relationship ") == \
        len(model.relationships) + len(result.links)


# ----------------------------------------------------------------- CLI


def test_cli_link_writes_graph_and_report(tmp_path, capsys, inventory):
    out, rep = tmp_path / "links.ttl", tmp_path / "report.json"
    code = main(["link", str(inventory), "-o", str(out), "--report", str(rep), "--report-format", "json"])
    assert code == 0 and out.is_file()
    assert json.loads(rep.read_text())["summary"]["unmatched"] == 1


def test_cli_strict_fails_and_writes_nothing(tmp_path, capsys, inventory):
    out = tmp_path / "links.ttl"
    assert main(["link", str(inventory), "--strict", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "4 rows could not be linked (--strict)" in err and f"{inventory}:8: unmatched" in err
    assert not out.exists()


# ----------------------------------------------------------------- coverage reports, exactly, on the fixture

LINKS = """
@prefix etom: <https://w3id.org/etom-kg/ontology#> . @prefix proc: <https://w3id.org/etom-kg/process/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<urn:a:one> a etom:Application ; rdfs:label "One" ; etom:servesProcess proc:ProblemHandling .
<urn:a:two> a etom:Application ; rdfs:label "Two" ; etom:realizesProcess proc:CreateCustomerProblemReport ;
    etom:servesProcess proc:Charging .
<urn:a:three> a etom:Application ; rdfs:label "Three" ; etom:supportsProcess proc:ProblemHandling .
"""


@pytest.fixture(scope="module")
def coverage_engines(mini_graph):
    from etom_kg.reasoning import expand
    from etom_kg.store import OxigraphBackend, RdflibBackend

    g = rdflib.Graph()
    g += mini_graph
    g.parse(data=LINKS, format="turtle")
    closed = expand(g, reasoner="rules")
    store = ox.Store()
    store.load(closed.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return {"oxigraph": OxigraphBackend(store), "rdflib": RdflibBackend(closed)}


def coverage(engines, engine, name, **params):
    q = next(q for q in coverage_queries() if q.id == name)
    return run_stored(q, engines[engine], params).records()


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_coverage_summary_and_verticals(coverage_engines, engine):
    summary = coverage(coverage_engines, engine, "coverage-summary")
    assert [(r["level"], r["processes"], r["supported"], r["via_parts"], r["via_parent"], r["gaps"], r["covered_percent"])
            for r in summary] == [(0, 1, 0, 1, 0, 0, 100), (1, 5, 0, 3, 0, 2, 60), (2, 3, 2, 0, 0, 1, 67), (3, 1, 1, 0, 0, 0, 100)]
    verticals = coverage(coverage_engines, engine, "coverage-by-vertical")
    assert [(r["vertical_label"], r["processes"], r["supported"], r["gaps"]) for r in verticals] == [
        ("Assurance", 2, 2, 0), ("Billing & Revenue Management", 2, 1, 1)]


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_coverage_gaps_overlaps_and_cells(coverage_engines, engine):
    gaps = coverage(coverage_engines, engine, "coverage-gaps")
    assert [r["process"].replace(P, "") for r in gaps] == [
        "ServiceManagementAndOperations", "ResourceManagementAndOperations", "BillInquiryHandling"]
    bih = gaps[-1]
    assert (bih["id"], bih["level"], bih["horizontal"], bih["verticals"]) == (
        "1.1.1.12", 2, "Customer Relationship Management", "Billing & Revenue Management")
    assert [r["id"] for r in coverage(coverage_engines, engine, "coverage-gaps", only_level=2)] == ["1.1.1.12"]
    overlaps = coverage(coverage_engines, engine, "coverage-overlaps")
    assert [(r["id"], r["applications"], sorted(r["application_names"].split(", "))) for r in overlaps] == [
        ("1.1.1.6", 2, ["One", "Three"])]
    cells = coverage(coverage_engines, engine, "coverage-cells")
    assert [(r["vertical"], r["horizontal"], r["processes"], r["applications"], sorted(r["application_names"].split(", ")))
            for r in cells] == [
        ("Assurance", "Customer Relationship Management", 2, 3, ["One", "Three", "Two"]),
        ("Billing & Revenue Management", "Customer Relationship Management", 2, 1, ["Two"]),
    ]


def test_coverage_cli_errors_list_the_valid_reports(tmp_path, capsys):
    links = tmp_path / "links.ttl"
    links.write_text(LINKS)
    assert main(["coverage", str(links), "-q", "coverage-nope"]) == 2
    assert "unknown coverage report 'coverage-nope'; valid: coverage-summary, coverage-by-vertical" in capsys.readouterr().err
    assert main(["coverage", str(links), "-f", "json"]) == 2
    assert "needs exactly one --query" in capsys.readouterr().err
    assert main(["coverage", str(links), "-q", "coverage-gaps", "-p", "level=2"]) == 2
    assert "unknown parameter 'level' for coverage-gaps; valid: include_deprecated, only_level" in capsys.readouterr().err
    assert main(["coverage", str(links), "-q", "coverage-overlaps", "-f", "csv"]) == 0
    assert capsys.readouterr().out.startswith("process,id,label,level,applications,application_names")


def test_coverage_backend_reads_users_files_with_line_numbers(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix etom: <https://w3id.org/etom-kg/ontology#> .\n<urn:x> a etom:Application ;\n")
    with pytest.raises(InputError, match="bad.ttl"):
        coverage_backend([bad])


def test_outputs_to_devices_and_pipes_are_written_in_place(tmp_path):
    """--report /dev/stdout or a pipe must not be replaced by a regular file."""
    import os
    import stat
    import threading

    from etom_kg.store import write_atomically

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_atomically(fifo, b"report\n")
    reader.join(timeout=10)
    assert received == [b"report\n"] and stat.S_ISFIFO(fifo.stat().st_mode)
