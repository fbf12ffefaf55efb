"""push, then the whole query catalogue, on a real Oxigraph server started by the tests.

One server and one push per session; every stored competency query must answer on the
server exactly what the embedded store answers.
"""

from __future__ import annotations

import json

import pytest
from remote_catalogue import assert_same_answers, case_id, catalogue_cases

from etom_kg.api import run_stored
from etom_kg.cli import main
from etom_kg.push import PushReport, store_triples
from etom_kg.queries import catalog
from etom_kg.push import push
from etom_kg.remote import DEFAULT_GRAPH, RemoteBackend

pytest_plugins = ("servers",)

GRAPH = "https://example.org/graphs/etom-reasoned"


@pytest.fixture(scope="session")
def oxigraph_pushed(oxigraph_server, store) -> PushReport:
    """The reasoned graph pushed once into GRAPH (small chunks, so several requests): the very
    triples of the session's embedded store, so both sides answer from the same graph."""
    return push(RemoteBackend(oxigraph_server.query_url), store_triples(store), graph=GRAPH, chunk_size=2000)


@pytest.fixture(scope="session")
def oxigraph_remote(oxigraph_server, oxigraph_pushed) -> RemoteBackend:
    return RemoteBackend(oxigraph_server.query_url, graph=GRAPH)


def _ntriples_graph(data: bytes):
    import rdflib

    g = rdflib.Graph()
    g.parse(data=data, format="nt")
    return g


def test_push_loads_the_reasoned_graph_exactly(oxigraph_server, oxigraph_pushed, store):
    from rdflib.compare import isomorphic

    import pyoxigraph as ox

    report = oxigraph_pushed
    assert (report.triples, report.previous, report.protocol, report.swap) == (len(store), 0, "Graph Store Protocol", "PUT")
    blank = sum(1 for row in store.run("SELECT * WHERE { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }").rows)
    assert blank > 0 and report.chunks == -(-len(store) // 2000)  # pieces of the one streamed PUT: blank nodes anywhere
    remote = RemoteBackend(oxigraph_server.query_url)
    served = remote.graph_store("GET", GRAPH, what="read back").body
    local = store.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    assert isomorphic(_ntriples_graph(served), _ntriples_graph(local))  # blank nodes kept together


@pytest.mark.parametrize("case", catalogue_cases(), ids=case_id)
def test_catalogue_answers_equal_the_embedded_store(case, oxigraph_remote, store):
    assert_same_answers(case, oxigraph_remote, store)


def test_every_competency_query_is_compared():
    assert {qid for qid, _ in catalogue_cases()} == set(catalog("cq").ids())


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json"])
def test_query_command_prints_the_same_output_remotely(fmt, oxigraph_server, oxigraph_pushed, capsys):
    args = ["query", "processes-for-topic", "--param", "topic=complaints", "--format", fmt]
    assert main(args) == 0
    local = capsys.readouterr().out
    assert main([*args, "--endpoint", oxigraph_server.query_url, "--graph", GRAPH]) == 0
    remote = capsys.readouterr().out
    assert remote == local
    assert "ProblemHandling" in remote and "1.1.1.6" in remote


def test_sparql_command_declares_the_usual_prefixes(oxigraph_server, oxigraph_pushed, tmp_path, capsys):
    query = tmp_path / "count.rq"
    query.write_text("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a etom:Level3Process }\n")
    assert main(["sparql", str(query), "--format", "json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(["sparql", str(query), "--format", "json", "--endpoint", oxigraph_server.query_url, "--graph", GRAPH]) == 0
    remote = json.loads(capsys.readouterr().out)
    assert remote == local
    assert int(remote["results"]["bindings"][0]["n"]["value"]) > 0


def test_ask_and_construct_run_remotely(oxigraph_remote, store):
    ask = "ASK { proc:ProblemHandling etom:partOf ?area . ?area a etom:Level0Process }"
    from etom_kg.namespaces import PREFIXES

    assert oxigraph_remote.run(ask, None, PREFIXES).boolean is store.run(ask, None, PREFIXES).boolean is True
    construct = "CONSTRUCT { ?p etom:partOf ?q } WHERE { ?p etom:directlyPartOf ?q }"
    remote, local = oxigraph_remote.run(construct, None, PREFIXES), store.run(construct, None, PREFIXES)
    assert remote.variables == ["subject", "predicate", "object"]
    assert len(remote) > 100 and remote.comparable() == local.comparable()


def test_graph_scopes_queries_to_the_pushed_graph(oxigraph_server, oxigraph_pushed):
    # Oxigraph keeps named graphs out of its default graph: without --graph nothing is found.
    q = catalog("cq").get("process-count-by-level")
    unscoped = run_stored(q, RemoteBackend(oxigraph_server.query_url))
    scoped = run_stored(q, RemoteBackend(oxigraph_server.query_url, graph=GRAPH))
    assert len(unscoped) == 0 and len(scoped) == 6  # Levels 0 to 5


def test_parameters_are_bound_as_terms_not_spliced(oxigraph_remote, store):
    from etom_kg.results import Term

    q = catalog("cq").get("processes-for-topic")
    evil = 'complaints") } UNION { ?process ?p ?o } #'
    bound = {"topic": Term.literal(evil), "include_deprecated": Term.literal("false", "http://www.w3.org/2001/XMLSchema#boolean")}
    assert len(oxigraph_remote.run(q.text, bound)) == len(store.run(q.text, bound)) == 0
    # through the resolver the text is words, read as words: topic answers, never the UNION's triples
    assert run_stored(q, oxigraph_remote, {"topic": evil}).comparable() == run_stored(q, store, {"topic": evil}).comparable()
    answer = run_stored(q, store, {"topic": evil})
    assert answer.variables == ["process", "id", "label", "level"]
    assert all(p.startswith("https://w3id.org/etom-kg/process/") for p in answer.column("process"))


def test_bound_values_are_escaped_terms_in_both_forms():
    from etom_kg.queries import inject_values
    from etom_kg.remote import bind_parameters
    from etom_kg.results import Term

    text = "SELECT ?x WHERE { ?x ?p ?topic }"
    evil = {"topic": Term.literal('a" } DROP ALL #\n')}
    assert bind_parameters(text, evil) == inject_values(text, evil)
    assert bind_parameters(text, evil, virtuoso=True) == 'SELECT ?x WHERE { BIND("a\\" } DROP ALL #\\n" AS ?topic)  ?x ?p ?topic }'


def test_python_api_accepts_a_remote_backend(oxigraph_remote):
    from etom_kg import query

    local, remote = query("topics"), query("topics", oxigraph_remote)
    assert remote.comparable() == local.comparable() and len(remote) > 10


def test_updates_are_refused_on_the_query_path(oxigraph_server, oxigraph_pushed, tmp_path, capsys):
    update = tmp_path / "drop.rq"
    update.write_text(f"DROP GRAPH <{GRAPH}>\n")
    assert main(["sparql", str(update), "--endpoint", oxigraph_server.query_url]) == 2
    assert "only read-only queries (SELECT, ASK, CONSTRUCT, DESCRIBE)" in capsys.readouterr().err
    assert RemoteBackend(oxigraph_server.query_url).count(GRAPH) == oxigraph_pushed.triples


def test_push_command_asserted_graph_with_progress(oxigraph_server, asserted_store, capsys):
    graph = "https://example.org/graphs/etom-asserted"
    args = ["push", "--endpoint", oxigraph_server.query_url, "--graph", graph, "--asserted", "--chunk-size", "1500"]
    assert main([*args, "--progress"]) == 0
    captured = capsys.readouterr()
    total = len(asserted_store)
    assert f"pushed {total} triples to <{graph}>" in captured.out
    assert f"{total}/{total} triples" in captured.err and "[" + "#" * 30 + "]" in captured.err
    assert RemoteBackend(oxigraph_server.query_url).count(graph) == total
    assert "one all-or-nothing Graph Store PUT onto the target" in captured.out  # Oxigraph: probed, one PUT
    # Pushing again replaces, it does not add; without --progress (not a terminal) no bar.
    assert main([*args, "--swap", "move"]) == 0
    captured = capsys.readouterr()
    assert f"the graph held {total} triples before" in captured.out and captured.err == ""
    assert "swapped in with MOVE" in captured.out
    assert RemoteBackend(oxigraph_server.query_url).count(graph) == total


def test_push_default_graph_matches_the_command_default():
    from etom_kg.commands import remote as command

    assert command.DEFAULT_GRAPH == DEFAULT_GRAPH
