"""``etom-kg validate``: exit codes, the three report formats, and users' files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from etom_kg.cli import main

ACME = "https://example.org/acme/process/"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["validate", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def user_report(data_dir):
    """The "done when" case of issue 3, through the library (the CLI tests reuse the file)."""
    from etom_kg.validation import validate

    return validate([data_dir / "user-level3-problems.ttl"])


# ----------------------------------------------------------------- the shipped graph (CI gate)


def test_shipped_graph_validates_clean(capsys):
    code, out, _ = run(capsys)
    assert code == 0, out
    assert out.rstrip().splitlines()[-1].startswith("0 errors, ")
    assert out.rstrip().endswith("the graph conforms")


# ----------------------------------------------------------------- the "done when" case


def test_user_file_with_three_problems_exits_1_and_names_all_three(capsys, data_dir):
    code, out, _ = run(capsys, data_dir / "user-level3-problems.ttl", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["conforms"] is False
    errors = {(r["rule"], r["focus"]) for r in report["results"] if r["severity"] == "error"}
    # 1. the Level-3 process without a Spanish label
    assert ("missing-label-violation", ACME + "ValidateCustomerIdentity") in errors
    assert ("etomsh:SpanishPrefLabel", ACME + "ValidateCustomerIdentity") in errors
    # 2. the part-of cycle, both of its processes
    assert ("part-of-cycle-violation", ACME + "ReviewOrderRisk") in errors
    assert ("part-of-cycle-violation", ACME + "AssessOrderRisk") in errors
    assert ("etomsh:NoOwnAncestor", ACME + "ReviewOrderRisk") in errors
    # 3. the duplicate English label, with the eTOM process it collides with
    messages = {r["message"] for r in report["results"]}
    assert f'<{ACME}CreditCheck> has the same label "Authorize Credit"@en as proc:AuthorizeCredit' in messages
    assert f"<{ACME}ValidateCustomerIdentity> has no Spanish label (rdfs:label or skos:prefLabel tagged @es)" in messages


def test_table_report_names_the_problems_one_per_line(capsys, data_dir):
    code, out, _ = run(capsys, data_dir / "user-level3-problems.ttl")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("validated embedded eTOM graph + ") and "user-level3-problems.ttl" in lines[0]
    assert any(ln.startswith("error") and "check missing-label-violation" in ln and "ValidateCustomerIdentity> has no Spanish label" in ln for ln in lines)
    assert any(ln.startswith("error") and "check part-of-cycle-violation" in ln and "ReviewOrderRisk> is part of itself" in ln for ln in lines)
    assert any(ln.startswith("error") and "check duplicate-label-violation" in ln and '"Authorize Credit"@en as proc:AuthorizeCredit' in ln for ln in lines)
    assert "does not conform" in lines[-1]


def test_turtle_report_is_a_shacl_validation_report_matching_the_json(capsys, data_dir, user_report):
    import rdflib
    from rdflib.compare import isomorphic
    from rdflib.namespace import RDF, SH

    code, out, _ = run(capsys, data_dir / "user-level3-problems.ttl", "--format", "turtle")
    assert code == 1
    g = rdflib.Graph().parse(data=out, format="turtle")
    (report,) = g.subjects(RDF.type, SH.ValidationReport)
    assert g.value(report, SH.conforms) == rdflib.Literal(False)
    results = list(g.objects(report, SH.result))
    assert len(results) == len(user_report.findings)
    for r in results:
        for p in (SH.focusNode, SH.resultSeverity, SH.sourceShape, SH.sourceConstraintComponent, SH.resultMessage):
            assert g.value(r, p) is not None, p
    assert isomorphic(g, user_report.to_graph())
    focus = {str(g.value(r, SH.focusNode)) for r in results if g.value(r, SH.resultSeverity) == SH.Violation}
    assert {ACME + "ValidateCustomerIdentity", ACME + "ReviewOrderRisk", ACME + "CreditCheck"} <= focus


def test_report_output_is_deterministic(user_report):
    from etom_kg.validation import validate

    again = validate([p for p in user_report.sources[1:]])
    for fmt in ("table", "json", "turtle"):
        assert again.render(fmt) == user_report.render(fmt)


def test_output_file_gets_the_report_and_stderr_the_summary(capsys, data_dir, tmp_path):
    target = tmp_path / "reports" / "report.json"
    code, out, err = run(capsys, data_dir / "user-level3-problems.ttl", "-f", "json", "--output", target)
    assert code == 1 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["errors"] > 0
    assert "does not conform" in err and str(target) in err
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]  # no temporary file left


# ----------------------------------------------------------------- input formats


def test_json_ld_input_is_validated(capsys, tmp_path):
    doc = {
        "@context": {"etom": "https://w3id.org/etom-kg/ontology#", "proc": "https://w3id.org/etom-kg/process/",
                     "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "skos": "http://www.w3.org/2004/02/skos/core#"},
        "@id": "https://example.org/jsonld/Step",
        "@type": "etom:Level3Process",
        "etom:directlyPartOf": {"@id": "proc:ProblemHandling"},
        "rdfs:label": {"@value": "Json Step", "@language": "en"},
        "skos:prefLabel": {"@value": "Json Step", "@language": "en"},
    }
    path = tmp_path / "extension.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, _ = run(capsys, path, "-f", "json")
    assert code == 1
    rules = {r["rule"] for r in json.loads(out)["results"] if r["focus"] == "https://example.org/jsonld/Step"}
    assert rules == {"missing-label-violation", "etomsh:SpanishPrefLabel"}


def test_named_graphs_of_trig_input_are_validated_too(capsys, tmp_path):
    path = tmp_path / "extension.trig"
    path.write_text(
        "@prefix etom: <https://w3id.org/etom-kg/ontology#> .\n"
        "@prefix proc: <https://w3id.org/etom-kg/process/> .\n"
        "<https://example.org/graph> {\n"
        "  <https://example.org/trig/Loop> a etom:Process ; etom:directlyPartOf <https://example.org/trig/Loop> .\n"
        "}\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, path, "-f", "json")
    assert code == 1
    rules = {r["rule"] for r in json.loads(out)["results"] if r["focus"] == "https://example.org/trig/Loop"}
    assert {"part-of-cycle-violation", "etomsh:NoOwnAncestor"} <= rules


# ----------------------------------------------------------------- errors and exit codes


def test_malformed_file_exits_2_naming_file_and_line(capsys, tmp_path):
    path = tmp_path / "broken.ttl"
    path.write_text('@prefix ex: <https://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e "unterminated .\n', encoding="utf-8")
    code, out, err = run(capsys, path)
    assert code == 2 and out == ""
    assert str(path) in err and "line 3" in err


def test_missing_file_and_unknown_extension_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "absent.ttl")
    assert code == 2 and "absent.ttl: no such file" in err
    other = tmp_path / "notes.txt"
    other.write_text("hello", encoding="utf-8")
    code, _, err = run(capsys, other)
    assert code == 2 and "unknown RDF file extension '.txt'" in err and ".ttl" in err


def test_unknown_format_exits_2_listing_the_valid_ones(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--format", "xml"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "'table', 'json', 'turtle'" in err


def test_unsupported_owl_construct_exits_3(capsys, tmp_path):
    # owl:FunctionalProperty and the rest of OWL 2 RL are reasoned now (issue 15); a
    # construct outside OWL 2 RL is what the reasoner still refuses.
    path = tmp_path / "has-self.ttl"
    path.write_text("<https://example.org/R> <http://www.w3.org/2002/07/owl#onProperty> <https://example.org/p> ; "
                    "<http://www.w3.org/2002/07/owl#hasSelf> true .\n", encoding="utf-8")
    code, out, err = run(capsys, path)
    assert code == 3 and out == "" and "owl:hasSelf" in err


def test_warnings_alone_do_not_fail():
    from dataclasses import replace

    from etom_kg.results import Term
    from etom_kg.validation import Finding, ValidationReport

    warning = Finding("warning", "check", "missing-inverse-violation", Term.uri("https://example.org/p"), "p has no inverse")
    report = ValidationReport((warning,), ("embedded eTOM graph",), ("missing-inverse-violation",), (), 1)
    assert report.conforms and report.exit_code == 0
    assert json.loads(report.to_json())["warnings"] == 1
    error = replace(warning, severity="error")
    assert ValidationReport((warning, error), (), (), (), 1).exit_code == 1


def test_other_commands_do_not_import_pyshacl_or_rdflib():
    code = (
        "import sys; from etom_kg.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('pyshacl', 'rdflib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
