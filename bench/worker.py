"""One measurement in a fresh process; prints JSON {"seconds": ..., "rss_mb": ..., ...}.

Usage: worker.py materialize-rules FILE | materialize-owlrl FILE | query-store DIR
"""

import json
import resource
import sys
import time


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
