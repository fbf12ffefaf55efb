"""Issue 11: answer in the user's words - one term resolver, search keys in the graph,
`etom-kg ask`, suggestions, and parameters any client can bind."""

from __future__ import annotations

import json
import re
import threading

import pytest

from etom_kg.api import query
from etom_kg.ask import ask
from etom_kg.cli import main
from etom_kg.errors import QueryError
from etom_kg.queries import parse_query
from etom_kg.search import resolver_for
from etom_kg.text import american, fold, stems

TOPIC = "https://w3id.org/etom-kg/ontology#Responsibility"
PROCESS = "https://w3id.org/etom-kg/ontology#Process"


def ids(result) -> set:
    return {r["id"] for r in result.records() if r.get("id")}


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize("text, key", [
    ("  Facturación & Cobro ", "facturacion cobro"),
    ("1.1.1.6", "1.1.1.6"),
    ("Customer QoS/SLA Management", "customer qos sla management"),
    ("RECLAMACIÓN", "reclamacion"),
    ("sub-processes", "sub processes"),
])
def test_fold(text, key):
    assert fold(text) == key


def test_the_ascii_shortcut_of_fold_keys_like_the_unicode_path():
    """fold skips NFKD and mark stripping for ASCII text; every ASCII character, alone
    and in words, must give the key the full path gives."""
    import random
    import string
    import unicodedata

    def full(text: str) -> str:  # fold's general path, applied to every text
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        plain = re.sub(r"[\W_]+", " ", re.sub(r"(?<=\d)\.(?=\d)", "0DOT0", plain)).replace("0DOT0", ".")
        return " ".join(plain.split())

    rng = random.Random(7)
    samples = [chr(i) for i in range(128)] + ["".join(rng.choice(string.printable) for _ in range(rng.randint(0, 40)))
                                              for _ in range(2000)]
    samples += ["Order Handling 1.1.1.6", "QoS/SLA_Mgmt", "ß", "Ǆ"]  # and two that are not ASCII
    for text in samples:
        assert fold(text) == full(text), repr(text)


def test_british_spellings_meet_american_ones_before_stemming():
    assert american("fulfilment") == american("fulfillment")
    assert american("colour") == "color"
    assert american("organisation") == american("organization")
    assert stems("Fulfilment", "en") == stems("fulfillment", "en")


def test_stop_words_are_dropped_and_plurals_share_a_stem():
    assert stems("the complaints", "en") == stems("complaint", "en")
    assert stems("las reclamaciones", "es") == stems("reclamación", "es")


def test_the_graph_keys_come_from_the_same_fold(store):
    rows = store.run(
        "SELECT ?label ?key WHERE { proc:ProblemHandling rdfs:label ?label ; etom:searchKey ?key }",
        None, {"proc": "https://w3id.org/etom-kg/process/", "etom": "https://w3id.org/etom-kg/ontology#",
               "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}).rows
    keys = {k.value for _, k in rows}
    assert {fold(label.value) for label, _ in rows} <= keys
    assert "1.1.1.6" in keys  # ids are keys too


# --------------------------------------------------------------------------- resolver ranking


def test_tiers_rank_exact_over_synonym_over_stem_over_overlap_over_fuzzy(store):
    r = resolver_for(store, TOPIC)
    assert r.rank("complaint management")[0].tier == "exact"
    assert r.rank("reclamaciones")[0].tier == "synonym"
    assert r.rank("complaint managements")[0].tier == "stem"
    overlap = r.rank("usage")
    assert {m.tier for m in overlap} == {"overlap"}
    assert {m.label for m in overlap[:2]} <= {"usage mediation", "usage record collection", "usage reporting",
                                              "usage records", "usage record", "usage data"}
    typo = r.rank("reclamacoines")[0]
    assert typo.tier == "fuzzy" and typo.score < overlap[-1].score
    scores = [m.score for m in [r.rank("complaint management")[0], r.rank("reclamaciones")[0],
                                r.rank("complaint managements")[0], overlap[0], typo]]
    assert scores == sorted(scores, reverse=True)


def test_a_process_is_named_by_classic_id_name_spanish_name_iri_or_typo(store):
    r = resolver_for(store, PROCESS)
    for text in ("1.1.1.6", "problem handling", "Gestión de Problemas", "proc:ProblemHandling",
                 "https://w3id.org/etom-kg/process/ProblemHandling", "problem handlng"):
        assert r.rank(text)[0].iri.endswith("/ProblemHandling"), text


# --------------------------------------------------------------------------- the examples


@pytest.mark.parametrize("topic, expected", [
    ("SLA breach", "1.1.1.7"),
    ("violación de SLA", "1.1.1.7"),
    ("top-up", "1.1.1.15"),
    ("refund", "1.1.1.12"),  # a refund is an adjustment of the bill (Bill Inquiry Handling authorises it)
    ("alta de servicio", "1.1.2.2"),  # service activation
    ("parte de avería", "1.1.1.6"),
    ("usage", "1.1.3.6"),
    ("Reclamaciónes", "1.1.1.6"),
    ("complants", "1.1.1.6"),
])
def test_everyday_topics_answer(store, topic, expected):
    assert expected in ids(query("processes-for-topic", store, topic=topic))


def test_vertical_by_its_everyday_spanish_name(store):
    assert ids(query("vertical-members", store, vertical="Aseguramiento")) == ids(query("vertical-members", store, vertical="Assurance"))
    assert ids(query("vertical-members", store, vertical="Aseguramiento"))


def test_nothing_matched_says_so_with_suggestions_and_json_stays_pure(capsys):
    assert main(["query", "processes-for-topic", "-p", "topic=outsourcing"]) == 0
    out, err = capsys.readouterr()
    assert "(0 rows)" in out and "no match for topic" in err and "did you mean" in err
    assert main(["query", "processes-for-topic", "-p", "topic=qqqq zzzz", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["results"]["bindings"] == [] and "no match" in err


def test_explain_lists_the_candidates(capsys):
    assert main(["query", "processes-for-topic", "-p", "topic=usage", "--explain", "-f", "csv"]) == 0
    _, err = capsys.readouterr()
    assert "topic: 'usage' -> bound to" in err and "overlap" in err


# --------------------------------------------------------------------------- ask


@pytest.mark.parametrize("question, qid, expected", [
    ("Which processes handle complaints?", "processes-for-topic", "1.1.1.6"),
    ("¿Quién se encarga de las reclamaciones?", "processes-for-topic", "1.1.1.6"),
    ("¿Qué procesos gestionan los impagos?", "processes-for-topic", "1.1.1.11.3"),
    ("what are the sub-processes of Problem Handling", "children", "1.1.1.6.1"),
    ("subprocesos de 1.1.3.3", "children", "1.1.3.3.1"),
    ("what contains Create Customer Problem Report", "ancestors", "1.1.1.6"),
    ("processes in Aseguramiento", "vertical-members", "1.1.2.3"),
    ("where does Assurance meet CRM?", "matrix-cell", "1.1.1.6"),
    ("who supports Fulfillment", "supporters", None),
    ("who invokes Resource Management & Operations", "invokers", None),
    ("what is 1.1.2.3", "process-lookup", "1.1.2.3"),
    ("What is Problem Handling responsible for?", "responsibilities-of-process", None),
    ("which processes use the telephone channel", "processes-for-channel", None),
    ("to which verticals does Bill Inquiry Handling belong?", "verticals-of-process", None),
    ("which processes were replaced", "deprecated-processes", None),
    ("what replaced Billing & Collections Management?", "successors", "1.1.1.8"),
    ("¿qué sustituyó a 1.1.1.8?", "successors", "1.1.1.8"),
    # a stop word of the pattern said late ("... belong to") does not derail the others
    ("which verticals does Problem Handling belong to", "verticals-of-process", None),
    ("what does Resource Trouble Management contain?", "children", "1.1.3.3.2"),
    ("¿qué contiene la Gestión de Problemas?", "children", "1.1.1.6.1"),
    ("what does Problem Handling invoke", "invoked", "1.1.2.3"),
    ("¿a qué procesos invoca Gestión de Problemas?", "invoked", "1.1.2.3"),
    ("tell me about 1.1.3.3", "process-lookup", "1.1.3.3"),
    ("which processes have no applications", "unsupported-processes", None),
    ("list the verticals", "groupings", None),
    # a word of the pattern's group in words/ask-words.txt stands for it ...
    ("which processes call Service Problem Management", "invokers", "1.1.1.6"),
    ("what is Bill Inquiry Handling made of", "children", "1.1.1.12.1"),
    # ... but the pattern's own word wins ("incluye" said: the vertical includes, not "contienen")
    ("¿qué procesos incluye Facturación y Gestión de los Ingresos?", "vertical-members", "1.1.1.12"),
    # the passive says the direction: "by" is one more of the question's words explained
    ("which processes are triggered by Problem Handling", "invoked", "1.1.2.3"),
    ("what does Customer Support & Readiness support", "supported", "1.1.1.12"),
    # a pattern without slots takes its words in any order
    ("which processes are obsolete", "deprecated-processes", None),
    ("list the end-to-end flows", "flows", None),
    ("¿qué flujos extremo a extremo hay?", "flows", None),
    ("which processes can be invoked directly", "directly-invocable", None),
    ("which processes have no Open API", "link-coverage", None),
])
def test_ask_chooses_the_stored_query(store, question, qid, expected):
    answer = ask(question, store)
    assert answer.query.id == qid
    assert answer.result.rows
    if expected:
        assert expected in ids(answer.result)


def test_a_pattern_word_said_late_does_not_push_the_others_out():
    from etom_kg.ask import _align, _parts, _stems
    from etom_kg.text import stop_words

    parts = _parts("to which verticals does {process} belong")
    words = fold("which verticals does Problem Handling belong to").split()
    matched, spans, _, _ = _align(parts, words, [_stems(w) for w in words], stops=stop_words())
    assert [parts[k] for k in matched] == ["which", "verticals", "does", "belong"]
    assert spans == {"process": (3, 5)}
    # without the word between two slots, where one ends is a guess: no spans, no reading
    parts = _parts("procesos de {vertical} y {horizontal}")
    words = fold("qué proceso se encarga de la facturación al cliente").split()
    assert _align(parts, words, [_stems(w) for w in words], stops=stop_words())[1] is None
    assert ask("¿Qué proceso se encarga de la facturación al cliente?", None).query.id != "matrix-cell"


def test_ask_words_widen_only_the_patterns_words():
    from etom_kg.ask import _literal_stems, _stems
    from etom_kg.resources import package_file

    assert _stems("calls") & _literal_stems("invoke") and not _stems("calls") & _stems("invoke")
    groups = [line.split() for line in package_file("words/ask-words.txt").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    words = [w for g in groups for w in g]
    assert all(len(g) >= 2 for g in groups) and len(words) == len(set(words)), "a word in two groups merges them"
    # the list is read by the pattern side only: the slot keeps a name with a group word whole
    answer = ask("who invokes Resource Trouble Management", None)
    assert answer.query.id == "invokers" and answer.params["process"] == "resource trouble management"


def test_an_equally_likely_reading_answers_when_the_best_finds_nothing(store, capsys):
    # Assurance is a vertical and a Level-1 process with no parts: "inside" reads as both
    answer = ask("what is inside Assurance", store)
    assert answer.query.id == "vertical-members" and "1.1.2.3" in ids(answer.result)
    assert [c.query.id for c in answer.passed] == ["children"]
    assert "passed over: children" in answer.explain()
    assert answer.as_dict()["passed_over"][0]["query"] == "children"
    assert main(["ask", "what is inside Assurance", "--explain", "-f", "csv"]) == 0
    assert "passed over: children" in capsys.readouterr().err


def test_below_a_vertical_are_the_processes_it_groups(store):
    answer = ask("what processes are under assurance?", store)
    assert answer.query.id == "descendants" and answer.passed == ()
    assert ids(answer.result) == ids(query("vertical-members", store, vertical="assurance"))


def test_a_whole_question_pattern_fits_only_a_question_that_agrees_on_no(store):
    # "which processes were replaced" has every content word of "which processes were not
    # replaced"; a pattern without slots must also agree on saying no
    for question in ("which processes were not replaced", "¿qué procesos no fueron sustituidos?"):
        try:
            answer = ask(question, store)
        except QueryError:
            continue
        assert answer.query.id != "deprecated-processes"
    assert ask("which processes have no applications", store).query.id == "unsupported-processes"
    assert ask("which applications support each process", store).query.id == "process-applications"


def test_a_question_longer_than_the_limit_is_refused_at_once(store, capsys):
    import time

    from etom_kg.limits import MAX_QUESTION_WORDS

    long = " ".join(["which processes handle complaints"] * (MAX_QUESTION_WORDS // 4 + 1))
    start = time.perf_counter()
    assert main(["ask", long]) == 2
    assert f"at most {MAX_QUESTION_WORDS}" in capsys.readouterr().err
    assert time.perf_counter() - start < 5  # it took 20 s to read 800 words before the limit
    edge = " ".join((["which", "processes", "handle"] + ["complaints"] * MAX_QUESTION_WORDS)[:MAX_QUESTION_WORDS])
    assert ask(edge, store).query.id == "processes-for-topic"


def test_a_typo_guess_binds_only_a_name_that_uses_every_word(store):
    r = resolver_for(store, TOPIC)
    # "resets" is two edits from "redes": one word of two, after a guess, is not a reading
    for text in ("password resets", "cambio de tarea", "netwrok alarms", "complants handlng", "widget reclamacoines"):
        assert all(m.covers == 1.0 for m in r.rank(text, fuzzy=True) if m.tier == "fuzzy"), text
    assert any(m.tier == "fuzzy" for m in r.rank("complants handlng", fuzzy=True))


def test_a_word_no_name_uses_is_never_left_out_to_bind_the_rest(store, capsys):
    # "password" is in no name; "resets" alone is one typo from "redes" (networks). Binding
    # that answered 182 network processes; the honest answer is no match and close names.
    answer = ask("who handles password resets", store)
    assert answer.query.id == "processes-for-topic" and answer.result.rows == []
    assert main(["ask", "who handles password resets", "-f", "csv"]) == 0
    assert "no match for topic 'password resets'" in capsys.readouterr().err
    # words the names do use may still be left out around a name
    assert "capacity" in ask("who manages network capacity", store).explain()


def test_an_empty_answer_about_a_superseded_process_says_why(capsys):
    assert main(["query", "children", "-p", "process=1.1.1.1"]) == 0  # CRM Support & Readiness
    err = capsys.readouterr().err
    assert "CRM Support & Readiness, superseded within the classic framework" in err
    assert "include_deprecated=true" in err and "etom-kg query successors -p process=1.1.1.1" in err
    assert main(["query", "supported", "-p", "process=1.1.1.1"]) == 0  # no include_deprecated there
    err = capsys.readouterr().err
    assert "superseded" in err and "include_deprecated" not in err
    assert main(["query", "invokers", "-p", "process=1.1.1"]) == 0  # empty, and current
    assert "superseded" not in capsys.readouterr().err


def test_an_empty_answer_stays_when_no_reading_as_likely_finds_more(store):
    answer = ask("who invokes Customer Relationship Management", store)
    assert answer.query.id == "invokers" and answer.result.rows == [] and answer.passed == ()


def test_ask_json_is_exactly_the_chosen_querys_json(capsys):
    assert main(["ask", "who handles billing disputes?", "--format", "json", "--explain"]) == 0
    out, err = capsys.readouterr()
    assert "query: processes-for-topic" in err and "topic" in err
    assert main(["query", "processes-for-topic", "-p", "topic=billing disputes", "--format", "json"]) == 0
    assert json.loads(out) == json.loads(capsys.readouterr().out)


def test_ask_that_cannot_be_mapped_exits_2_and_lists_what_it_can_answer(capsys):
    assert main(["ask", "zzzz qqqq wwww"]) == 2
    _, err = capsys.readouterr()
    assert "cannot map" in err and "Which processes handle complaints?" in err
    with pytest.raises(QueryError):
        ask("zzzz qqqq")


def test_every_ask_pattern_names_parameters_of_its_query():
    with pytest.raises(QueryError, match="not a parameter"):
        parse_query("#+ id: x\n#+ form: SELECT\n#+ title: t\n#+ question:\n#+   en: a\n#+   es: b\n#+ ask:\n#+   en: who is {nobody}\n"
                    "#+ kind: competency\nSELECT ?a WHERE { ?a ?b ?c }", "x.rq")


def test_a_parameter_inside_a_sub_select_is_refused():
    text = ("#+ id: x\n#+ form: SELECT\n#+ title: t\n#+ question:\n#+   en: a\n#+   es: b\n#+ kind: competency\n"
            "#+ params:\n#+   p: {type: string}\n"
            "SELECT ?a WHERE { { SELECT ?a WHERE { ?a ?b ?p } } }")
    with pytest.raises(QueryError, match="sub-SELECT"):
        parse_query(text, "x.rq")


# --------------------------------------------------------------------------- any client can bind


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory, store):
    from etom_kg.serve import make_server

    site = tmp_path_factory.mktemp("words-served")
    (site / "index.html").write_text("<!DOCTYPE html><title>map</title>", encoding="utf-8")
    srv = make_server(site, store, port=0, timeout=10.0, max_rows=100_000, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.url + "sparql"
    srv.shutdown()
    srv.close()
    thread.join(10)


BOUND = [
    ("processes-for-topic", {"topic": "reclamaciones", "include_deprecated": False}),
    ("children", {"process": "1.1.1.6", "include_deprecated": False}),
    ("vertical-members", {"vertical": "aseguramiento", "include_deprecated": False}),
    ("matrix-cell", {"vertical": "assurance", "horizontal": "crm", "include_deprecated": False}),
    ("verticals-of-process", {"process": "bill inquiry handling"}),
    ("invocations", {"direct_only": True, "include_deprecated": False}),
    ("invocations", {"direct_only": False, "include_deprecated": True}),
    ("topic-index", {"include_deprecated": True}),
    ("process-lookup", {"text": "1.1.1.6", "include_deprecated": False}),
    ("processes-for-channel", {"channel": "telephone"}),
    ("successors", {"process": "1.1.1.8"}),
]


def _local(store, qid, params) -> set:
    res = query(qid, store, **params)
    return {tuple(t.value if t else None for t in row) for row in res.rows}


@pytest.mark.parametrize("qid, params", BOUND, ids=[f"{b[0]}-{i}" for i, b in enumerate(BOUND)])
def test_rdflib_sparqlstore_init_bindings_through_serve(endpoint, store, qid, params):
    import rdflib
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    from etom_kg.queries import catalog

    graph = rdflib.Graph(SPARQLStore(endpoint, returnFormat="json"))
    init = {rdflib.Variable(k): rdflib.Literal(v) for k, v in params.items()}
    rows = {tuple(str(x) if x is not None else None for x in row) for row in graph.query(catalog("cq").get(qid).text, initBindings=init)}
    assert rows and rows == _local(store, qid, params)


@pytest.mark.parametrize("qid, params", BOUND, ids=[f"{b[0]}-{i}" for i, b in enumerate(BOUND)])
def test_sparqlwrapper_values_after_the_query_through_serve(endpoint, store, qid, params):
    from SPARQLWrapper import JSON, SPARQLWrapper

    from etom_kg.api import to_term
    from etom_kg.queries import catalog

    q = catalog("cq").get(qid)
    names = sorted(params)
    values = "VALUES (" + " ".join(f"?{n}" for n in names) + ") { (" + " ".join(to_term(q.param(n), params[n]).n3() for n in names) + ") }"
    client = SPARQLWrapper(endpoint)
    client.setQuery(q.text + "\n" + values)
    client.setReturnFormat(JSON)
    data = client.query().convert()
    variables = data["head"]["vars"]
    rows = {tuple(b[v]["value"] if v in b else None for v in variables) for b in data["results"]["bindings"]}
    assert rows and rows == _local(store, qid, params)


def test_the_synonyms_module_is_in_the_assembled_ontology():
    """ontology/modules/35-synonyms.ttl is standalone Turtle, assembled into ontology/etom.ttl."""
    from pathlib import Path

    import pyoxigraph as ox

    root = Path(__file__).resolve().parents[1] / "ontology"
    module, whole = ox.Store(), ox.Store()
    module.load(path=str(root / "modules" / "35-synonyms.ttl"), format=ox.RdfFormat.TURTLE)
    whole.load(path=str(root / "etom.ttl"), format=ox.RdfFormat.TURTLE)
    assert len(module) > 0 and all(q in whole for q in module)


def test_serve_answers_plain_questions_at_ask(endpoint):
    import urllib.error
    import urllib.parse
    import urllib.request

    base = endpoint[: -len("sparql")] + "ask?q="
    with urllib.request.urlopen(base + urllib.parse.quote("who handles billing disputes?"), timeout=60) as r:
        data = json.loads(r.read())
    assert data["query"] == "processes-for-topic" and data["params"]["topic"] == "billing disputes"
    assert data["results"]["head"]["vars"] == ["process", "id", "label", "level"] and data["results"]["results"]["bindings"]
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(base + "zzzz%20qqqq", timeout=60)
    assert failed.value.code == 422 and "cannot map" in json.loads(failed.value.read())["error"]


@pytest.mark.parametrize("argv, fuzzy", [
    (["ask", "¿quién se encarga de las reclamaciones?"], False),
    (["query", "processes-for-topic", "--param", "topic=reclamaciones"], False),
    (["query", "processes-for-topic", "--param", "topic=complants handlng"], True),
])
def test_the_words_path_stays_light(tmp_path, argv, fuzzy):
    """ask and a fuzzy query import no rdflib; the edit-distance library only for unknown words."""
    import subprocess
    import sys

    code = ("import sys, io, contextlib\n"
            "from etom_kg.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main({argv!r}) == 0\n"
            "print(sorted(m for m in ('rdflib', 'owlrl', 'pyshacl', 'SPARQLWrapper', 'xmlschema', 'rapidfuzz') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={"ETOM_KG_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("['rapidfuzz']" if fuzzy else "[]")


def test_a_question_that_fits_but_names_nothing_says_so(capsys):
    assert main(["ask", "who handles outsourcing?", "--explain"]) == 0
    out, err = capsys.readouterr()
    assert "(0 rows)" in out and "query: processes-for-topic" in err and "no match for topic 'outsourcing'" in err
    # the graph has no topic "outsourcing", but definitions mention it: said, not hidden
    assert "1.1.1.10.3" in err


def test_english_and_spanish_stems_never_meet_by_accident(store):
    # Spanish "morosidad" stems to "mor", as English "more" does to "more"->"mor" in Spanish
    assert all(m.iri.rsplit("/", 1)[1] != "DebtCollection" for m in resolver_for(store, TOPIC).rank("more"))


def test_a_topic_may_be_named_by_words_of_several_synonyms(store):
    assert "1.1.3.3" in ids(query("processes-for-topic", store, topic="network alarms"))
    assert "1.1.3.3" in ids(ask("who takes care of network alarms?", store).result)


def test_question_words_are_not_topics(store):
    with pytest.raises(QueryError):
        ask("which processes handle", store)


def test_user_data_gets_search_keys_when_loaded(tmp_path, capsys):
    """Keys are made where a graph is prepared for queries, so a user's own topics and
    processes are found in their words, by `query` and by `ask`, from a loaded store."""
    mine = tmp_path / "mine.ttl"
    mine.write_text(
        "@prefix etom: <https://w3id.org/etom-kg/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix proc: <https://w3id.org/etom-kg/process/> .\n"
        "<https://example.org/FraudDetection> a etom:Responsibility ;\n"
        "    skos:prefLabel \"fraud detection\"@en , \"detección de fraude\"@es ;\n"
        "    skos:altLabel \"fraud\"@en , \"fraude\"@es .\n"
        "proc:ReportBillingEventRecords etom:handles <https://example.org/FraudDetection> .\n",
        encoding="utf-8")
    store = tmp_path / "kg"
    assert main(["load", str(mine), "--store", str(store)]) == 0
    capsys.readouterr()
    assert main(["query", "processes-for-topic", "-p", "topic=Detección de fraudes", "--store", str(store), "-f", "csv"]) == 0
    assert "1.1.1.14.4" in capsys.readouterr().out
    assert main(["ask", "¿quién se encarga del fraude?", "--store", str(store), "-f", "csv"]) == 0
    assert "1.1.1.14.4" in capsys.readouterr().out


def test_the_cached_ask_table_seeds_what_stemming_the_patterns_gives(tmp_path, monkeypatch):
    """The ask table's cache carries each pattern's words and stems; read back, they equal
    what stemming gives now, and a question is answered the same from the cache."""
    from etom_kg import ask as ask_module
    from etom_kg.text import tagged

    monkeypatch.setenv("ETOM_KG_CACHE_DIR", str(tmp_path))
    question = "¿quién se encarga de las reclamaciones de factura?"
    monkeypatch.setattr(ask_module, "_SEEDED_PARTS", {})
    monkeypatch.setattr(ask_module, "_SEEDED_STEMS", {})
    monkeypatch.setattr(ask_module, "_TABLES", {})
    first = ask(question)
    [cached] = tmp_path.glob("etom-ask-*.json")
    assert not ask_module._SEEDED_STEMS  # built, not read
    ask_module._TABLES.clear()
    table = ask_module.ask_table()  # read back
    assert table and ask_module._SEEDED_STEMS and ask_module._SEEDED_PARTS
    patterns = {p for e in table for lang, ps in e.ask.items() if lang != "weight" for p in ps}
    assert set(ask_module._SEEDED_PARTS) == patterns
    for word, seeded in ask_module._SEEDED_STEMS.items():
        assert seeded == frozenset((word, tagged(word, "en"), tagged(word, "es")))
    seeded_parts = dict(ask_module._SEEDED_PARTS)
    ask_module._SEEDED_PARTS.clear()
    for pattern, parts in seeded_parts.items():
        assert parts == ask_module._parts.__wrapped__(pattern)  # computed again, without the seed
    ask_module._SEEDED_PARTS.update(seeded_parts)
    again = ask(question)
    assert (again.query.id, again.result.rows) == (first.query.id, first.result.rows)
    cached.write_text('{"format": 2, "table": [["x"]]}', encoding="utf-8")  # damaged: rebuilt
    ask_module._TABLES.clear()
    assert ask(question).result.rows == first.result.rows
    import json

    data = json.loads(cached.read_text(encoding="utf-8"))
    data["stems"] = {w: "".join(s) for w, s in data["stems"].items()}  # strings, not lists: never seeded
    cached.write_text(json.dumps(data), encoding="utf-8")
    ask_module._TABLES.clear()
    ask_module._SEEDED_STEMS.clear()
    assert ask(question).result.rows == first.result.rows
    assert not ask_module._SEEDED_STEMS
