"""`etom-kg export --format sssom`: the links to Open APIs, ODA blocks, SID ABEs and flows as
SSSOM/TSV, validated with the `sssom` package (a test-only dependency)."""

from __future__ import annotations

import csv
import io
import warnings

import pytest

from etom_kg.cli import main


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("sssom") / "mappings.sssom.tsv"
    assert main(["export", "--format", "sssom", "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def table(written):
    body = "".join(line for line in written.read_text(encoding="utf-8").splitlines(True) if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(body), delimiter="\t"))


def _sssom():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package's own dependencies warn on import
        from sssom.parsers import parse_sssom_table
        from sssom.validators import validate
    return parse_sssom_table, validate


def test_the_sssom_package_reads_and_validates_the_export(written):
    parse_sssom_table, validate = _sssom()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        msdf = parse_sssom_table(written)
        reports = validate(msdf, fail_on_error=False)
    assert len(msdf.df) == 919
    assert {kind.value: [str(r) for r in report.results] for kind, report in reports.items()} == {
        "JsonSchema": [], "PrefixMapCompleteness": [], "StrictCurieFormat": []}
    assert msdf.metadata["mapping_set_id"] == "https://w3id.org/etom-kg/mappings/tmf-links.sssom.tsv"


def test_stated_and_derived_rows(table):
    by = {}
    for row in table:
        by.setdefault(row["mapping_justification"], []).append(row)
    stated, derived = by["semapv:ManualMappingCuration"], by["semapv:MappingChaining"]
    assert len(stated) == 257  # 171 GB1022 + 60 GB921E + 26 GB991 rows loaded
    assert {r["mapping_source"] for r in stated} == {"etomc:GB1022", "etomc:GB921E", "etomc:GB991"}
    assert len(derived) == 662
    assert {r["predicate_id"] for r in table} == {"skos:relatedMatch"}
    ph = [r for r in derived if r["subject_id"] == "proc:ProblemHandling" and r["object_id"] == "etomc:TMF621"]
    assert len(ph) == 1 and "functional block CCM" in ph[0]["comment"]
    flow = next(r for r in stated if r["record_id"] == "etommap:gb921e/ProblemHandling--ProblemToSolutionFlow")
    assert flow["object_label"] == "Problem-to-Solution"
    assert flow["comment"].startswith("stated by GB921E v20.0.1, ontology/tmf/mappings.csv line ")


def test_export_is_deterministic_and_ignores_reasoned(written, tmp_path):
    again = tmp_path / "again.tsv"
    assert main(["export", "--format", "sssom", "--reasoned", "-o", str(again)]) == 0
    assert again.read_bytes() == written.read_bytes()
