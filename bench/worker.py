"""One measurement in a fresh process; prints JSON {"seconds": ..., "rss_mb": ..., ...}.

Usage: worker.py materialize-rules FILE | materialize-reasonable FILE.ttl | materialize-owlrl FILE
       worker.py dump-closure FILE OUT.nt | bulk-load FILE.nt | load-parts FILE STORE | push STORE ENDPOINT
       worker.py compare-reasonable FILE.ttl
"""

import json
import resource
import sys
import time


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def compare_with_reasonable(ttl: str) -> dict:
    """What each reasoner derives that the other does not, grouped by predicate (by class
    for rdf:type). Triples with blank nodes are counted apart (their labels differ)."""
    import collections

    import pyoxigraph as ox
    import reasonable

    from etom_kg.resources import ontology_file
    from etom_kg.rules import materialize
    from etom_kg.store import load_embedded

    store = ox.Store()
    load_embedded(store)
    store.bulk_load(path=ttl, format=ox.RdfFormat.N_TRIPLES)
    asserted = {str(q.triple) for q in store}
    materialize(store)
    ours = {str(q.triple) for q in store if not _blank(q.subject, q.object)}
    ours_blank = sum(1 for q in store if _blank(q.subject, q.object))
    reasoner = reasonable.PyReasoner()
    reasoner.load_file(str(ontology_file()))
    reasoner.load_file(ttl)
    theirs, theirs_blank = set(), 0
    for s, p, o in reasoner.reason():
        if type(s).__name__ == "BNode" or type(o).__name__ == "BNode":
            theirs_blank += 1
        else:
            theirs.add(f"{s.n3()} {p.n3()} {_plain(o.n3())}")
    ours = {_plain(t) for t in ours}
    asserted = {_plain(t) for t in asserted}

    def by_kind(triples) -> dict:
        kinds = collections.Counter()
        for t in triples:
            _, p, o = t.split(" ", 2)
            kinds[f"a {o}" if p.endswith("#type>") else p] += 1
        return dict(kinds.most_common(12))

    return {"asserted": len(asserted), "ours": len(ours), "reasonable": len(theirs),
            "ours_blank_node_triples": ours_blank, "reasonable_blank_node_triples": theirs_blank,
            "only_ours": len(ours - theirs), "only_reasonable": len(theirs - ours),
            "only_ours_by_kind": by_kind(ours - theirs), "only_reasonable_by_kind": by_kind(theirs - ours)}


def _blank(*terms) -> bool:
    return any(type(t).__name__ == "BlankNode" for t in terms)


def _plain(triple: str) -> str:
    """RDF 1.1: "x" and "x"^^xsd:string are the same literal; reasonable writes the second."""
    return triple.replace("^^<http://www.w3.org/2001/XMLSchema#string>", "")


def main() -> None:
    task, arg = sys.argv[1], sys.argv[2]
    if task == "materialize-rules":
        import pyoxigraph as ox

        from etom_kg.rules import materialize
        from etom_kg.store import load_embedded

        start = time.perf_counter()
        store = ox.Store()
        load_embedded(store)
        store.bulk_load(path=arg, format=ox.RdfFormat.N_TRIPLES)
        parse = time.perf_counter() - start
        n_input = len(store)  # not timed: len() scans the store
        start = time.perf_counter()
        materialize(store)
        reason = time.perf_counter() - start
        out = {"seconds": parse + reason, "parse": parse, "reason": reason, "input": n_input, "output": len(store)}
    elif task == "materialize-reasonable":
        import reasonable

        from etom_kg.resources import ontology_file

        # reasonable parses Turtle (N-Triples is Turtle) by file name; the caller passes a .ttl copy.
        start = time.perf_counter()
        reasoner = reasonable.PyReasoner()
        reasoner.load_file(str(ontology_file()))
        reasoner.load_file(arg)
        parse = time.perf_counter() - start
        triples = reasoner.reason()
        end = time.perf_counter()
        out = {"seconds": end - start, "parse": parse, "reason": end - start - parse,
               "input": len(reasoner.get_base_triples()), "output": len(triples)}
    elif task == "dump-closure":  # not a measurement: the closure the store floor loads
        import os

        import pyoxigraph as ox

        from etom_kg.rules import materialize
        from etom_kg.store import load_embedded

        store = ox.Store()
        load_embedded(store)
        store.bulk_load(path=arg, format=ox.RdfFormat.N_TRIPLES)
        materialize(store)
        partial = sys.argv[3] + ".part"
        store.dump(partial, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        os.replace(partial, sys.argv[3])
        out = {"triples": len(store)}
    elif task == "bulk-load":  # the store floor: building the finished closure's store, no reasoning
        import pyoxigraph as ox

        start = time.perf_counter()
        store = ox.Store()
        store.bulk_load(path=arg, format=ox.RdfFormat.N_TRIPLES)
        out = {"seconds": time.perf_counter() - start, "triples": len(store)}  # len() not timed
    elif task == "load-parts":  # what `etom-kg load` is made of, each timed on its own
        import shutil

        import pyoxigraph as ox

        from etom_kg.rules import materialize
        from etom_kg.store import load_embedded

        target, dump = sys.argv[3], sys.argv[3] + ".nt"
        start = time.perf_counter()
        store = ox.Store()
        load_embedded(store)
        store.bulk_load(path=arg, format=ox.RdfFormat.N_TRIPLES)
        parsed = time.perf_counter()
        materialize(store)
        reasoned = time.perf_counter()
        store.dump(dump, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())  # not counted
        del store
        shutil.rmtree(target, ignore_errors=True)
        loaded_at = time.perf_counter()
        disk = ox.Store(target)
        disk.bulk_load(path=dump, format=ox.RdfFormat.N_TRIPLES)
        disk.flush()
        end = time.perf_counter()
        out = {"parse": parsed - start, "reason": reasoned - parsed, "bulk_load": end - loaded_at,
               "seconds": (parsed - start) + (reasoned - parsed) + (end - loaded_at)}
    elif task == "push":  # arg: STORE_DIR ENDPOINT
        from etom_kg.push import push, store_triples
        from etom_kg.remote import RemoteBackend
        from etom_kg.store import open_persistent

        store_dir, endpoint = arg, sys.argv[3]
        start = time.perf_counter()
        remote = RemoteBackend(endpoint, timeout=3600)
        report = push(remote, store_triples(open_persistent(store_dir)), graph="urn:bench:push")
        out = {"seconds": time.perf_counter() - start, "triples": report.triples, "chunks": report.chunks, "swap": report.swap}
    elif task == "compare-reasonable":
        out = compare_with_reasonable(arg)
    elif task == "materialize-owlrl":
        import rdflib

        from etom_kg.graph import load_ontology
        from etom_kg.reasoning import expand

        start = time.perf_counter()
        graph = load_ontology()
        graph.parse(arg, format="nt")
        loaded = time.perf_counter()
        closed = expand(graph, reasoner="owlrl")
        end = time.perf_counter()
        out = {"seconds": end - start, "parse": loaded - start, "reason": end - loaded,
               "input": len(graph), "output": len(closed)}
        del rdflib
    else:
        raise SystemExit(f"unknown task {task}")
    out["rss_mb"] = rss_mb()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
