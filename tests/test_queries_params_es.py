"""Parameter descriptions in both languages: the ``description_es`` key of a stored query's
parameter header, and every packaged query's parameters described in Spanish too."""

import pytest

from etom_kg.errors import QueryError
from etom_kg.queries import catalog, parse_query
from etom_kg.resources import query_root

HEADER = """#+ id: demo-query
#+ form: SELECT
#+ title: Demo
#+ question:
#+   en: What?
#+   es: ¿Qué?
#+ kind: competency
#+ params:
#+   topic: {type: string, required: true, description: "a topic, with a comma", description_es: "un tema, con una coma"}
#+   n: {type: integer, default: 3, description: "a number"}
#+ columns: x
SELECT ?x WHERE { ?x ?p ?topic . FILTER(?n > 0) }
"""


def test_a_spanish_description_is_read_beside_the_english_one():
    q = parse_query(HEADER, "x.rq")
    topic = q.param("topic")
    assert (topic.description, topic.description_es) == ("a topic, with a comma", "un tema, con una coma")
    assert (topic.type, topic.required) == ("string", True)  # the other keys are unchanged
    assert q.param("n").description_es is None  # optional: none given, none made up


@pytest.mark.parametrize("old, new, message", [
    ('description_es: "un tema, con una coma"', 'description_fr: "un sujet"', "unknown keys ['description_fr']"),
    ('description_es: "un tema, con una coma"', 'description_es: ""', "description_es must be a non-empty quoted text"),
    ('description_es: "un tema, con una coma"', 'description_es: "   "', "description_es must be a non-empty quoted text"),
    ('description_es: "un tema, con una coma"', "description_es: true", "description_es must be a non-empty quoted text"),
    ('description_es: "un tema, con una coma"', "description_es: 7", "description_es must be a non-empty quoted text"),
    ('description: "a topic, with a comma", ', "", "description_es translates description, which is missing"),
    ('description_es: "un tema, con una coma"', 'description_es: "uno", description_es: "dos"', "given twice"),
])
def test_bad_spanish_descriptions_are_refused_by_file_name(old, new, message):
    assert old in HEADER
    with pytest.raises(QueryError) as err:
        parse_query(HEADER.replace(old, new), "queries/cq/bad.rq")
    assert "queries/cq/bad.rq" in str(err.value) and message in str(err.value)


def test_every_parameter_of_every_stored_query_is_described_in_spanish():
    folders = sorted(node.name for node in query_root().iterdir() if node.is_dir())
    assert {"cq", "checks", "reports"} <= set(folders)
    described = 0
    for folder in folders:
        for q in catalog(folder):
            for p in q.params:
                where = f"{q.path}: parameter {p.name!r}"
                assert p.description.strip(), f"{where} has no English description"
                assert p.description_es and p.description_es.strip(), f"{where} has no Spanish description (description_es)"
                assert p.description_es != p.description, f"{where}: description_es repeats the English text"
                described += 1
    assert described >= 50  # the catalogue's parameters were all read, not an empty walk
