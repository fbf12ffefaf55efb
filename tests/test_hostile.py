"""Issue 13: every bad or hostile input gets a one-line message and a documented exit code.

The small inputs are files in tests/hostile/; large ones are generated here, bounded.
Inputs that used to kill the process (segfault, memory exhaustion) run in a subprocess
with a memory cap and a timeout, so a regression fails the test instead of the run.
"""

from __future__ import annotations

import csv
import io
import os
import resource
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from etom_kg.cli import main

HOSTILE = Path(__file__).parent / "hostile"
MEMORY_CAP = 2 << 30  # bytes of address space for a subprocess run of a hostile input


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_capped(tmp_path, *argv, stdin: bytes | None = None, timeout: float = 60):
    """etom-kg in a subprocess with a memory cap: a crash shows as its signal, not ours."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    env = {**os.environ, "ETOM_KG_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "etom_kg", *argv], input=stdin, capture_output=True,
                          timeout=timeout, cwd=tmp_path, env=env, preexec_fn=limit)


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("etom-kg: error: "), err
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------- D3: RDF inputs


@pytest.mark.parametrize("command", [("load", "--store", "kg"), ("validate",), ("coverage",)])
def test_billion_laughs_is_refused_quickly_by_every_reader(tmp_path, command):
    started = time.monotonic()
    done = run_capped(tmp_path, command[0], str(HOSTILE / "billion-laughs.rdf"), *command[1:])
    assert done.returncode == 2, done.stderr
    assert "billion-laughs.rdf" in one_line_error(done.stderr.decode()) and "entities expand" in done.stderr.decode()
    assert time.monotonic() - started < 30


def test_external_entities_are_refused(tmp_path):
    done = run_capped(tmp_path, "validate", str(HOSTILE / "external-entity.rdf"))
    assert done.returncode == 2
    assert "external entity &secret;" in one_line_error(done.stderr.decode())


def test_plain_entities_as_protege_writes_them_are_accepted(tmp_path, capsys):
    code, out, err = run(capsys, "load", str(HOSTILE / "protege-entities.rdf"), "--store", str(tmp_path / "kg"))
    assert code == 0, err
    from etom_kg.graph import load_graph

    g = load_graph(HOSTILE / "protege-entities.rdf", include_ontology=False)
    assert len(g) == 2


@pytest.mark.parametrize("shape", ["objects", "arrays"])
def test_deeply_nested_json_ld_is_refused_not_a_crash(tmp_path, shape):
    n = 20_000
    body = '{"urn:p":' * n + "{}" + "}" * n if shape == "objects" else "[" * n + "]" * n
    path = tmp_path / "deep.jsonld"
    path.write_text('{"@id": "urn:a", "urn:p": ' + body + "}")
    done = run_capped(tmp_path, "load", str(path), "--store", "kg")
    assert done.returncode == 2, (done.returncode, done.stderr[-300:])
    assert "deep.jsonld: refused: JSON nested" in one_line_error(done.stderr.decode())


def test_deeply_nested_rdf_xml_is_refused(tmp_path, capsys):
    n = 5_000
    path = tmp_path / "deep.rdf"
    path.write_text('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="urn:e#">'
                    + '<rdf:Description rdf:about="urn:a"><e:p>' * n + "</e:p></rdf:Description>" * n + "</rdf:RDF>")
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2 and "deep.rdf:1: refused: elements nested more than" in one_line_error(err)


@pytest.mark.parametrize("name", ["empty.rdf", "empty.jsonld"])
def test_an_empty_xml_or_json_ld_file_is_not_a_silent_empty_graph(capsys, tmp_path, name):
    code, _, err = run(capsys, "load", str(HOSTILE / name), "--store", str(tmp_path / "kg"))
    assert code == 2 and f"{name}: empty file (0 bytes)" in one_line_error(err)


# --------------------------------------------------------------------------- D4: SPARQL


@pytest.mark.parametrize("text", [
    "SELECT * WHERE " + "{" * 5000 + "?s ?p ?o" + "}" * 5000,
    "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 20000 + "1" + ")" * 20000 + ") }",
    "SELECT * WHERE { " + " ".join(f"?s <urn:p> ?o{i} ." for i in range(100_000)) + " }",
], ids=["braces", "parentheses", "triple-patterns"])
def test_deep_or_huge_sparql_is_refused_before_parsing(tmp_path, text):
    done = run_capped(tmp_path, "sparql", "-", stdin=text.encode())
    assert done.returncode == 2, (done.returncode, done.stderr[-300:])
    assert "the query" in one_line_error(done.stderr.decode())
    code = ("import etom_kg, sys\n"
            "try:\n    etom_kg.sparql(sys.stdin.read())\n"
            "except etom_kg.QueryError as e:\n    print('refused', e)\n")
    api = subprocess.run([sys.executable, "-c", code], input=text.encode(), capture_output=True, timeout=60,
                         env={**os.environ, "ETOM_KG_CACHE_DIR": str(tmp_path / "cache")})
    assert api.returncode == 0 and api.stdout.startswith(b"refused"), api.stderr[-300:]


# --------------------------------------------------------------------------- D5, M8: validate


def test_validate_accepts_a_blank_node_subject(capsys):
    code, out, err = run(capsys, "validate", str(HOSTILE / "bnode-subject.ttl"))
    assert code in (0, 1) and "Traceback" not in err and "internal error" not in err
    assert "the graph" in out


def test_validate_from_the_api_takes_one_path_as_one_file():
    from etom_kg.validation import validate

    report = validate(str(HOSTILE / "bnode-subject.ttl"))
    assert report.sources[-1].endswith("bnode-subject.ttl") and len(report.sources) == 2


def test_an_unexpected_exception_is_an_internal_error_not_errors_found(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise AttributeError("'NoneType' object has no attribute 'value'")

    monkeypatch.setattr("etom_kg.validation.validate", broken)
    code, _, err = run(capsys, "validate")
    assert code == 70 and "internal error (AttributeError" in one_line_error(err)


# --------------------------------------------------------------------------- D7: outputs and odd inputs


def test_output_to_a_directory_or_empty_name_is_an_input_error(capsys, tmp_path):
    code, _, err = run(capsys, "query", "groupings", "-o", str(tmp_path))
    assert code == 2 and "is a directory" in one_line_error(err)
    code, _, err = run(capsys, "query", "groupings", "-o", "")
    assert code == 2 and "empty output path" in one_line_error(err)
    code, _, err = run(capsys, "export", "-o", "")
    assert code == 2 and "empty output path" in one_line_error(err)


def test_read_only_destination_is_an_input_error(capsys, tmp_path, monkeypatch):
    import errno

    def refused(*args, **kwargs):  # what a read-only folder does (tests run as root, which may write anyway)
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refused)
    code, _, err = run(capsys, "query", "groupings", "-o", str(tmp_path / "x.txt"))
    assert code == 2 and "x.txt: cannot write: permission denied" in one_line_error(err)


def test_a_write_error_names_the_file(capsys, tmp_path, monkeypatch):
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("os.fsync", full)
    code, _, err = run(capsys, "query", "groupings", "-o", str(tmp_path / "out.txt"))
    assert code == 2 and "out.txt: cannot write: no space left on the device" in one_line_error(err)
    assert not list(tmp_path.iterdir()), "no temporary file is left behind"


def test_non_utf8_query_file_names_the_line(capsys):
    code, _, err = run(capsys, "sparql", str(HOSTILE / "not-utf8.rq"))
    assert code == 2 and "not-utf8.rq:1: not UTF-8" in one_line_error(err)


def test_non_utf8_parameter_is_a_query_error(capsys):
    code, _, err = run(capsys, "query", "children", "-p", "process=caf\udce9")
    assert code == 2 and "--param process: the value is not valid UTF-8" in one_line_error(err)


def test_csv_field_over_the_csv_limit_names_file_and_line(capsys, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("application,process\n" + '"' + "x" * (200 * 1024) + '",1.1.1.6\n')
    code, _, err = run(capsys, "link", str(path))
    assert code == 2 and "big.csv:2: malformed CSV" in one_line_error(err)


def test_a_literal_over_16_mib_is_handled(capsys, tmp_path):
    path = tmp_path / "long.nt"
    path.write_text('<urn:a> <http://www.w3.org/2000/01/rdf-schema#comment> "' + "x" * (17 << 20) + '" .\n')
    for argv in (("export", "--with-links", str(path), "-f", "nt", "-o", str(tmp_path / "out.nt")),
                 ("load", str(path), "--store", str(tmp_path / "kg"))):
        code, _, err = run(capsys, *argv)
        assert code == 2 and "long.nt: a single literal or IRI is longer than 16 MiB" in one_line_error(err)


def test_corrupt_store_metadata_is_an_input_error(capsys, tmp_path):
    store = tmp_path / "kg"
    store.mkdir()
    (store / "etom-kg-store.json").write_text("{not json")
    code, _, err = run(capsys, "info", "--store", str(store))
    assert code == 2 and "damaged store metadata" in one_line_error(err)


def test_archimate_folders_nested_50000_deep_are_refused(capsys, tmp_path):
    n = 50_000
    path = tmp_path / "deep.xml"
    path.write_text('<?xml version="1.0"?><model xmlns="http://www.opengroup.org/xsd/archimate/3.0/" identifier="m">'
                    "<organizations>" + "<item>" * n + "</item>" * n + "</organizations></model>")
    code, _, err = run(capsys, "link", str(path))
    assert code == 2 and "deep.xml:1: refused: elements nested more than 256 deep" in one_line_error(err)


@pytest.mark.parametrize("argv", [
    ("push", "--endpoint", "http://127.0.0.1:9/query", "--timeout", "inf"),
    ("serve", "--timeout", "inf"),
    ("serve", "--timeout", "nan"),
    ("sparql", "-", "--timeout", "0"),
    ("query", "groupings", "--timeout", "-1"),
])
def test_timeouts_must_be_finite_and_positive(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    assert exit_.value.code == 2
    assert "expected a number of seconds" in capsys.readouterr().err


# --------------------------------------------------------------------------- D8: CSV formulas


def test_formula_cells_are_neutralised_in_every_csv(capsys, tmp_path):
    links = tmp_path / "links.ttl"
    code, _, err = run(capsys, "link", str(HOSTILE / "formula-apps.csv"), "-o", str(links))
    assert code == 0, err
    code, _, err = run(capsys, "export", "-f", "archi-csv", "--with-links", str(links), "-o", str(tmp_path / "archi"))
    assert code == 0, err
    code, _, err = run(capsys, "export", "-f", "sparx-csv", "--with-links", str(links), "-o", str(tmp_path / "sparx.csv"))
    assert code == 0, err
    code, _, err = run(capsys, "coverage", str(links), "-q", "coverage-overlaps", "-f", "csv", "-o", str(tmp_path / "cov.csv"))
    assert code == 0, err
    files = [*sorted((tmp_path / "archi").glob("*.csv")), tmp_path / "sparx.csv", tmp_path / "cov.csv"]
    seen = 0
    for path in files:
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")):
            for cell in row:
                assert not cell.lstrip(" ").startswith(("=", "+", "@", "\t", "\r")), (path.name, cell)
                assert not (cell.startswith("-") and not cell[1:].replace(".", "").isdigit()), (path.name, cell)
                seen += cell.startswith("'")
    assert seen >= 5
    # the numeric-looking "-2+3" is a formula, not a number, so it is neutralised too
    assert "'-2+3" in (tmp_path / "archi" / "elements.csv").read_text(encoding="utf-8")


def test_neutralised_names_read_back_as_they_were(capsys, tmp_path):
    from etom_kg.archimate import archi_csv

    links = tmp_path / "links.ttl"
    run(capsys, "link", str(HOSTILE / "formula-apps.csv"), "-o", str(links))
    run(capsys, "export", "-f", "archi-csv", "--with-links", str(links), "-o", str(tmp_path / "archi"))
    names = {e.names[0].value for e in archi_csv.read(tmp_path / "archi" / "elements.csv").elements
             if e.type == "ApplicationComponent"}
    assert "+cmd|calc" in names and "@SUM(A1)" in names


# --------------------------------------------------------------------------- D9, D10, D1: parameters and IRIs


def test_a_parameter_given_twice_with_spaces_is_refused(capsys):
    code, _, err = run(capsys, "query", "processes-for-topic", "-p", "topic=billing", "-p", " topic=complaints")
    assert code == 2 and "--param topic given twice" in one_line_error(err)


@pytest.mark.parametrize("base", ["urn:x y:", "urn:x<y>:", "http://ex.org/a|b/", 'urn:"q":'])
def test_link_base_must_be_an_iri(capsys, tmp_path, base):
    code, _, err = run(capsys, "link", str(HOSTILE / "unicode-apps.csv"), "--base", base, "-o", str(tmp_path / "l.ttl"))
    assert code == 2 and "is not an absolute IRI" in one_line_error(err)
    assert not (tmp_path / "l.ttl").exists()


def test_link_gives_distinct_names_distinct_iris(capsys, tmp_path):
    import rdflib

    out = tmp_path / "l.ttl"
    code, _, err = run(capsys, "link", str(HOSTILE / "unicode-apps.csv"), "--strict", "-o", str(out))
    assert code == 0, err
    g = rdflib.Graph().parse(out)
    apps = {str(s): str(o) for s, o in g.subject_objects(rdflib.RDFS.label)}
    assert sorted(apps.values()) == sorted(["计费系统", "Биллинг", "C Billing", "C++ Billing"])
    code, _, err = run(capsys, "validate", str(out))
    assert code == 0, err


def test_application_iris_are_stable_and_readable():
    from etom_kg.linking import application_iri

    assert application_iri("CRM Suite") == "urn:etom-kg:app:crm-suite"
    assert application_iri("Multi\nline") == "urn:etom-kg:app:multi-line"
    assert application_iri("计费系统") == "urn:etom-kg:app:计费系统"
    assert application_iri("C++ Billing") != application_iri("C Billing") == "urn:etom-kg:app:c-billing"
    assert application_iri("C++ Billing") == application_iri("C++ Billing")
    assert application_iri("???").startswith("urn:etom-kg:app:application-")


def test_names_that_still_meet_are_reported_and_strict_fails(capsys, tmp_path):
    path = tmp_path / "apps.csv"
    path.write_text("application,process\nCRM Suite,1.1.1.6\ncrm suite,1.1.1.6\n")
    code, out, _ = run(capsys, "link", str(path))
    assert code == 0 and "names 'CRM Suite' and 'crm suite' give the same IRI" in out
    code, _, err = run(capsys, "link", str(path), "--strict")
    assert code == 2 and "same IRI" in one_line_error(err)


# --------------------------------------------------------------------------- M1: local time and row limits


def test_local_sparql_has_a_time_limit(capsys):
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
    started = time.monotonic()
    sys_stdin = sys.stdin
    try:
        sys.stdin = io.StringIO(slow)
        code, _, err = run(capsys, "sparql", "-", "--timeout", "1")
    finally:
        sys.stdin = sys_stdin
    assert code == 2 and "did not finish within 1 s" in one_line_error(err)
    assert time.monotonic() - started < 10


def test_local_sparql_has_a_row_limit(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT * WHERE { ?s ?p ?o }"))
    code, _, err = run(capsys, "sparql", "-", "--max-rows", "10")
    assert code == 2 and "more than 10 rows" in one_line_error(err)


def test_ctrl_c_stops_a_running_aggregate(tmp_path):
    import signal

    query = tmp_path / "slow.rq"
    query.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }")
    env = {**os.environ, "ETOM_KG_CACHE_DIR": str(tmp_path / "cache")}
    with subprocess.Popen([sys.executable, "-m", "etom_kg", "sparql", str(query)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=env) as proc:
        cache = tmp_path / "cache"
        deadline = time.monotonic() + 120
        while not list(cache.glob("etom-reasoned-*.nt")) and time.monotonic() < deadline:
            time.sleep(0.1)  # the graph is ready (cached) just before the query starts
        time.sleep(2)  # well inside the evaluation, which takes minutes
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=10)
        finally:
            proc.kill()
        err = proc.stderr.read()
    assert code == 130 and b"interrupted" in err


# --------------------------------------------------------------------------- M6: read-only check


def test_every_keyword_is_checked_not_only_the_first(capsys):
    code, _, err = run(capsys, "sparql", str(HOSTILE / "update-after-select.rq"), "--endpoint", "http://127.0.0.1:9/sparql")
    assert code == 2 and "update keyword DROP" in one_line_error(err)


def test_variables_and_names_that_look_like_update_words_are_fine():
    from etom_kg.queries import read_only_form

    assert read_only_form("SELECT ?add ?move WHERE { ?add ex:drop ?load . ?x <urn:copy> 'DELETE' }") == "SELECT"


# --------------------------------------------------------------------------- M3, M4: files


def test_output_files_respect_umask_and_keep_their_mode(capsys, tmp_path):
    old = os.umask(0o022)
    try:
        new = tmp_path / "new.txt"
        run(capsys, "query", "groupings", "-o", str(new))
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        kept = tmp_path / "kept.txt"
        kept.write_text("old")
        kept.chmod(0o640)
        run(capsys, "query", "groupings", "-o", str(kept))
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() != "old"
    finally:
        os.umask(old)


def test_a_symlink_given_as_output_is_followed(capsys, tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    code, _, _ = run(capsys, "query", "groupings", "-o", str(link))
    assert code == 0 and link.is_symlink() and "grouping" in target.read_text()


def test_leftovers_of_a_killed_writer_are_removed_on_the_next_run(capsys, tmp_path):
    dead = _dead_pid()
    out = tmp_path / "out.txt"
    stale = [tmp_path / f".out.txt.{dead}.abc123.tmp", tmp_path / f".kg.loading-{dead}.nq",
             tmp_path / f".kg.loading-{dead}.nq.spilled.3"]
    for p in stale:
        p.write_text("partial")
    (tmp_path / f".kg.loading-{dead}").mkdir()
    alive = tmp_path / f".out.txt.{os.getpid()}.zzz.tmp"
    alive.write_text("someone else's, still writing")
    run(capsys, "query", "groupings", "-o", str(out))
    code, _, err = run(capsys, "load", str(HOSTILE / "bnode-subject.ttl"), "--store", str(tmp_path / "kg"))
    assert code == 0, err
    assert not any(p.exists() for p in stale) and not (tmp_path / f".kg.loading-{dead}").exists()
    assert alive.exists()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_replacing_a_store_leaves_no_moment_without_it(capsys, tmp_path):
    """A reader polling the store's folder never finds it missing while it is replaced."""
    import threading

    store = tmp_path / "kg"
    assert run(capsys, "load", str(HOSTILE / "bnode-subject.ttl"), "--store", str(store))[0] == 0
    missing, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            if not (store / "etom-kg-store.json").exists():
                missing.append(time.monotonic())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(3):
            assert run(capsys, "load", str(HOSTILE / "bnode-subject.ttl"), "--store", str(store))[0] == 0
    finally:
        stop.set()
        watcher.join()
    assert not missing
    assert [p.name for p in tmp_path.iterdir()] == ["kg"]
