"""A canonical Turtle/TriG writer: the same graph always gives the same bytes.

rdflib's Turtle serializer orders subjects by their labels, and blank-node labels are
random per parse, so a graph with shared blank nodes (a reasoned graph has many) comes
out differently on every run. Here blank nodes get content-derived labels (rdflib's
canonical colouring), subjects and objects are sorted, blank nodes used once are written
inline (``[ ... ]``) and well-formed RDF lists as ``( ... )``.
"""

from __future__ import annotations

import re
from collections import defaultdict

import rdflib
from rdflib import BNode, Literal, URIRef

RDF_TYPE = rdflib.RDF.type
RDF_FIRST, RDF_REST, RDF_NIL = rdflib.RDF.first, rdflib.RDF.rest, rdflib.RDF.nil
XSD = "http://www.w3.org/2001/XMLSchema#"
INDENT = "    "

# Conservative PN_LOCAL: what every Turtle parser accepts without escapes.
_LOCAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_PREFIX_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$|^$")
_BARE = {
    f"{XSD}integer": re.compile(r"^[+-]?[0-9]+$"),
    f"{XSD}decimal": re.compile(r"^[+-]?[0-9]*\.[0-9]+$"),
    f"{XSD}boolean": re.compile(r"^(true|false)$"),
}
_IRI_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def canonical_bnode_map(graph: rdflib.Graph) -> dict:
    """{blank node: canonical blank node}, derived from the graph's content only.

    Uses rdflib's canonicaliser (the algorithm behind ``to_canonical_graph``), which yields
    the canonical triples in the graph's own iteration order, so the two can be zipped.
    """
    from rdflib.compare import _TripleCanonicalizer  # noqa: PLC2701 - no public API gives the map

    if not any(isinstance(t, BNode) for triple in graph for t in (triple[0], triple[2])):
        return {}
    originals = list(graph)
    mapping: dict = {}
    for original, canonical in zip(originals, _TripleCanonicalizer(graph).canonical_triples()):
        for a, b in ((original[0], canonical[0]), (original[2], canonical[2])):
            if isinstance(a, BNode):
                mapping[a] = b
    # The canonical labels are 64 hex digits; 16 keep them unique in any realistic graph
    # (checked, with the full labels as the fallback).
    short = {a: BNode("b" + str(b)[2:18]) for a, b in mapping.items()}
    return short if len(set(short.values())) == len(set(mapping.values())) else mapping


def relabel(triples, mapping: dict):
    for s, p, o in triples:
        yield mapping.get(s, s), p, mapping.get(o, o)


class _Writer:
    """Writes the triples of one graph; ``shared`` blank nodes are never inlined."""

    def __init__(self, triples, namespaces: dict, shared: frozenset = frozenset()):
        self.namespaces = sorted(namespaces.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        self.used_prefixes: set = set()
        self.props: dict = defaultdict(lambda: defaultdict(set))
        refs: dict = defaultdict(int)
        for s, p, o in triples:
            self.props[s][p].add(o)
            if isinstance(o, BNode):
                refs[o] += 1
        self.inline = {b for b, n in refs.items() if n == 1 and b not in shared}
        self._drop_cycles()
        self.lists = {b for b in self.inline | set(self.props) if self._is_list(b)}

    # ----------------------------------------------------------------- structure

    def _drop_cycles(self) -> None:
        """An inlined node must not contain itself: keep labels on anything in a cycle."""
        for start in sorted(self.inline, key=str):
            seen, stack = set(), [start]
            while stack:
                node = stack.pop()
                for objects in self.props.get(node, {}).values():
                    for o in objects:
                        if o == start:
                            self.inline.discard(start)
                            stack.clear()
                            break
                        if isinstance(o, BNode) and o in self.inline and o not in seen:
                            seen.add(o)
                            stack.append(o)

    def _is_list(self, node) -> bool:
        """A well-formed list whose head is written inline: every cell has exactly
        rdf:first and rdf:rest, and every tail cell is referenced once."""
        if node not in self.inline:
            return False
        seen = set()
        while node != RDF_NIL:
            if not isinstance(node, BNode) or node in seen:
                return False
            seen.add(node)
            props = self.props.get(node, {})
            if set(props) != {RDF_FIRST, RDF_REST} or len(props[RDF_FIRST]) != 1 or len(props[RDF_REST]) != 1:
                return False
            node = next(iter(props[RDF_REST]))
            if node != RDF_NIL and node not in self.inline:
                return False
        return True

    # ----------------------------------------------------------------- terms

    def term(self, t, depth: int) -> str:
        if isinstance(t, URIRef):
            return self.iri(t)
        if isinstance(t, BNode):
            if t in self.lists:
                return self.list_items(t, depth)
            if t in self.inline:
                return self.inline_node(t, depth)
            return f"_:{t}"
        return self.literal(t)

    def iri(self, t: URIRef) -> str:
        if t == RDF_TYPE:
            return "a"
        value = str(t)
        for prefix, ns in self.namespaces:
            if value.startswith(ns) and _LOCAL_NAME.match(value[len(ns):]):
                self.used_prefixes.add(prefix)
                return f"{prefix}:{value[len(ns):]}"
        return "<" + _IRI_ESCAPE.sub(lambda m: f"\\u{ord(m.group(0)):04X}", value) + ">"

    def literal(self, t: Literal) -> str:
        lexical = str(t)
        datatype = str(t.datatype) if t.datatype else None
        if datatype in _BARE and _BARE[datatype].match(lexical):
            return lexical
        text = '"' + _escape(lexical) + '"'
        if t.language:
            return f"{text}@{t.language}"
        if datatype:  # an explicit ^^xsd:string is kept: rdflib tells the two apart
            return f"{text}^^{self.iri(URIRef(datatype))}"
        return text

    def list_items(self, node, depth: int) -> str:
        items = []
        while node != RDF_NIL:
            props = self.props[node]
            items.append(self.term(next(iter(props[RDF_FIRST])), depth + 1))
            node = next(iter(props[RDF_REST]))
        return "( " + " ".join(items) + " )" if items else "()"

    def inline_node(self, node, depth: int) -> str:
        if not self.props.get(node):
            return "[]"
        inner = INDENT * (depth + 1)
        return "[\n" + inner + self.predicates(node, depth + 1) + "\n" + INDENT * depth + "]"

    # ----------------------------------------------------------------- statements

    def predicates(self, subject, depth: int) -> str:
        props = self.props[subject]
        order = sorted(props, key=lambda p: (p != RDF_TYPE, str(p)))
        inner = INDENT * depth
        parts = []
        for p in order:
            objects = [self.term(o, depth) for o in sorted(props[p], key=_object_key)]
            joiner = " ,\n" + inner + INDENT
            parts.append(self.iri(p) + " " + joiner.join(objects))
        return (" ;\n" + inner).join(parts)

    def statements(self, depth: int = 0) -> list[str]:
        subjects = [s for s in self.props if not (isinstance(s, BNode) and s in self.inline)]
        subjects.sort(key=lambda s: (isinstance(s, BNode), str(s)))
        out = []
        pad = INDENT * depth
        for s in subjects:
            if isinstance(s, BNode) and s in self.lists:
                continue  # reachable only through its referrer
            head = f"_:{s}" if isinstance(s, BNode) else self.iri(s)
            out.append(pad + head + "\n" + pad + INDENT + self.predicates(s, depth + 1) + " .")
        return out

    def prefix_lines(self) -> list[str]:
        return [f"@prefix {p}: <{ns}> ." for p, ns in sorted(self.namespaces) if p in self.used_prefixes]


def _escape(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", lambda m: f"\\u{ord(m.group(0)):04X}", out)


def _object_key(o):
    if isinstance(o, URIRef):
        return (0, str(o), "", "")
    if isinstance(o, BNode):
        return (1, str(o), "", "")
    return (2, str(o.datatype or ""), o.language or "", str(o))


def _namespaces(graph, prefixes: dict | None) -> dict:
    if prefixes is not None:
        return {p: ns for p, ns in prefixes.items() if _PREFIX_NAME.match(p)}
    return {p: str(ns) for p, ns in graph.namespaces() if p and _PREFIX_NAME.match(p)}


def to_turtle_bytes(graph: rdflib.Graph, prefixes: dict | None = None, header: str = "") -> bytes:
    """Deterministic Turtle for ``graph``; ``prefixes`` default to the graph's bindings."""
    namespaces = _namespaces(graph, prefixes)
    writer = _Writer(relabel(graph, canonical_bnode_map(graph)), namespaces)
    body = writer.statements()
    lines = [f"# {line}" if line else "#" for line in header.splitlines()] if header else []
    lines += writer.prefix_lines()
    text = "\n".join(lines) + ("\n\n" if lines else "") + "\n\n".join(body) + "\n"
    return text.encode("utf-8")


def to_trig_bytes(graphs: list[tuple[str, rdflib.Graph]], prefixes: dict) -> bytes:
    """Deterministic TriG: each (graph IRI, graph) as a named graph.

    Blank-node labels are computed over the union, and a blank node occurring in more
    than one named graph keeps its label (TriG labels are document-wide), so the union
    of the named graphs is exactly the union of the inputs.
    """
    union = rdflib.Graph()
    for _, g in graphs:
        union += g
    mapping = canonical_bnode_map(union)
    seen_in: dict = defaultdict(set)
    for name, g in graphs:
        for s, _p, o in g:
            for t in (s, o):
                if isinstance(t, BNode):
                    seen_in[mapping[t]].add(name)
    shared = frozenset(b for b, names in seen_in.items() if len(names) > 1)
    used: set = set()
    blocks = []
    probe = _Writer([], prefixes)
    for name, g in graphs:
        writer = _Writer(relabel(g, mapping), prefixes, shared)
        body = writer.statements(depth=1)
        used |= writer.used_prefixes
        blocks.append(probe.iri(URIRef(name)) + " {\n" + "\n\n".join(body) + "\n}")
    used |= probe.used_prefixes
    header = [f"@prefix {p}: <{ns}> ." for p, ns in sorted(prefixes.items()) if p in used]
    return ("\n".join(header) + "\n\n" + "\n\n".join(blocks) + "\n").encode("utf-8")
