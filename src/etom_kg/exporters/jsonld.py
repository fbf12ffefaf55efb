"""Compact JSON-LD written against the shipped context, deterministically.

rdflib's JSON-LD serializer silently drops blank nodes that are only reachable from
themselves (a reasoned graph has ``_:r rdfs:subClassOf _:r``), so this writer builds the
node objects itself from the same structure the canonical Turtle writer uses: blank nodes
used once are embedded, well-formed lists become ``@list``, everything else is a node of
``@graph``. A value goes under a context term only when the term's definition fits it
(language map, ``@id`` coercion, datatype); otherwise under the compact IRI, as an
explicit value object, so nothing is reinterpreted on the way back.
"""

from __future__ import annotations

import json

from rdflib import BNode, Literal, URIRef

from .turtle import RDF_FIRST, RDF_REST, RDF_TYPE, _Writer, canonical_bnode_map, relabel

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class _Context:
    def __init__(self, context: dict):
        self.prefixes = sorted(((k, v) for k, v in context.items() if isinstance(v, str)),
                               key=lambda kv: (-len(kv[1]), kv[0]))
        self.terms: dict = {}  # predicate IRI -> (term, definition)
        for term, definition in sorted(context.items()):
            if isinstance(definition, dict) and "@id" in definition:
                self.terms.setdefault(self.expand(definition["@id"]), (term, definition))
        self.datatype_of = {term: self.expand(d["@type"]) for _, (term, d) in self.terms.items()
                            if d.get("@type") not in (None, "@id", "@vocab")}

    def expand(self, value: str) -> str:
        prefix, sep, rest = value.partition(":")
        for p, ns in self.prefixes:
            if sep and p == prefix and not rest.startswith("//"):
                return ns + rest
        return value

    def compact(self, iri: str) -> str:
        for prefix, ns in self.prefixes:
            if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns):].startswith("//"):
                return f"{prefix}:{iri[len(ns):]}"
        return iri


def to_jsonld_bytes(graph, context: dict) -> bytes:
    ctx = _Context(context)
    writer = _Writer(relabel(graph, canonical_bnode_map(graph)), {})

    def node_id(t) -> str:
        return f"_:{t}" if isinstance(t, BNode) else ctx.compact(str(t))

    def value_object(o) -> dict:
        if isinstance(o, URIRef):
            return {"@id": ctx.compact(str(o))}
        if isinstance(o, BNode):
            if o in writer.lists:
                return {"@list": [value_object(item) for item in list_items(o)]}
            if o in writer.inline:
                return node_object(o, with_id=False)
            return {"@id": f"_:{o}"}
        if o.language:
            return {"@value": str(o), "@language": o.language}
        if o.datatype and str(o.datatype) != XSD_STRING:
            return {"@value": str(o), "@type": ctx.compact(str(o.datatype))}
        if o.datatype:
            return {"@value": str(o), "@type": ctx.compact(XSD_STRING)}
        return {"@value": str(o)}

    def list_items(head) -> list:
        items, node = [], head
        while isinstance(node, BNode):
            props = writer.props[node]
            items.append(next(iter(props[RDF_FIRST])))
            node = next(iter(props[RDF_REST]))
        return items

    def fits(definition: dict, term: str, o) -> bool:
        kind = definition.get("@type")
        if definition.get("@container") == "@language":
            return isinstance(o, Literal) and bool(o.language)
        if kind == "@id":
            return isinstance(o, URIRef) or (isinstance(o, BNode) and o not in writer.inline)
        if kind is not None:
            return isinstance(o, Literal) and not o.language and str(o.datatype or "") == ctx.datatype_of[term]
        return isinstance(o, Literal) and not o.language and o.datatype is None

    def node_object(s, with_id: bool = True) -> dict:
        node: dict = {"@id": node_id(s)} if with_id else {}
        props = writer.props.get(s, {})
        types = props.get(RDF_TYPE, set())
        if types and all(isinstance(t, URIRef) for t in types):
            node["@type"] = sorted(ctx.compact(str(t)) for t in types)
        for p in sorted(props, key=str):
            if p == RDF_TYPE and "@type" in node:
                continue
            term, definition = ctx.terms.get(str(p), (None, {}))
            plain, coerced = [], []
            for o in props[p]:
                (coerced if term and fits(definition, term, o) else plain).append(o)
            if coerced:
                node[term] = _coerced_value(definition, coerced, ctx)
            if plain:
                node[ctx.compact(str(p))] = _one_or_many([value_object(o) for o in plain])
        return node

    subjects = [s for s in writer.props if not (isinstance(s, BNode) and s in writer.inline)]
    subjects.sort(key=lambda s: (isinstance(s, BNode), str(s)))
    document = {"@context": context, "@graph": [node_object(s) for s in subjects]}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _coerced_value(definition: dict, objects: list, ctx: _Context):
    if definition.get("@container") == "@language":
        by_lang: dict = {}
        for o in sorted(objects, key=str):
            by_lang.setdefault(o.language, []).append(str(o))
        return {lang: values[0] if len(values) == 1 else values for lang, values in sorted(by_lang.items())}
    if definition.get("@type") == "@id":
        return _one_or_many(sorted(f"_:{o}" if isinstance(o, BNode) else ctx.compact(str(o)) for o in objects))
    return _one_or_many(sorted(str(o) for o in objects))


def _one_or_many(values: list):
    values = sorted(values, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return values[0] if len(values) == 1 else values
