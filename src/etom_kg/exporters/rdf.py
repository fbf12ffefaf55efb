"""Plain RDF serialisations."""

from __future__ import annotations


def to_turtle(graph) -> bytes:
    # rdflib's Turtle serializer orders subjects and predicates; the result is stable
    # for a given graph (checked by a test that serialises twice).
    return graph.serialize(format="turtle", encoding="utf-8")


def to_ntriples(graph) -> bytes:
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return ("\n".join(sorted(line for line in lines if line.strip())) + "\n").encode("utf-8")
