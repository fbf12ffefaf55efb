"""`etom-kg load`: a persistent reasoned store from users' files; safe on bad input."""

import pytest

from etom_kg.cli import main

APP = """@prefix etom: <https://w3id.org/etom-kg/ontology#> .
@prefix proc: <https://w3id.org/etom-kg/process/> .
<https://example.org/app/Remedy> a etom:Application ;
    <http://www.w3.org/2000/01/rdf-schema#label> "Remedy" ;
    etom:servesProcess proc:TrackAndManageCustomerProblem .
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_load_then_query_the_store(tmp_path, capsys):
    data = tmp_path / "apps.ttl"
    data.write_text(APP)
    store = tmp_path / "store"
    code, out, _ = run(capsys, "load", str(data), "--store", str(store))
    assert code == 0 and "after reasoning" in out
    sparql = tmp_path / "q.rq"
    sparql.write_text("SELECT ?p WHERE { <https://example.org/app/Remedy> etom:contributesTo ?p } ORDER BY ?p")
    code, out, _ = run(capsys, "sparql", str(sparql), "--store", str(store), "--format", "csv")
    assert code == 0
    assert out.split("\r\n")[1:-1] == [
        "https://w3id.org/etom-kg/process/CustomerRelationshipManagement",
        "https://w3id.org/etom-kg/process/Operations",
        "https://w3id.org/etom-kg/process/ProblemHandling",
    ]
    code, out, _ = run(capsys, "query", "processes-for-topic", "-p", "topic=complaints", "--store", str(store), "-f", "csv")
    assert code == 0 and "ProblemHandling,1.1.1.6" in out
    code, out, _ = run(capsys, "info", "--store", str(store))
    assert code == 0 and f"sources: {data.resolve()}" in out and "processes per level: L0=3, L1=8, L2=42, L3=160, L4=441, L5=20" in out


def test_malformed_input_names_file_and_line_and_keeps_the_old_store(tmp_path, capsys):
    good, bad = tmp_path / "apps.ttl", tmp_path / "broken.ttl"
    good.write_text(APP)
    bad.write_text(APP + '\n<https://example.org/x> <https://example.org/p> "unterminated .\n')
    store = tmp_path / "store"
    assert run(capsys, "load", str(good), "--store", str(store))[0] == 0
    before = sorted(p.name for p in store.iterdir())
    code, _, err = run(capsys, "load", str(good), str(bad), "--store", str(store))
    assert code == 2
    assert "broken.ttl: malformed Turtle" in err and "line 7" in err
    assert sorted(p.name for p in store.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left
    code, out, _ = run(capsys, "query", "children", "-p", "process=1.1.1.6", "--store", str(store), "-f", "csv")
    assert code == 0 and out.count("\r\n") == 7


@pytest.mark.parametrize("name, message", [("data.xlsx", "unknown RDF file extension '.xlsx'"),
                                           ("missing.ttl", "missing.ttl: no such file")])
def test_unusable_input_files(tmp_path, capsys, name, message):
    path = tmp_path / name
    if name.endswith(".xlsx"):
        path.write_bytes(b"PK")
    code, _, err = run(capsys, "load", str(path), "--store", str(tmp_path / "s"))
    assert code == 2 and message in err
    assert not (tmp_path / "s").exists()


def test_refuses_to_replace_a_directory_that_is_not_a_store(tmp_path, capsys):
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "notes.txt").write_text("keep me")
    data = tmp_path / "apps.ttl"
    data.write_text(APP)
    code, _, err = run(capsys, "load", str(data), "--store", str(tmp_path / "precious"))
    assert code == 2 and "is not an etom-kg store" in err
    assert (tmp_path / "precious" / "notes.txt").read_text() == "keep me"


def test_store_option_on_a_missing_directory(tmp_path, capsys):
    code, _, err = run(capsys, "query", "processes", "--store", str(tmp_path / "nope"))
    assert code == 2 and "no such store directory" in err


def test_progress_bar_when_asked(tmp_path, capsys):
    data = tmp_path / "apps.ttl"
    data.write_text(APP)
    code, _, err = run(capsys, "load", str(data), "--store", str(tmp_path / "s"), "--progress")
    assert code == 0
    assert "parsing apps.ttl" in err and "100.0%" in err and "reasoning" in err


def test_owlrl_reasoner_option_gives_the_same_store(tmp_path, capsys):
    data = tmp_path / "apps.ttl"
    data.write_text(APP)
    assert run(capsys, "load", str(data), "--store", str(tmp_path / "fast"))[0] == 0
    assert run(capsys, "load", str(data), "--store", str(tmp_path / "ref"), "--reasoner", "owlrl")[0] == 0
    from etom_kg.api import run_stored
    from etom_kg.queries import catalog
    from etom_kg.store import open_persistent

    q = catalog().get("processes-for-topic")
    a = run_stored(q, open_persistent(tmp_path / "fast"), {"topic": "complaints"})
    b = run_stored(q, open_persistent(tmp_path / "ref"), {"topic": "complaints"})
    assert a.comparable() == b.comparable() and len(a) > 21
