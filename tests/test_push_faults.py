"""Faults around remote servers: down, erroring, read-only, killed mid-push, flaky, slow.

Every server here is a real Oxigraph started by the test (own data directory). FaultProxy
sits in front of one to fail chosen requests; nothing of etom-kg is mocked.
"""

from __future__ import annotations

import logging
import re
import urllib.parse

import pytest

from etom_kg.cli import main
from etom_kg.errors import RemoteError
from etom_kg.push import _split, plan_chunks, push, store_triples
from etom_kg.remote import Credentials, RemoteBackend, derive_endpoints

pytest_plugins = ("servers",)

GRAPH = "https://example.org/graphs/etom"
SECRET = "Pa55-w0rd-never-shown-4f9c"


@pytest.fixture()
def oxigraph(tmp_path):
    from servers import OxigraphServer

    server = OxigraphServer(tmp_path / "oxigraph").start()
    yield server
    server.stop()


@pytest.fixture()
def proxy_to():
    """proxy_to(server, rule) -> a FaultProxy in front of a running server."""
    from servers import FaultProxy

    proxies = []

    def make(server, rule):
        proxies.append(FaultProxy(server.base, rule))
        return proxies[-1]

    yield make
    for p in proxies:
        p.stop()


def _dump(server, graph=GRAPH):
    import rdflib

    g = rdflib.Graph()
    g.parse(data=RemoteBackend(server.query_url).graph_store("GET", graph, what="read back").body, format="nt")
    return g


def _asserted_graph(asserted_store):
    import pyoxigraph as ox
    import rdflib

    g = rdflib.Graph()
    g.parse(data=asserted_store.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()), format="nt")
    return g


def _unused_port() -> int:
    from servers import free_port

    return free_port()


# --------------------------------------------------------------------------- server down, HTTP errors


def test_server_down_is_a_clear_remote_error(capsys):
    url = f"http://127.0.0.1:{_unused_port()}/query"
    assert main(["query", "topics", "--endpoint", url]) == 4
    err = capsys.readouterr().err
    assert f"cannot reach {url}: connection refused" in err and "is the server running?" in err
    assert main(["push", "--endpoint", url]) == 4
    err = capsys.readouterr().err
    assert "push failed before writing anything" in err and "connection refused" in err


def test_http_error_shows_the_servers_own_message(oxigraph, tmp_path, capsys):
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?x WHERE {\n  ?x etom:label }\n")
    assert main(["sparql", str(bad), "--endpoint", oxigraph.query_url]) == 4
    err = capsys.readouterr().err
    # Oxigraph's parser message, with the line number of the user's own text
    assert re.search(r"answered HTTP 400 Bad Request: error at 2:\d+: expected one of", err), err


def test_read_only_server_refuses_and_the_target_is_untouched(tmp_path, asserted_store, capsys):
    import pyoxigraph as ox
    from servers import OxigraphServer, load_into_oxigraph

    server = OxigraphServer(tmp_path / "ro", read_only=True)
    load_into_oxigraph(server.workdir, asserted_store.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()), GRAPH)
    server.start()
    try:
        assert main(["push", "--endpoint", server.query_url, "--graph", GRAPH]) == 4
        err = capsys.readouterr().err
        assert "answered HTTP 403 Forbidden" in err and "The server is read-only" in err
        assert f"Target graph <{GRAPH}> untouched ({len(asserted_store)} triples); nothing was written" in err
        assert RemoteBackend(server.query_url).count(GRAPH) == len(asserted_store)
    finally:
        server.stop()


# --------------------------------------------------------------------------- interrupted push


def _pushed_and_a_crash(oxigraph, asserted_store):
    """The asserted graph pushed to the target (checked), and an ``on_chunk`` callback that
    SIGKILLs the server once the first piece of the next upload is under way."""
    from rdflib.compare import isomorphic

    first = push(RemoteBackend(oxigraph.query_url), graph=GRAPH, reasoned=False)
    before = _dump(oxigraph)
    assert isomorphic(before, _asserted_graph(asserted_store))

    def crash_after_first_chunk(done, total):
        assert total > 2
        if done == 1:
            oxigraph.kill()  # SIGKILL while the upload is under way

    return first, before, crash_after_first_chunk


def test_push_killed_mid_upload_leaves_the_target_unchanged(oxigraph, asserted_store):
    """The temporary-graph path (--swap move): the server dies between two chunks."""
    from rdflib.compare import isomorphic

    _, before, crash_after_first_chunk = _pushed_and_a_crash(oxigraph, asserted_store)
    remote = RemoteBackend(oxigraph.query_url, retries=1, backoff=0.05)
    with pytest.raises(RemoteError) as caught:
        push(remote, graph=GRAPH, reasoned=True, chunk_size=1000, on_chunk=crash_after_first_chunk, swap="move")
    message = str(caught.value)
    assert "push failed: upload chunk 2/" in message and "connection refused" in message
    assert f"Target graph <{GRAPH}> untouched ({len(before)} triples)" in message
    temporary = re.search(r"temporary graph <(urn:etom-kg:push:[0-9a-f]+)> left behind", message).group(1)
    assert f"remove it with: DROP SILENT GRAPH <{temporary}>" in message

    oxigraph.start()  # same data directory, after a crash
    assert isomorphic(_dump(oxigraph), before)
    restarted = RemoteBackend(oxigraph.query_url)
    assert restarted.count(temporary) > 0  # exactly what the message said is on the server
    restarted.update(f"DROP SILENT GRAPH <{temporary}>", idempotent=True)
    assert restarted.count(temporary) == 0


def _graphs(server) -> set[str]:
    rows = RemoteBackend(server.query_url).run("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", scoped=False).rows
    return {row[0].value for row in rows}


def test_server_killed_mid_put_leaves_the_target_unchanged(oxigraph, asserted_store):
    """The one-PUT path (Oxigraph, probed atomic): the server dies while the body streams in."""
    from rdflib.compare import isomorphic

    first, before, crash_after_first_chunk = _pushed_and_a_crash(oxigraph, asserted_store)
    assert first.swap == "PUT"
    remote = RemoteBackend(oxigraph.query_url, retries=1, backoff=0.05)
    with pytest.raises(RemoteError) as caught:
        push(remote, graph=GRAPH, reasoned=True, chunk_size=1000, on_chunk=crash_after_first_chunk)
    message = str(caught.value)
    assert "push failed: upload the graph (one PUT): " in message
    assert (f"target graph <{GRAPH}> holds either its previous {len(before)} triples or the new" in message)

    oxigraph.start()  # same data directory, after a crash
    assert isomorphic(_dump(oxigraph), before)
    assert _graphs(oxigraph) == {GRAPH}  # no temporary or probe graph left behind


class _ClientDied(Exception):
    pass


def test_client_dying_mid_put_leaves_the_target_unchanged(oxigraph, asserted_store):
    """The pushing process stops half-way through the body: the server keeps the old graph."""
    import time

    from rdflib.compare import isomorphic

    push(RemoteBackend(oxigraph.query_url), graph=GRAPH, reasoned=False)
    before = _dump(oxigraph)

    def die(done, total):
        if done == 2:
            raise _ClientDied()

    with pytest.raises(_ClientDied):
        push(RemoteBackend(oxigraph.query_url), graph=GRAPH, reasoned=True, chunk_size=1000, on_chunk=die)
    import gc

    gc.collect()  # the abandoned connection is closed: the server sees the body break off
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not isomorphic(_dump(oxigraph), before):
        time.sleep(0.1)
    assert isomorphic(_dump(oxigraph), before) and _graphs(oxigraph) == {GRAPH}


def test_a_put_that_is_not_all_or_nothing_gets_the_temporary_graph(oxigraph, proxy_to, store):
    """A server that empties the graph before it reads a PUT's body (what Oxigraph's source
    does) fails the probe, and push falls back to the temporary graph and MOVE."""
    def clear_first(method, path, body):
        if method == "PUT" and path.startswith("/store"):
            graph = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["graph"][0]
            if graph.startswith("urn:etom-kg:push:probe:"):
                RemoteBackend(oxigraph.query_url).update(f"CLEAR SILENT GRAPH <{graph}>", idempotent=True)
        return None

    proxy = proxy_to(oxigraph, clear_first)
    report = push(RemoteBackend(f"{proxy.base}/query"), graph=GRAPH)
    assert report.swap == "MOVE" and RemoteBackend(oxigraph.query_url).count(GRAPH) == len(store)
    probes = [path for method, path, _ in proxy.seen if method == "PUT" and "probe" in path]
    assert len(probes) == 2  # the scratch triple, then the body that breaks off
    assert _graphs(oxigraph) == {GRAPH}  # probe and temporary graph dropped


def test_push_replaces_with_one_put_and_checks_the_count(oxigraph, proxy_to, store, asserted_store):
    proxy = proxy_to(oxigraph, lambda method, path, body: None)
    push(RemoteBackend(oxigraph.query_url), graph=GRAPH, reasoned=False)
    report = push(RemoteBackend(f"{proxy.base}/query"), store_triples(store), graph=GRAPH, chunk_size=2000)
    assert (report.swap, report.triples, report.previous) == ("PUT", len(store), len(asserted_store))
    target = [(m, p) for m, p, _ in proxy.seen if p.startswith("/store") and "probe" not in p]
    assert target == [("PUT", f"/store?graph={urllib.parse.quote(GRAPH, safe='')}")]  # one request, no MOVE
    sent = " ".join(urllib.parse.unquote_plus(body.decode(errors="replace")) for _, _, body in proxy.seen)
    assert "MOVE" not in sent and "urn:etom-kg:push:probe:" in sent
    assert "one all-or-nothing Graph Store PUT" in report.summary()
    assert RemoteBackend(oxigraph.query_url).count(GRAPH) == len(store) and _graphs(oxigraph) == {GRAPH}


# --------------------------------------------------------------------------- retries: idempotent calls only


def test_transient_failures_of_idempotent_calls_are_retried(oxigraph, proxy_to, store):
    failed = set()

    def once(method, path, body):
        kind = "query" if path.startswith("/query") else "upload" if method == "POST" and path.startswith("/store") else None
        if kind and kind not in failed:
            failed.add(kind)
            return ("fail", 503)
        return None

    proxy = proxy_to(oxigraph, once)
    report = push(RemoteBackend(f"{proxy.base}/query", backoff=0.01), graph=GRAPH, chunk_size=2000, swap="move")
    assert failed == {"query", "upload"} and report.triples == len(store)
    uploads = [body for method, path, body in proxy.seen if method == "POST" and path.startswith("/store")]
    assert uploads[0] == uploads[1]  # the refused chunk was sent again, unchanged
    assert RemoteBackend(oxigraph.query_url).count(GRAPH) == len(store)


def test_a_refused_put_onto_the_target_is_retried_whole(oxigraph, proxy_to, store):
    target = f"/store?graph={urllib.parse.quote(GRAPH, safe='')}"
    refused = []

    def once(method, path, body):
        if method == "PUT" and path == target and not refused:
            refused.append(body)
            return ("fail", 503)
        return None

    proxy = proxy_to(oxigraph, once)
    report = push(RemoteBackend(f"{proxy.base}/query", backoff=0.01), store_triples(store), graph=GRAPH, chunk_size=2000)
    assert report.swap == "PUT" and report.chunks > 2
    puts = [body for method, path, body in proxy.seen if method == "PUT" and path == target]
    assert len(puts) == 2 and puts[0] == puts[1] == refused[0]  # the streamed body, sent again whole
    assert RemoteBackend(oxigraph.query_url).count(GRAPH) == len(store)


def test_a_failed_swap_is_not_retried_and_the_target_is_untouched(oxigraph, proxy_to, asserted_store):
    from rdflib.compare import isomorphic

    push(RemoteBackend(oxigraph.query_url), graph=GRAPH, reasoned=False)
    before = _dump(oxigraph)
    proxy = proxy_to(oxigraph, lambda method, path, body: ("fail", 503) if b"MOVE" in body else None)
    with pytest.raises(RemoteError) as caught:
        push(RemoteBackend(f"{proxy.base}/query", backoff=0.01), graph=GRAPH, swap="move")
    message = str(caught.value)
    assert "push failed: swap in the new graph: " in message and "answered HTTP 503" in message
    assert f"Target graph <{GRAPH}> untouched ({len(asserted_store)} triples); temporary graph <urn:etom-kg:push:" in message
    assert "> dropped" in message
    assert sum(b"MOVE" in body for _, _, body in proxy.seen) == 1
    assert isomorphic(_dump(oxigraph), before)


def test_a_swap_whose_reply_is_lost_is_recognised_as_done(oxigraph, proxy_to, store):
    proxy = proxy_to(oxigraph, lambda method, path, body: ("lose", 502) if b"MOVE" in body else None)
    report = push(RemoteBackend(f"{proxy.base}/query", backoff=0.01), graph=GRAPH, swap="move")
    assert report.swap == "MOVE" and report.triples == len(store)
    assert sum(b"MOVE" in body for _, _, body in proxy.seen) == 1
    assert RemoteBackend(oxigraph.query_url).count(GRAPH) == len(store)


def test_servers_without_move_get_copy_then_drop(oxigraph, proxy_to, store):
    proxy = proxy_to(oxigraph, lambda method, path, body: ("fail", 400) if b"MOVE" in body else None)
    report = push(RemoteBackend(f"{proxy.base}/query"), graph=GRAPH, swap="move")
    assert report.swap == "COPY+DROP" and RemoteBackend(oxigraph.query_url).count(GRAPH) == len(store)
    sent = " ".join(urllib.parse.unquote_plus(body.decode()) for _, _, body in proxy.seen)
    temporary = re.search(r"COPY <(urn:etom-kg:push:[0-9a-f]+)> TO", sent).group(1)
    assert f"DROP SILENT GRAPH <{temporary}>" in sent.split("COPY")[-1]
    assert RemoteBackend(oxigraph.query_url).count(temporary) == 0


def test_timeouts_are_configurable_and_reported(oxigraph, proxy_to, capsys):
    proxy = proxy_to(oxigraph, lambda method, path, body: ("stall", 3) if path.startswith("/query") else None)
    assert main(["query", "topics", "--endpoint", f"{proxy.base}/query", "--timeout", "0.3"]) == 4
    assert f"no answer from {proxy.base}/query within 0.3 s (raise --timeout)" in capsys.readouterr().err


def test_falls_back_to_sparql_update_without_a_graph_store(oxigraph, store):
    remote = RemoteBackend(oxigraph.query_url, store_endpoint=f"{oxigraph.base}/no-graph-store-here")
    report = push(remote, graph=GRAPH, chunk_size=3000)
    blank = plan_chunks(store_triples(store), 3000)[0]
    assert (report.protocol, report.triples) == ("SPARQL Update", len(store))
    # INSERT DATA holds at most 1000 triples; blank-node structures go in pieces of about 200
    pieces = _split(blank, 200)
    assert sum(p.triples for p in pieces) == blank.triples
    assert report.chunks == len(pieces) + -(-(len(store) - blank.triples) // 1000)
    assert RemoteBackend(oxigraph.query_url).count(GRAPH) == len(store)


# --------------------------------------------------------------------------- credentials


def test_password_comes_only_from_the_named_environment_variable(monkeypatch, capsys):
    monkeypatch.delenv("ETOM_TEST_NO_SUCH_VAR", raising=False)
    args = ["push", "--endpoint", "http://127.0.0.1:9/query", "--auth", "basic", "--user", "u"]
    assert main([*args, "--password-env", "ETOM_TEST_NO_SUCH_VAR"]) == 2
    assert "the environment variable ETOM_TEST_NO_SUCH_VAR is not set" in capsys.readouterr().err
    assert main(args) == 2
    assert "--auth basic needs --user NAME and --password-env VARIABLE" in capsys.readouterr().err


def test_password_is_never_shown(oxigraph, proxy_to, monkeypatch, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ETOM_TEST_PASSWORD", SECRET)
    credentials = Credentials("basic", "someone", SECRET)
    assert SECRET not in repr(credentials) and SECRET not in repr(RemoteBackend(oxigraph.query_url, credentials=credentials))
    proxy = proxy_to(oxigraph, lambda method, path, body: ("fail", 401))
    args = ["--auth", "basic", "--user", "someone", "--password-env", "ETOM_TEST_PASSWORD"]
    assert main(["push", "--endpoint", f"{proxy.base}/query", *args]) == 4
    assert main(["query", "topics", "--endpoint", f"{proxy.base}/query", *args]) == 4
    assert main(["push", "--endpoint", f"http://someone:{SECRET}@127.0.0.1:9/query"]) == 2
    out, err = capsys.readouterr()
    assert "authentication failed" in err and "credentials in --user and --password-env" in err
    assert SECRET not in out + err + caplog.text


# --------------------------------------------------------------------------- pure functions


@pytest.mark.parametrize(
    "query_url, authenticated, expected",
    [
        ("http://h:7878/query", False, ("http://h:7878/update", "http://h:7878/store")),
        ("http://h:3030/ds/query", False, ("http://h:3030/ds/update", "http://h:3030/ds/data")),
        ("http://h:3030/ds/sparql", False, ("http://h:3030/ds/update", "http://h:3030/ds/data")),
        ("http://h:8890/sparql", True, ("http://h:8890/sparql-auth", "http://h:8890/sparql-graph-crud-auth")),
        ("https://n:8182/sparql", False, ("https://n:8182/sparql", "https://n:8182/sparql/gsp/")),
        ("http://h:7200/repositories/etom", False,
         ("http://h:7200/repositories/etom/statements", "http://h:7200/repositories/etom/rdf-graphs/service")),
        ("http://h/some/endpoint", False, ("http://h/some/endpoint", None)),
    ],
)
def test_update_and_graph_store_urls_are_derived_from_known_layouts(query_url, authenticated, expected):
    assert derive_endpoints(query_url, authenticated) == expected


def test_chunks_keep_blank_nodes_together_and_cover_every_triple_once(store):
    import pyoxigraph as ox

    triples = store_triples(store)
    chunks = plan_chunks(triples + triples[:10], 500)  # duplicates are sent once
    parsed = [list(ox.parse(chunk.data, format=ox.RdfFormat.N_TRIPLES)) for chunk in chunks]
    assert [c.triples for c in chunks] == [len(p) for p in parsed]
    assert sum(len(p) for p in parsed) == len(set(triples)) == len(store)
    blank = [any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in p) for p in parsed]
    assert blank[0] and not any(blank[1:]) and chunks[0].blank_nodes and not any(c.blank_nodes for c in chunks[1:])
    assert all(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in parsed[0])
    assert all(c.triples == 500 for c in chunks[1:-1]) and 0 < chunks[-1].triples <= 500


def test_blank_node_pieces_keep_every_structure_whole():
    """Triples that share a blank node, directly or through another one, travel together."""
    import pyoxigraph as ox


    ex = "https://example.org/"
    triples = []
    for i in range(60):  # 60 three-node lists: a -> _:l1 -> _:l2, each with its own label
        a, l1, l2 = ox.NamedNode(f"{ex}s{i}"), ox.BlankNode(f"l{i}a"), ox.BlankNode(f"l{i}b")
        triples += [ox.Triple(a, ox.NamedNode(ex + "p"), l1), ox.Triple(l1, ox.NamedNode(ex + "rest"), l2),
                    ox.Triple(l2, ox.NamedNode(ex + "first"), ox.Literal(str(i)))]
    blank = plan_chunks(triples, 5000)[0]
    assert blank.blank_nodes and blank.triples == 180
    pieces = _split(blank, 50)
    assert len(pieces) > 3 and sum(p.triples for p in pieces) == 180
    seen = {}
    for n, piece in enumerate(pieces):
        assert piece.blank_nodes and piece.triples <= 50
        for label in set(piece.data.decode().replace("\n", " ").split()):
            if label.startswith("_:"):
                assert seen.setdefault(label, n) == n, label
