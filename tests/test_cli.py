"""The etom-kg command, in-process: answers, formats, errors and exit codes."""

import json

import pytest

from etom_kg import __version__
from etom_kg.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_complaints_in_english_and_spanish_give_the_same_processes(capsys):
    code, en, _ = run(capsys, "query", "processes-for-topic", "--param", "topic=complaints", "--format", "csv")
    assert code == 0
    code, es, _ = run(capsys, "query", "processes-for-topic", "-p", "topic=reclamaciones", "-f", "csv")
    assert code == 0 and en == es
    lines = en.splitlines()
    assert lines[0] == "process,id,label,level"
    assert "https://w3id.org/etom-kg/process/ProblemHandling,1.1.1.6,Problem Handling,2" in lines
    assert "https://w3id.org/etom-kg/process/CustomerRelationshipManagement,1.1.1,Customer Relationship Management,1" in lines


def test_table_output_is_readable(capsys):
    code, out, _ = run(capsys, "query", "processes-for-topic", "--param", "topic=quejas")
    assert code == 0
    assert out.splitlines()[0].split() == ["process", "id", "label", "level"]
    assert "proc:BillInquiryHandling" in out and "1.1.1.12" in out
    rows = [l for l in out.splitlines()[2:] if l.startswith("proc:")]
    assert out.rstrip().endswith(f"({len(rows)} rows)") and len(rows) > 20


def test_json_is_sparql_results_json(capsys):
    code, out, _ = run(capsys, "query", "children", "--param", "process=1.1.1.6", "--format", "json")
    doc = json.loads(out)
    assert doc["head"]["vars"] == ["child", "id", "label", "level"]
    first = doc["results"]["bindings"][0]
    assert first["id"] == {"type": "literal", "value": "1.1.1.6.1"}
    assert first["level"] == {"type": "literal", "value": "3", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
    assert len(doc["results"]["bindings"]) == 6


def test_tsv_uses_rdf_term_syntax(capsys):
    code, out, _ = run(capsys, "query", "ancestors", "--param", "process=1.1.1.6.5", "--format", "tsv")
    lines = out.splitlines()
    assert lines[0] == "?ancestor\t?id\t?label\t?level"
    assert lines[1].startswith('<https://w3id.org/etom-kg/process/ProblemHandling>\t"1.1.1.6"')


@pytest.mark.parametrize("argv, code, message", [
    (["query", "nope"], 2, "unknown query 'nope'; valid: ancestors,"),
    (["query", "processes-for-topic"], 2, "needs parameter 'topic'"),
    (["query", "processes-for-topic", "--param", "topc=x"], 2, "has no parameter 'topc'; valid:"),
    (["query", "processes-for-topic", "--param", "topic"], 2, "--param expects NAME=VALUE"),
    (["query", "processes-for-topic", "--param", "topic=x", "--param", "include_deprecated=perhaps"], 2, "expected true or false"),
    (["query", "children", "--param", "process=1.1.1.6", "--format", "xls"], 2, "invalid choice: 'xls' (choose from"),
    (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
])
def test_errors_are_one_line_with_valid_choices(capsys, argv, code, message):
    if argv[0] == "frobnicate" or "--format" in argv and argv[-1] == "xls":
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == code
        err = capsys.readouterr().err
    else:
        got, _, err = run(capsys, *argv)
        assert got == code
    assert message in err
    assert len(err.strip().splitlines()) == 1, err


def test_queries_lists_the_catalogue(capsys):
    code, out, _ = run(capsys, "queries")
    assert code == 0
    assert "processes-for-topic  topic=string" in out
    assert "¿Qué procesos gestionan las reclamaciones?" in out
    code, out, _ = run(capsys, "queries", "--format", "json")
    ids = [q["id"] for q in json.loads(out)]
    assert "processes" in ids and ids == sorted(ids)
    topic = next(q for q in json.loads(out) if q["id"] == "processes-for-topic")["params"][0]
    assert topic["name"] == "topic" and topic["description"] and topic["description_es"]  # both languages


def test_sparql_from_file_and_stdin(capsys, tmp_path, monkeypatch):
    q = tmp_path / "q.rq"
    q.write_text("SELECT ?id WHERE { proc:ProblemHandling etom:classicId ?id }")
    code, out, _ = run(capsys, "sparql", str(q), "--format", "csv")
    assert (code, out) == (0, "id\r\n1.1.1.6\r\n")
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("ASK { proc:ProblemHandling etom:partOf proc:Operations }"))
    code, out, _ = run(capsys, "sparql", "-")
    assert (code, out) == (0, "true\n")
    q.write_text("CONSTRUCT { ?p etom:classicId ?id } WHERE { ?p etom:classicId ?id FILTER(?id = '1.1.1.6') }")
    code, out, _ = run(capsys, "sparql", str(q))
    assert out == '<https://w3id.org/etom-kg/process/ProblemHandling> <https://w3id.org/etom-kg/ontology#classicId> "1.1.1.6" .\n'


@pytest.mark.parametrize("backend", ["oxigraph", "rdflib"])
def test_select_star_columns_follow_the_query(tmp_path, backend):
    """Both engines sort the columns of SELECT * by name; the answer keeps the query's order."""
    from etom_kg.api import sparql

    text = "SELECT * WHERE { ?zone etom:classicId ?id . ?zone etom:directlyPartOf ?above } ORDER BY ?id LIMIT 3"
    if backend == "rdflib":
        from etom_kg.graph import load_graph
        from etom_kg.store import RdflibBackend

        result = sparql(text, backend=RdflibBackend(load_graph()))
    else:
        result = sparql(text)
    assert result.variables == ["zone", "id", "above"] and len(result.rows) == 3


def test_sparql_is_read_only_and_offline(capsys, tmp_path):
    q = tmp_path / "u.rq"
    q.write_text("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    code, _, err = run(capsys, "sparql", str(q))
    assert code == 2 and "only read-only queries" in err and "INSERT" in err
    q.write_text("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    code, _, err = run(capsys, "sparql", str(q))
    assert code == 2 and "SERVICE" in err and "--allow-service" in err
    code, _, err = run(capsys, "sparql", str(tmp_path / "missing.rq"))
    assert code == 2 and "missing.rq: cannot read" in err


def test_export_turtle_writes_atomically(capsys, tmp_path):
    out = tmp_path / "etom.ttl"
    code, _, _ = run(capsys, "export", "--format", "turtle", "-o", str(out))
    assert code == 0
    import rdflib

    g = rdflib.Graph().parse(out)
    assert len(g) > 4000
    code, _, _ = run(capsys, "export", "--format", "turtle", "--reasoned", "-o", str(out))
    assert len(rdflib.Graph().parse(out)) > len(g)
    assert [p.name for p in tmp_path.iterdir()] == ["etom.ttl"]  # no temporary left behind


def test_info(capsys):
    code, out, _ = run(capsys, "info")
    assert code == 0
    assert f"etom-kg {__version__}" in out
    assert "processes per level: L0=3, L1=8, L2=42, L3=160, L4=441, L5=20" in out


def test_output_file_option(capsys, tmp_path):
    target = tmp_path / "sub" / "answer.csv"
    code, out, _ = run(capsys, "query", "processes-for-topic", "-p", "topic=rating", "-f", "csv", "-o", str(target))
    assert code == 0 and out == ""
    assert target.read_bytes().startswith(b"process,id,label,level\r\n")


def test_debug_shows_the_traceback(capsys):
    from etom_kg.errors import QueryError

    with pytest.raises(QueryError):
        main(["--debug", "query", "nope"])


def test_query_path_never_imports_rdflib_or_owlrl(tmp_path):
    """The architecture behind the latency target: answers come from oxigraph alone."""
    import subprocess
    import sys

    code = ("import sys, io, contextlib\n"
            "from etom_kg.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['query', 'processes-for-topic', '--param', 'topic=complaints']) == 0\n"
            "heavy = sorted(m for m in ('rdflib', 'owlrl', 'pyshacl', 'SPARQLWrapper', 'xmlschema') if m in sys.modules)\n"
            "print(heavy)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={"ETOM_KG_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("argv", [["query", "processes-for-topic", "--param", "topic=complaints"],
                                  ["ask", "¿quién se encarga de las reclamaciones de factura?"]], ids=["query", "ask"])
def test_a_warm_query_path_stays_off_the_slow_imports(tmp_path, argv):
    """Once the reasoned graph and the name tables are cached, a query or a question imports
    none of the standard modules that cost a cold query 2-10 ms each (bench/README.md, cold
    query)."""
    import subprocess
    import sys

    code = ("import sys, io, contextlib\n"
            "from etom_kg.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main({argv!r}) == 0\n"
            "print(sorted(m for m in ('pathlib', 'typing', 'hashlib', 'tempfile', 'shutil', 'importlib.resources')"
            " if m in sys.modules))\n")
    env = {"ETOM_KG_CACHE_DIR": str(tmp_path / "cache")}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr  # fills the caches (and may import anything)
    assert len(list((tmp_path / "cache").glob("*-names-*.json"))) == 1
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout.strip() == "[]"


def test_validate_format_choices_match_the_library():
    from etom_kg.cli import build_parser
    from etom_kg.validation import REPORT_FORMATS

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    fmt = next(a for a in sub.choices["validate"]._actions if a.dest == "format")
    assert tuple(fmt.choices) == REPORT_FORMATS


# ---- the head start of `query` and `ask` (etom_kg.cli._start_reading) and the program's exit


def _started_after(monkeypatch, argv):
    """Run main(argv); say whether the head start opened the embedded graph."""
    import etom_kg.cli as cli

    real, seen = cli._start_reading, []

    def spy(words):
        real(words)
        seen.append(bool(cli._STARTED))

    monkeypatch.setattr(cli, "_start_reading", spy)
    code = main(argv)
    assert cli._STARTED == []  # the command took it (or there was none)
    return code, seen == [True]


@pytest.mark.parametrize("argv,started", [
    (["query", "processes-for-topic", "--param", "topic=complaints", "--format", "csv"], True),
    (["ask", "¿quién se encarga de las reclamaciones de factura?", "--format", "csv"], True),
    (["query", "--format", "csv", "processes-for-topic", "--param", "topic=complaints"], False),  # an option first
    (["query", "processes-for-topic", "--param", "topic=complaints", "--format", "csv", "--backend", "rdflib"], False),
    (["queries"], False),
])
def test_the_head_start_is_taken_only_for_the_embedded_graph(monkeypatch, capsys, argv, started):
    code, opened = _started_after(monkeypatch, argv)
    assert code == 0
    assert opened == started
    if argv[0] != "queries":
        assert capsys.readouterr().out.startswith("process,")


def test_a_head_start_that_fails_leaves_the_command_to_report(monkeypatch, capsys):
    """Whatever goes wrong while guessing is the command's to meet: never a traceback."""
    import etom_kg.queries as queries

    class Broken:
        def get(self, name):
            raise PermissionError(13, "Permission denied", "queries/cq")

    real = queries.catalog
    monkeypatch.setattr(queries, "catalog", lambda folder="cq": Broken())
    assert main(["query", "processes-for-topic", "--param", "topic=complaints"]) == 2
    assert "Permission denied" in capsys.readouterr().err
    monkeypatch.setattr(queries, "catalog", real)
    assert main(["query", "nope"]) == 2  # an unknown name: the usual message, with the valid ones
    assert "valid: " in capsys.readouterr().err


@pytest.mark.parametrize("argv,code,out", [
    (["query", "processes-for-topic", "--param", "topic=complaints", "--format", "csv"], 0, "process,id,label,level"),
    (["query", "nope"], 2, ""),
    (["info"], 0, "etom-kg "),
])
def test_the_program_flushes_and_exits_with_the_commands_code(tmp_path, argv, code, out):
    """``etom-kg`` (cli.console) ends lean commands with os._exit once the output is flushed:
    the whole output arrives, through a pipe too, with the command's exit code."""
    import subprocess
    import sys

    env = dict(__import__("os").environ, ETOM_KG_CACHE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "etom_kg", *argv], capture_output=True, text=True, env=env)
    assert done.returncode == code, done.stderr
    assert done.stdout.startswith(out)
    if code == 0 and argv[0] == "query":
        assert done.stdout.count("\n") > 10
        piped = subprocess.run([sys.executable, "-m", "etom_kg", *argv], capture_output=True, env=env).stdout
        subprocess.run([sys.executable, "-m", "etom_kg", *argv, "-o", str(tmp_path / "out.csv")], check=True, env=env)
        assert (tmp_path / "out.csv").read_bytes() == piped  # the same bytes, written whole either way


@pytest.mark.skipif(not __import__("os").path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["query", "processes-for-topic", "--param", "topic=complaints"],  # > the buffer
                                  ["query", "process-count-by-level"]], ids=["long", "short"])  # flushed at the end
def test_a_full_disk_under_standard_output_is_reported(tmp_path, argv):
    """The quick exit flushes first: output that cannot be written is an error (exit 2),
    never a silent success, whether it fails while written or when flushed at the end."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, ETOM_KG_CACHE_DIR=str(tmp_path))
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "etom_kg", *argv],
                              stdout=full, stderr=subprocess.PIPE, text=True, env=env)
    assert done.returncode == 2
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr


def test_the_quick_exit_reports_output_that_fails_when_flushed(monkeypatch, capsys):
    """cli.console flushes standard output before os._exit: a flush that fails is an error
    message and exit 2; a reader that went away (broken pipe) is not an error."""
    import io
    import os

    import etom_kg.cli as cli

    class Failing(io.StringIO):
        def __init__(self, error):
            super().__init__()
            self.error = error

        def flush(self):
            raise self.error

    exits = []
    monkeypatch.setattr(os, "_exit", lambda code: exits.append(code))
    monkeypatch.setattr(cli, "main", lambda argv: 0)
    import gc

    try:
        for error, code in ((OSError(28, "No space left on device"), 2), (BrokenPipeError(32, "Broken pipe"), 0)):
            monkeypatch.setattr("sys.argv", ["etom-kg", "queries"])
            monkeypatch.setattr("sys.stdout", Failing(error))
            cli.console()
            assert exits.pop() == code
            assert not gc.isenabled()  # a lean command: the collector was off
    finally:
        gc.enable()  # console() is a process's entry point; this test runs inside pytest
    assert "cannot write the output: No space left on device" in capsys.readouterr().err
