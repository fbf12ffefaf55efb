"""Every stored query parses, has a valid header, and bad headers are rejected by name."""

import pytest

from etom_kg.errors import QueryError
from etom_kg.queries import catalog, inject_values, parse_query, uses_service
from etom_kg.results import Term

GOOD = """#+ id: demo-query
#+ form: SELECT
#+ title: Demo
#+ question:
#+   en: What?
#+   es: ¿Qué?
#+ kind: competency
#+ params:
#+   topic: {type: string, required: true, description: "a topic, with a comma"}
#+   n: {type: integer, default: 3}
#+ columns: x
SELECT ?x WHERE { ?x ?p ?topic . FILTER(?n > 0) }
"""


def test_every_stored_query_parses_and_is_self_describing():
    cat = catalog("cq")
    assert len(cat) >= 12
    for q in cat:
        assert q.question["en"].endswith("?") and "¿" in q.question["es"] and q.question["es"].endswith("?"), q.id
        assert q.columns, f"{q.id} declares its columns"
        assert q.kind == "competency"
        assert q.path == f"queries/cq/{q.id}.rq"


def test_declared_columns_match_the_projection(store):
    # The contract other tools rely on: names and order of columns.
    from etom_kg.api import run_stored

    params = {"process": "1.1.1.6", "topic": "complaints", "text": "problem", "domain": "Customer Domain",
              "vertical": "Assurance", "horizontal": "1.1.1",
              "api": "TMF622", "block": "CCM", "flow": "Order-to-Payment"}
    for q in catalog("cq"):
        needed = {p.name: params[p.name] for p in q.params if p.required}
        result = run_stored(q, store, needed)
        assert result.variables == list(q.columns), q.id


def test_contract_columns_are_exact():
    assert catalog().get("processes-for-topic").columns == ("process", "id", "label", "level")
    assert catalog().get("processes").columns == (
        "process", "id", "level", "label_en", "label_es", "parent_id", "verticals")
    topic = catalog().get("processes-for-topic").param("topic")
    assert (topic.type, topic.required) == ("string", True)


def test_good_header_is_read():
    q = parse_query(GOOD, "x.rq")
    assert q.id == "demo-query" and q.question == {"en": "What?", "es": "¿Qué?"}
    assert q.param("topic").description == "a topic, with a comma"
    assert q.param("n").default == 3
    assert q.bind({"topic": "a"}) == {"topic": "a", "n": 3}
    assert q.bind({"topic": "a", "n": "7"}) == {"topic": "a", "n": 7}


@pytest.mark.parametrize("change, message", [
    (("#+ kind: competency", "#+ kind: poem"), "kind 'poem' is not one of"),
    (("#+ title: Demo\n", ""), "header misses 'title'"),
    (("#+   es: ¿Qué?\n", ""), "question needs exactly 'en' and 'es'"),
    (("#+ columns: x", "#+ colour: x"), "unknown header key 'colour'"),
    (("{type: integer, default: 3}", "{type: float}"), "type 'float' is not one of"),
    (("{type: integer, default: 3}", "{type: integer, wat: 1}"), "unknown keys ['wat']"),
    (("#+ id: demo-query", "#+ id: Demo Query"), "must be lower-case words"),
    (("?x ?p ?topic .", "?x ?p ?o ."), "parameter 'topic' is not used"),
    (("?x ?p ?topic .", "?x ?p ?o . BIND(1 AS ?topic)"), "may not be assigned"),
    (("SELECT ?x WHERE", "SELECT ?x"), "needs an explicit WHERE"),
    (("?x ?p ?topic .", "?x ?p ?topic . SERVICE <http://e/> { ?x ?p ?o }"), "may not use SERVICE"),
    (("#+ kind: competency", "#+ kind: competency\n#+ severity: error"), "only checks have a severity"),
])
def test_bad_headers_are_rejected_with_file_name(change, message):
    old, new = change
    assert old in GOOD
    with pytest.raises(QueryError) as err:
        parse_query(GOOD.replace(old, new), "queries/cq/bad.rq")
    assert "queries/cq/bad.rq" in str(err.value)
    assert message in str(err.value)


def test_unknown_query_and_parameter_list_the_valid_ones():
    with pytest.raises(QueryError, match="unknown query 'nope'; valid: ancestors, "):
        catalog().get("nope")
    q = catalog().get("processes-for-topic")
    with pytest.raises(QueryError, match="no parameter 'topc'; valid: include_deprecated, topic|no parameter 'topc'; valid: topic, include_deprecated"):
        q.bind({"topc": "x"})
    with pytest.raises(QueryError, match="needs parameter 'topic'"):
        q.bind({})
    with pytest.raises(QueryError, match="expected true or false"):
        q.bind({"topic": "x", "include_deprecated": "maybe"})


def test_values_are_injected_as_escaped_terms_not_text():
    text = "SELECT ?x WHERE { ?x ?p ?topic }"
    evil = 'x" } ; DROP ALL ; SELECT * WHERE { "'
    out = inject_values(text, {"topic": Term.literal(evil)})
    assert out.startswith("SELECT ?x WHERE { VALUES (?topic) { (")
    assert '"x\\" } ; DROP ALL ; SELECT * WHERE { \\""' in out


def test_values_reach_every_group_that_uses_the_parameter(mini_backends):
    text = ('SELECT ?x WHERE { { SELECT ?x WHERE { ?x <urn:p> ?topic } } '
            'OPTIONAL { ?x <urn:q> ?n FILTER(?n > ?min) } FILTER(?x != ?topic) }')
    out = inject_values(text, {"topic": Term.literal("t"), "min": Term.literal("3", "http://www.w3.org/2001/XMLSchema#integer")})
    assert out.count('VALUES (?topic) { ("t") }') == 2  # the sub-query and the outer group
    assert out.count("VALUES (?min)") == 1 and "FILTER(?n > ?min)" in out
    assert out.index("VALUES (?min)") > out.index("OPTIONAL {")


def test_service_detection_ignores_comments_and_strings():
    assert uses_service("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }")
    assert not uses_service('SELECT * WHERE { ?s ?p "SERVICE" } # SERVICE here')
