"""Archi CSV (elements, relations, properties) and Sparx EA CSV: exact headers, quoting,
encoding, identifiers, order, the CLI, and reading our own files back."""

import csv
import io
import re

import pytest

from etom_kg.archimate import archi_csv
from etom_kg.archimate.model import Text, build_model
from etom_kg.cli import main
from etom_kg.errors import InputError
from etom_kg.exporters import export

ID = re.compile(r"^[A-Za-z0-9._-]+$")
FIELD = r'"(?:[^"]|"")*"'


def rows(data: bytes) -> list:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def comparable(model):
    """Concepts with their texts as sets: CSV has one name column plus name:<lang> properties."""
    def concept(c):
        return (c.id, c.type, frozenset(t.value for t in c.names), frozenset(t.value for t in c.documentation),
                frozenset(c.properties), getattr(c, "source", None), getattr(c, "target", None))
    return sorted(map(concept, model.elements)), sorted(map(concept, model.relationships))


@pytest.fixture(scope="module")
def files(ontology):
    return export("archi-csv", graph=ontology)


def test_three_files_with_archis_exact_headers(files):
    assert sorted(files) == ["elements.csv", "properties.csv", "relations.csv"]
    assert files["elements.csv"].startswith(b'"ID","Type","Name","Documentation","Specialization"\r\n')
    assert files["relations.csv"].startswith(b'"ID","Type","Name","Documentation","Source","Target","Specialization"\r\n')
    assert files["properties.csv"].startswith(b'"ID","Key","Value"\r\n')


def test_every_field_is_quoted_and_every_record_complete(files):
    for name, data in files.items():
        text = data.decode("utf-8")
        records = rows(data)
        width = len(records[0])
        assert all(len(r) == width for r in records), name
        # every record, re-joined, is a run of quoted fields: nothing left bare
        record = re.compile(rf"{FIELD}(?:,{FIELD})*\r\n", re.S)
        pos = 0
        while pos < len(text):
            m = record.match(text, pos)
            assert m, f"{name}: unquoted field near {text[pos:pos + 60]!r}"
            pos = m.end()


def test_ids_types_and_order(files, ontology):
    elements, relations, properties = (rows(files[f]) for f in ("elements.csv", "relations.csv", "properties.csv"))
    assert elements[1][:2] == ["etom-kg-operations", "ArchimateModel"]
    ids = [r[0] for r in elements[1:] + relations[1:]]
    assert all(ID.match(i) for i in ids) and len(ids) == len(set(ids))
    assert {r[1] for r in elements[2:]} == {"BusinessProcess", "ApplicationComponent", "ApplicationInterface", "DataObject"}
    assert {r[1] for r in relations[1:]} == {"CompositionRelationship", "AggregationRelationship",
                                             "ServingRelationship", "TriggeringRelationship", "AccessRelationship"}
    assert ["api-TMF621", "TM Forum id", "TMF621"] in properties  # issue 12
    known = set(ids)
    assert all(r[4] in known and r[5] in known for r in relations[1:])
    assert all(r[0] in known for r in properties[1:])
    assert ["etom-kg-operations", "Language", "en"] in properties
    assert ["etom-ProblemHandling", "name:es", "Gestión de Problemas"] in properties
    assert ["etom-ProblemHandling", "eTOM classic id", "1.1.1.6"] in properties
    assert export("archi-csv", graph=ontology) == files  # deterministic


def test_prefix_and_bom(mini_graph):
    out = export("archi-csv", graph=mini_graph, prefix="etom-", bom=True)
    assert sorted(out) == ["etom-elements.csv", "etom-properties.csv", "etom-relations.csv"]
    assert all(data.startswith("\ufeff".encode("utf-8") + b'"ID"') for data in out.values())
    with pytest.raises(InputError, match="prefix"):
        export("archi-csv", graph=mini_graph, prefix="bad/prefix")


def test_reading_our_csv_back_gives_the_same_model(files, ontology, tmp_path):
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    back = archi_csv.read(tmp_path)
    model = build_model(ontology)
    assert comparable(back) == comparable(model)
    ph = next(e for e in back.elements if e.id == "etom-ProblemHandling")
    assert ph.names == (Text("en", "Problem Handling"), Text("es", "Gestión de Problemas"))
    assert back.id == model.id and back.names == model.names


def test_reader_reports_file_and_line(tmp_path):
    (tmp_path / "x-elements.csv").write_text('"ID","Type","Name"\n"a","BusinessProcess","A"\n')
    with pytest.raises(InputError, match=r"x-elements.csv:1: header \['ID', 'Type', 'Name'\] is not Archi's"):
        archi_csv.read(tmp_path / "x-elements.csv")
    (tmp_path / "y-elements.csv").write_text(
        '"ID","Type","Name","Documentation","Specialization"\n"a","BusinessProcess","A","two\nlines",""\n"b","BusinessProcess"\n')
    with pytest.raises(InputError, match=r"y-elements.csv:4: 2 fields, the header has 5"):
        archi_csv.read(tmp_path / "y-relations.csv")


def test_cli_writes_a_directory_and_refuses_stdout(tmp_path, capsys):
    target = tmp_path / "archi"
    assert main(["export", "--format", "archi-csv", "-o", str(target), "--prefix", "etom-"]) == 0
    assert sorted(p.name for p in target.iterdir()) == ["etom-elements.csv", "etom-properties.csv", "etom-relations.csv"]
    assert main(["export", "--format", "archi-csv"]) == 2
    assert "writes several files: give a directory with -o DIR" in capsys.readouterr().err
    assert main(["export", "--format", "turtle", "--prefix", "x", "-o", str(tmp_path / "x.ttl")]) == 2
    assert "option 'prefix' does not apply to format 'turtle'" in capsys.readouterr().err


# ----------------------------------------------------------------- Sparx EA


def test_sparx_csv_has_hierarchy_columns_last(ontology):
    data = export("sparx-csv", graph=ontology)
    records = rows(data)
    assert records[0] == ["Name", "Type", "Stereotype", "Alias", "Notes", "CSV_KEY", "CSV_PARENT_KEY"]
    body = records[1:]
    assert len(body) == len([e for e in build_model(ontology).elements if e.type == "BusinessProcess"])  # no TM Forum elements
    seen = set()
    for name, base, stereotype, alias, _notes, key, parent in body:
        assert parent == "" or parent in seen, f"{name}: parent {parent} not written before it"
        seen.add(key)
        assert (base, stereotype) == ("Activity", "ArchiMate3::ArchiMate_BusinessProcess")
    by_key = {r[5]: r for r in body}
    assert by_key["etom-ProblemHandling"][3] == "1.1.1.6"
    assert by_key["etom-ProblemHandling"][6] == "etom-CustomerRelationshipManagement"
    assert by_key["etom-Operations"][6] == ""
    assert re.match(rb'^"Name","Type"', data) and data.count(b"\r\n") == len(records)
