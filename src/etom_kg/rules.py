"""Fast OWL 2 RL materialisation inside a pyoxigraph store.

owlrl evaluates every OWL 2 RL rule generically in Python; that costs ~1 ms per input
triple. Here the rules are *compiled from the graph's own schema*: each axiom kind the
graph uses becomes one SPARQL Update over bound predicates, run inside oxigraph (Rust)
until a pass adds nothing. Schema-level entailments (the ``scm-*`` rules) are computed
in Python over the small schema and written back, so the result equals owlrl's closure
for the supported axiom kinds, minus owlrl's noise (``x owl:sameAs x``, triples with a
literal subject, ``owl:Thing`` typing, datatype axioms). ``tests/test_rules_oracle.py``
checks that claim against owlrl itself.

The common vocabulary (sub-classes and sub-properties, inverses, transitivity, symmetry,
chains, domains and ranges, someValuesFrom) is compiled into a stratified plan that reaches
the closure in one pass. The rest of the OWL 2 RL rule set (W3C OWL 2 Profiles, tables
4–9: equality, functional and inverse-functional properties, keys, hasValue,
allValuesFrom, intersections, unions, enumerations, max-cardinality 0/1 and the
inconsistency rules) is written once as generic SPARQL updates (:data:`GENERAL_RULES`,
:data:`INCONSISTENCY_RULES`); a graph that uses them runs the plan and those rules in
turn until nothing changes. ``owl:hasSelf`` and ``owl:disjointUnionOf`` are outside
OWL 2 RL and refused with a clear error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product

import pyoxigraph as ox

from .errors import ReasoningError
from .namespaces import OWL, RDF, RDFS

TYPE = f"{RDF}type"
SCO = f"{RDFS}subClassOf"
SPO = f"{RDFS}subPropertyOf"
DOMAIN = f"{RDFS}domain"
RANGE = f"{RDFS}range"
THING = f"{OWL}Thing"
NOTHING = f"{OWL}Nothing"

SUPPORTED = (
    "the OWL 2 RL rules of the W3C OWL 2 Profiles, tables 4-9 (equality, property axioms, class expressions "
    "in their RL positions, keys, cardinality 0/1, the inconsistency rules); not owl:hasSelf or owl:disjointUnionOf"
)

# Outside OWL 2 RL: refused (owlrl does not implement them either).
UNSUPPORTED_PREDICATES = {f"{OWL}hasSelf", f"{OWL}disjointUnionOf"}
UNSUPPORTED_TYPES: set = set()

# Constructs handled by GENERAL_RULES: a graph that uses one of them is closed by
# iterating the plan and those rules to a fixpoint.
GENERAL_PREDICATES = {
    f"{OWL}sameAs", f"{OWL}hasValue", f"{OWL}allValuesFrom", f"{OWL}intersectionOf",
    f"{OWL}unionOf", f"{OWL}hasKey", f"{OWL}maxCardinality", f"{OWL}maxQualifiedCardinality",
    f"{OWL}oneOf", f"{OWL}complementOf", f"{OWL}propertyDisjointWith", f"{OWL}members",
    f"{OWL}sourceIndividual", f"{OWL}differentFrom", f"{OWL}distinctMembers", f"{OWL}onClass",
}
GENERAL_TYPES = {
    f"{OWL}FunctionalProperty", f"{OWL}InverseFunctionalProperty", f"{OWL}IrreflexiveProperty",
    f"{OWL}AsymmetricProperty", f"{OWL}AllDisjointClasses", f"{OWL}AllDisjointProperties",
    f"{OWL}AllDifferent", f"{OWL}NegativePropertyAssertion",
}

_P = (f"PREFIX owl: <{OWL}> PREFIX rdf: <{RDF}> PREFIX rdfs: <{RDFS}> ")
_MEMBER = "rdf:rest*/rdf:first"

# Entailment rules in the names of the OWL 2 Profiles tables. Each is a plain INSERT; the
# plan (sub-properties, inverses, types, …) runs between rounds.
GENERAL_RULES = [(name, _P + text) for name, text in (
    ("eq-sym", "INSERT { ?y owl:sameAs ?x } WHERE { ?x owl:sameAs ?y }"),
    ("eq-trans", "INSERT { ?x owl:sameAs ?z } WHERE { ?x owl:sameAs ?y . ?y owl:sameAs ?z }"),
    ("eq-rep-s", "INSERT { ?s2 ?p ?o } WHERE { ?s owl:sameAs ?s2 FILTER(?s != ?s2) ?s ?p ?o }"),
    ("eq-rep-p", "INSERT { ?s ?p2 ?o } WHERE { ?p owl:sameAs ?p2 FILTER(?p != ?p2 && isIRI(?p2)) ?s ?p ?o }"),
    ("eq-rep-o", "INSERT { ?s ?p ?o2 } WHERE { ?o owl:sameAs ?o2 FILTER(?o != ?o2) ?s ?p ?o }"),
    ("prp-fp", "INSERT { ?y1 owl:sameAs ?y2 } WHERE { ?p a owl:FunctionalProperty . ?x ?p ?y1 . ?x ?p ?y2 "
               "FILTER(?y1 != ?y2 && !isLiteral(?y1) && !isLiteral(?y2)) }"),
    ("prp-ifp", "INSERT { ?x1 owl:sameAs ?x2 } WHERE { ?p a owl:InverseFunctionalProperty . ?x1 ?p ?y . ?x2 ?p ?y "
                "FILTER(?x1 != ?x2) }"),
    ("prp-key", "INSERT { ?x owl:sameAs ?y } WHERE { ?c owl:hasKey ?keys . ?keys rdf:first ?p1 . "
                "?x a ?c ; ?p1 ?z1 . ?y ?p1 ?z1 ; a ?c . FILTER(?x != ?y) "
                f"FILTER NOT EXISTS {{ ?keys {_MEMBER} ?p . FILTER NOT EXISTS {{ ?x ?p ?z . ?y ?p ?z }} }} }}"),
    ("cls-int1", "INSERT { ?y a ?c } WHERE { ?c owl:intersectionOf ?l . ?l rdf:first ?c1 . ?y a ?c1 "
                 f"FILTER NOT EXISTS {{ ?l {_MEMBER} ?ci . FILTER NOT EXISTS {{ ?y a ?ci }} }} }}"),
    ("cls-int2", f"INSERT {{ ?y a ?ci }} WHERE {{ ?c owl:intersectionOf ?l . ?y a ?c . ?l {_MEMBER} ?ci }}"),
    ("cls-uni", f"INSERT {{ ?y a ?c }} WHERE {{ ?c owl:unionOf ?l . ?l {_MEMBER} ?ci . ?y a ?ci }}"),
    ("cls-avf", "INSERT { ?y a ?c } WHERE { ?r owl:allValuesFrom ?c ; owl:onProperty ?p . ?x a ?r ; ?p ?y "
                "FILTER(!isLiteral(?y)) }"),
    ("cls-hv1", "INSERT { ?x ?p ?v } WHERE { ?r owl:hasValue ?v ; owl:onProperty ?p . ?x a ?r }"),
    ("cls-hv2", "INSERT { ?x a ?r } WHERE { ?r owl:hasValue ?v ; owl:onProperty ?p . ?x ?p ?v }"),
    ("cls-maxc2", "INSERT { ?y1 owl:sameAs ?y2 } WHERE { ?r owl:maxCardinality ?n ; owl:onProperty ?p "
                  "FILTER(str(?n) = \"1\") ?x a ?r ; ?p ?y1 , ?y2 FILTER(?y1 != ?y2 && !isLiteral(?y1) && !isLiteral(?y2)) }"),
    ("cls-maxqc3", "INSERT { ?y1 owl:sameAs ?y2 } WHERE { ?r owl:maxQualifiedCardinality ?n ; owl:onProperty ?p ; "
                   "owl:onClass ?c FILTER(str(?n) = \"1\" && ?c != owl:Thing) ?x a ?r ; ?p ?y1 , ?y2 . ?y1 a ?c . ?y2 a ?c "
                   "FILTER(?y1 != ?y2) }"),
    ("cls-maxqc4", "INSERT { ?y1 owl:sameAs ?y2 } WHERE { ?r owl:maxQualifiedCardinality ?n ; owl:onProperty ?p ; "
                   "owl:onClass owl:Thing FILTER(str(?n) = \"1\") ?x a ?r ; ?p ?y1 , ?y2 "
                   "FILTER(?y1 != ?y2 && !isLiteral(?y1) && !isLiteral(?y2)) }"),
    ("cls-oo", f"INSERT {{ ?y a ?c }} WHERE {{ ?c owl:oneOf ?l . ?l {_MEMBER} ?y }}"),
    # cls-svf1, cax-sco, prp-dom and prp-rng for anonymous classes, which the plan leaves to these rules
    ("cls-svf1", "INSERT { ?x a ?r } WHERE { ?r owl:someValuesFrom ?c ; owl:onProperty ?p FILTER(isBlank(?c)) "
                 "?x ?p ?y . ?y a ?c }"),
    ("cax-sco", "INSERT { ?x a ?d } WHERE { ?c rdfs:subClassOf ?d FILTER(isBlank(?c) || isBlank(?d)) ?x a ?c }"),
    ("prp-dom", "INSERT { ?x a ?c } WHERE { ?p rdfs:domain ?c FILTER(isBlank(?c)) ?x ?p ?o }"),
    ("prp-rng", "INSERT { ?o a ?c } WHERE { ?p rdfs:range ?c FILTER(isBlank(?c)) ?x ?p ?o FILTER(!isLiteral(?o)) }"),
)]

# Inconsistency rules: each SELECT names the resources of one violation (cax-dw and
# cls-nothing2 are checked from the schema in check_consistency).
INCONSISTENCY_RULES = [(name, _P + text) for name, text in (
    ("eq-diff1", "SELECT ?x ?y WHERE { ?x owl:sameAs ?y ; owl:differentFrom ?y }"),
    ("eq-diff2", f"SELECT ?x ?y WHERE {{ ?a a owl:AllDifferent ; owl:members ?l . ?l {_MEMBER} ?x . ?l {_MEMBER} ?y "
                 "FILTER(?x != ?y) ?x owl:sameAs ?y }"),
    ("eq-diff3", f"SELECT ?x ?y WHERE {{ ?a a owl:AllDifferent ; owl:distinctMembers ?l . ?l {_MEMBER} ?x . "
                 f"?l {_MEMBER} ?y FILTER(?x != ?y) ?x owl:sameAs ?y }}"),
    ("prp-irp", "SELECT ?x ?p WHERE { ?p a owl:IrreflexiveProperty . ?x ?p ?x }"),
    ("prp-asyp", "SELECT ?x ?y WHERE { ?p a owl:AsymmetricProperty . ?x ?p ?y . ?y ?p ?x }"),
    ("prp-pdw", "SELECT ?x ?y WHERE { ?p1 owl:propertyDisjointWith ?p2 . ?x ?p1 ?y . ?x ?p2 ?y }"),
    ("prp-adp", f"SELECT ?x ?y WHERE {{ ?a a owl:AllDisjointProperties ; owl:members ?l . ?l {_MEMBER} ?p1 . "
                f"?l {_MEMBER} ?p2 FILTER(?p1 != ?p2) ?x ?p1 ?y . ?x ?p2 ?y }}"),
    ("prp-npa1", "SELECT ?x ?y WHERE { ?n owl:sourceIndividual ?x ; owl:assertionProperty ?p ; "
                 "owl:targetIndividual ?y . ?x ?p ?y }"),
    ("prp-npa2", "SELECT ?x ?y WHERE { ?n owl:sourceIndividual ?x ; owl:assertionProperty ?p ; "
                 "owl:targetValue ?y . ?x ?p ?y }"),
    ("cls-com", "SELECT ?x ?c WHERE { ?c owl:complementOf ?d . ?x a ?c , ?d }"),
    ("cls-maxc1", "SELECT ?x ?p WHERE { ?r owl:maxCardinality ?n ; owl:onProperty ?p FILTER(str(?n) = \"0\") "
                  "?x a ?r ; ?p ?y }"),
    ("cls-maxqc1", "SELECT ?x ?p WHERE { ?r owl:maxQualifiedCardinality ?n ; owl:onProperty ?p ; owl:onClass ?c "
                   "FILTER(str(?n) = \"0\" && ?c != owl:Thing) ?x a ?r ; ?p ?y . ?y a ?c }"),
    ("cls-maxqc2", "SELECT ?x ?p WHERE { ?r owl:maxQualifiedCardinality ?n ; owl:onProperty ?p ; "
                   "owl:onClass owl:Thing FILTER(str(?n) = \"0\") ?x a ?r ; ?p ?y }"),
    ("cax-adc", f"SELECT ?x ?c1 WHERE {{ ?a a owl:AllDisjointClasses ; owl:members ?l . ?l {_MEMBER} ?c1 . "
                f"?l {_MEMBER} ?c2 FILTER(?c1 != ?c2) ?x a ?c1 , ?c2 }}"),
)]


def _iri(term: ox.NamedNode | ox.BlankNode) -> str:
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _sparql_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        # Blank nodes cannot be named in a query; callers use them through VALUES joins
        # of their own, so this path is never taken for rule bodies.
        raise ValueError("blank node in rule text")
    return str(term)


@dataclass
class Schema:
    """The schema axioms of a graph, closed under the OWL 2 RL scm-* rules."""

    classes: set = field(default_factory=set)
    object_props: set = field(default_factory=set)
    datatype_props: set = field(default_factory=set)
    sco: dict = field(default_factory=dict)  # class -> set of super classes (closure, no self)
    spo: dict = field(default_factory=dict)  # property -> set of super properties (closure, no self)
    inverse: set = field(default_factory=set)  # (p, q) pairs, both directions
    transitive: set = field(default_factory=set)
    symmetric: set = field(default_factory=set)
    chains: list = field(default_factory=list)  # (q, [p1, ..., pn])
    domain: dict = field(default_factory=dict)  # property -> set of classes (closure)
    range: dict = field(default_factory=dict)
    declared_domain: dict = field(default_factory=dict)  # as asserted (drives instance typing)
    declared_range: dict = field(default_factory=dict)
    svf: list = field(default_factory=list)  # (restriction node, property, filler class)
    disjoint: set = field(default_factory=set)  # frozenset({c1, c2})
    general: list = field(default_factory=list)  # constructs that need GENERAL_RULES
    bare_restrictions: set = field(default_factory=set)  # typed owl:Restriction only, not someValuesFrom
    no_scm: set = field(default_factory=set)  # bare restrictions owlrl gives no scm-* triple at all
    restrictions: set = field(default_factory=set)


def _closure(edges: dict) -> dict:
    out = {}
    for start in edges:
        seen, todo = set(), list(edges[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
        out[start] = seen
    return out


def _list(store: ox.Store, head) -> list:
    items = []
    rdf_first, rdf_rest, nil = ox.NamedNode(f"{RDF}first"), ox.NamedNode(f"{RDF}rest"), f"{RDF}nil"
    while not (isinstance(head, ox.NamedNode) and head.value == nil):
        first = next(store.quads_for_pattern(head, rdf_first, None, ox.DefaultGraph()), None)
        rest = next(store.quads_for_pattern(head, rdf_rest, None, ox.DefaultGraph()), None)
        if first is None or rest is None:
            raise ReasoningError(f"malformed RDF list near {_iri(head)}")
        items.append(first.object)
        head = rest.object
    return items


def _pairs(store: ox.Store, predicate: str):
    for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None, ox.DefaultGraph()):
        yield quad.subject, quad.object


def read_schema(store: ox.Store) -> Schema:
    """Read the schema from the store's default graph and close it under scm-*."""
    unsupported = sorted(
        {p for p in UNSUPPORTED_PREDICATES if next(store.quads_for_pattern(None, ox.NamedNode(p), None, ox.DefaultGraph()), None)}
        | {t for t in UNSUPPORTED_TYPES if next(store.quads_for_pattern(None, ox.NamedNode(TYPE), ox.NamedNode(t), ox.DefaultGraph()), None)}
    )
    if unsupported:
        names = ", ".join(u.replace(OWL, "owl:") for u in unsupported)
        raise ReasoningError(
            f"the fast reasoner does not implement {names}, which are outside OWL 2 RL; supported: {SUPPORTED}"
        )
    s = Schema()
    s.general = sorted(
        {p for p in GENERAL_PREDICATES if next(store.quads_for_pattern(None, ox.NamedNode(p), None, ox.DefaultGraph()), None)}
        | {t for t in GENERAL_TYPES if next(store.quads_for_pattern(None, ox.NamedNode(TYPE), ox.NamedNode(t), ox.DefaultGraph()), None)}
    )
    type_of = lambda cls: {q.subject for q in store.quads_for_pattern(None, ox.NamedNode(TYPE), ox.NamedNode(cls), ox.DefaultGraph())}  # noqa: E731
    # owlrl treats restrictions as classes (owl:Restriction is a sub-class of owl:Class).
    s.classes = type_of(f"{OWL}Class") | type_of(f"{RDFS}Class") | type_of(f"{OWL}Restriction") | {ox.NamedNode(NOTHING), ox.NamedNode(THING)}
    s.object_props = type_of(f"{OWL}ObjectProperty")
    s.datatype_props = type_of(f"{OWL}DatatypeProperty")
    s.transitive = type_of(f"{OWL}TransitiveProperty")
    s.symmetric = type_of(f"{OWL}SymmetricProperty")

    sco_edges: dict = {}
    for c, d in _pairs(store, SCO):
        sco_edges.setdefault(c, set()).add(d)
    for c, d in _pairs(store, f"{OWL}equivalentClass"):
        sco_edges.setdefault(c, set()).add(d)
        sco_edges.setdefault(d, set()).add(c)
    spo_edges: dict = {}
    for p, q in _pairs(store, SPO):
        spo_edges.setdefault(p, set()).add(q)
    for p, q in _pairs(store, f"{OWL}equivalentProperty"):
        spo_edges.setdefault(p, set()).add(q)
        spo_edges.setdefault(q, set()).add(p)
    for p, q in _pairs(store, f"{OWL}inverseOf"):
        s.inverse.add((p, q))
        s.inverse.add((q, p))
    for q, head in _pairs(store, f"{OWL}propertyChainAxiom"):
        s.chains.append((q, _list(store, head)))

    for c, head in _pairs(store, f"{OWL}intersectionOf"):  # scm-int
        for member in _list(store, head):
            sco_edges.setdefault(c, set()).add(member)
    for c, head in _pairs(store, f"{OWL}unionOf"):  # scm-uni
        for member in _list(store, head):
            sco_edges.setdefault(member, set()).add(c)

    svf_nodes = {}
    for r, cls in _pairs(store, f"{OWL}someValuesFrom"):
        on = next(store.quads_for_pattern(r, ox.NamedNode(f"{OWL}onProperty"), None, ox.DefaultGraph()), None)
        if on is None:
            raise ReasoningError(f"owl:someValuesFrom restriction {_iri(r)} has no owl:onProperty")
        svf_nodes[r] = (on.object, cls)
    # scm-svf1/2: restrictions on sub-properties / sub-fillers are sub-classes.
    spo_closed = _closure(spo_edges)
    sco_closed = _closure(sco_edges)
    for (r1, (p1, c1)), (r2, (p2, c2)) in product(svf_nodes.items(), repeat=2):
        if r1 == r2:
            continue
        if (p1 == p2 or p2 in spo_closed.get(p1, ())) and (c1 == c2 or c2 in sco_closed.get(c1, ())):
            sco_edges.setdefault(r1, set()).add(r2)
    # owlrl applies scm-cls to a restriction only when it is also a class some other way
    # (someValuesFrom restrictions are, through scm-svf); others keep just c ⊑ c.
    restrictions = type_of(f"{OWL}Restriction")
    s.bare_restrictions = (restrictions - type_of(f"{OWL}Class") - type_of(f"{RDFS}Class")) - set(svf_nodes)
    # scm-hv / scm-avf give those restrictions c ⊑ c and c ≡ c; cardinality ones get nothing
    s.no_scm = {r for r in s.bare_restrictions
                if not any(True for p in ("hasValue", "allValuesFrom")
                           for _ in store.quads_for_pattern(r, ox.NamedNode(f"{OWL}{p}"), None, ox.DefaultGraph()))}
    s.restrictions = restrictions
    for c in s.classes - s.bare_restrictions:  # scm-cls: every class is a sub-class of owl:Thing
        sco_edges.setdefault(c, set()).add(ox.NamedNode(THING))
    s.sco = _closure(sco_edges)
    s.spo = spo_closed
    for node in list(s.sco):
        s.sco[node].discard(node)
    for node in list(s.spo):
        s.spo[node].discard(node)
    s.svf = [(r, p, c) for r, (p, c) in svf_nodes.items()]
    anonymous = {c for c in s.classes | set(s.sco) if not isinstance(c, ox.NamedNode)}
    if anonymous - {r for r, (_, c) in svf_nodes.items() if isinstance(c, ox.NamedNode)}:
        s.general.append("anonymous class expressions")

    # scm-dom1/2, scm-rng1/2: domains and ranges propagate up classes and down properties.
    def declared(predicate: str) -> dict:
        direct: dict = {}
        for p, c in _pairs(store, predicate):
            direct.setdefault(p, set()).add(c)
        return direct

    s.declared_domain = declared(DOMAIN)
    s.declared_range = declared(RANGE)

    def propagate(predicate: str) -> dict:
        direct = declared(predicate)
        out: dict = {}
        props = set(direct) | set(s.spo)
        for p in props:
            classes = set(direct.get(p, ()))
            for sup in s.spo.get(p, ()):
                classes |= direct.get(sup, set())
            for c in list(classes):
                classes |= s.sco.get(c, set())
            if classes:
                out[p] = classes
        return out

    s.domain = propagate(DOMAIN)
    s.range = propagate(RANGE)
    for c1, c2 in _pairs(store, f"{OWL}disjointWith"):
        s.disjoint.add(frozenset((c1, c2)))
    return s


# Triples owlrl always adds, whatever the input (part of its OWL 2 RL axiomatisation).
AXIOMATIC = [
    (NOTHING, TYPE, f"{OWL}Class"),
    (THING, TYPE, f"{OWL}Class"),
    *[(f"{RDFS}{name}", TYPE, f"{OWL}AnnotationProperty") for name in ("comment", "isDefinedBy", "label", "seeAlso")],
    *[
        (f"{OWL}{name}", TYPE, f"{OWL}AnnotationProperty")
        for name in ("backwardCompatibleWith", "deprecated", "incompatibleWith", "priorVersion", "versionInfo")
    ],
]


def schema_entailments(s: Schema) -> list[ox.Quad]:
    """The scm-* triples owlrl adds to the schema itself."""
    out = []
    t = ox.NamedNode

    def add(a, p, b):
        out.append(ox.Quad(a, t(p), b, ox.DefaultGraph()))

    for a, p, b in AXIOMATIC:
        add(t(a), p, t(b))

    for c in s.classes:  # scm-cls
        if c in s.no_scm:
            continue
        add(c, SCO, c)
        add(c, f"{OWL}equivalentClass", c)
        if c in s.bare_restrictions:
            continue
        add(c, SCO, t(THING))
        if isinstance(c, ox.NamedNode) and c not in s.restrictions:  # owlrl does not sub-class owl:Nothing under restrictions
            add(t(NOTHING), SCO, c)
    for c, sups in s.sco.items():  # scm-sco, scm-eqc2
        if c in s.no_scm:
            continue
        for d in sups:
            add(c, SCO, d)
            if c in s.sco.get(d, ()):
                add(c, f"{OWL}equivalentClass", d)
    for p in s.object_props | s.datatype_props:  # scm-op, scm-dp
        add(p, SPO, p)
        add(p, f"{OWL}equivalentProperty", p)
    for p, sups in s.spo.items():  # scm-spo, scm-eqp2
        for q in sups:
            add(p, SPO, q)
            if p in s.spo.get(q, ()):
                add(p, f"{OWL}equivalentProperty", q)
    for p, classes in s.domain.items():
        for c in classes:
            add(p, DOMAIN, c)
    for p, classes in s.range.items():
        for c in classes:
            add(p, RANGE, c)
    return out


DATATYPE_IRIS = {f"{RDF}langString", f"{RDF}PlainLiteral", f"{RDF}XMLLiteral", f"{RDFS}Literal"}


def _is_datatype(iri: str) -> bool:
    return iri.startswith("http://www.w3.org/2001/XMLSchema#") or iri in DATATYPE_IRIS


def _union(patterns: list[str]) -> str:
    return " UNION ".join(f"{{ {p} }}" for p in patterns)


def _sccs(nodes, edges: dict) -> list[list]:
    """Strongly connected components in topological order (dependencies first)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):  # iterative Tarjan would be longer; schemas are small
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in nodes:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    nodes = set(nodes)
    for v in sorted(nodes, key=str):
        if v not in index:
            visit(v)
    out.reverse()  # Tarjan emits sinks first; edges point from input to output
    return out


@dataclass
class Step:
    name: str
    updates: list
    count: str | None = None  # a COUNT query: repeat ``updates`` until it stops changing
    pair: tuple | None = None  # a plain inverse pair, ordered at run time by asserted size
    chain: tuple | None = None  # (q, [p1, …, pn]): a chain whose join order is chosen at run time

    def resolve(self, store: ox.Store) -> list:
        if self.chain is not None:
            q, chain = self.chain
            # Each link is its own sub-select, so oxigraph hash-joins them (one scan of each
            # link) instead of looking the next link up once per row: 0.18 s instead of
            # 1.08 s for the 1.5 M rows of supportsProcess ∘ partOf at 10^6. Duplicate rows
            # are left to the insert, which skips them faster than DISTINCT removes them.
            body = " ".join(f"{{ SELECT {' '.join(sorted(set(_VAR.findall(link))))} WHERE {{ {link} }} }}"
                            for link in _chain_join_order(store, chain))
            return [f"INSERT {{ ?x0 {q} ?x{len(chain)} }} WHERE {{ {body} }}"]
        if self.pair is None:
            return self.updates
        p, q = self.pair
        sparse, dense = sorted((p, q), key=lambda x: (_count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {x} ?o }}"), str(x)))
        return [
            f"INSERT {{ ?o {dense} ?s }} WHERE {{ ?s {sparse} ?o FILTER(!isLiteral(?o)) }}",
            f"INSERT {{ ?o {sparse} ?s }} WHERE {{ ?s {dense} ?o FILTER(!isLiteral(?o)) }}",
        ]


def _chain_join_order(store: ox.Store, chain: list) -> list[str]:
    """The chain's patterns, smallest first, then growing along the chain toward the
    smaller neighbour. oxigraph joins in the written order; starting from the big end
    (200 k supportsProcess facts, then partOf by object) was 13× slower than from the
    small one (2 k partOf facts, then supportsProcess by object)."""
    sizes = [_count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {p} ?o }}") for p in chain]
    patterns = [f"?x{i} {p} ?x{i + 1}" for i, p in enumerate(chain)]
    lo = hi = min(range(len(chain)), key=lambda i: (sizes[i], i))
    order = [patterns[lo]]
    while lo > 0 or hi < len(chain) - 1:
        if hi == len(chain) - 1 or (lo > 0 and sizes[lo - 1] <= sizes[hi + 1]):
            lo -= 1
            order.append(patterns[lo])
        else:
            hi += 1
            order.append(patterns[hi])
    return order


def _restriction_ref(s: Schema, r) -> tuple[str, str]:
    """(term to use for the restriction, pattern that binds it) — blank nodes by their triples."""
    if isinstance(r, ox.NamedNode):
        return _sparql_term(r), ""
    match = [(p, c) for node, p, c in s.svf if node == r]
    if not match:
        raise ReasoningError("anonymous classes other than someValuesFrom restrictions are not supported by the fast reasoner")
    p, c = match[0]
    if not isinstance(c, ox.NamedNode):
        raise ReasoningError("someValuesFrom with a blank-node filler is not supported by the fast reasoner")
    var = f"?r{abs(hash(str(r))) % 10**8}"
    return var, f"{var} <{OWL}someValuesFrom> {_sparql_term(c)} ; <{OWL}onProperty> {_sparql_term(p)} ."


def compile_plan(s: Schema, asserted=None) -> list[Step]:
    """Stratified, set-at-a-time rules: each step's inputs are complete when it runs.

    Property facts never depend on types, so properties come first, in topological order
    of their dependencies (sub-property, inverse, chain); a group of mutually dependent
    properties is closed in one step with a property path when it has a known shape
    (inverse pairs, transitivity, left-recursive chains), else iterated until its triple
    count stops changing. Types follow, class by class in topological order.

    ``asserted(p)`` tells whether property ``p`` has facts before reasoning; it lets the
    typing steps skip scanning properties whose every fact is derived from facts that an
    already-included source covers (e.g. a property chain's subjects are its first
    property's subjects). Without it every declared domain and range is scanned.
    """
    named = lambda x: isinstance(x, ox.NamedNode)  # noqa: E731
    for q, chain in s.chains:
        if not named(q) or not all(named(p) for p in chain):
            raise ReasoningError("property chains over blank-node properties are not supported by the fast reasoner")
    for r, p, c in s.svf:
        if not named(p):
            raise ReasoningError("someValuesFrom on a blank-node property is not supported by the fast reasoner")

    # ---- properties
    inverse = {}
    for p, q in s.inverse:
        inverse.setdefault(p, set()).add(q)
    props = set(s.spo) | {q for qs in s.spo.values() for q in qs} | set(inverse) | s.transitive | s.symmetric
    props |= {q for q, _ in s.chains} | {p for _, ch in s.chains for p in ch}
    props = {p for p in props if named(p)}
    edges: dict = {}
    for p in props:
        for q in s.spo.get(p, ()):
            if named(q):
                edges.setdefault(p, set()).add(q)
        for q in inverse.get(p, ()):
            if named(q):
                edges.setdefault(p, set()).add(q)
    for q, chain in s.chains:
        for p in chain:
            edges.setdefault(p, set()).add(q)
    steps: list[Step] = []
    for comp in _sccs(props, edges):
        members = set(comp)
        for q in sorted(members, key=str):
            subs = sorted((p for p in props if q in s.spo.get(p, ()) and p not in members), key=str)
            if subs:
                steps.append(Step(f"prp-spo1 -> {q.value}", [
                    f"INSERT {{ ?s {q} ?o }} WHERE {{ {_union([f'?s {p} ?o' for p in subs])} }}"]))
            for chain_q, chain in s.chains:
                if chain_q == q and not (set(chain) & members):
                    steps.append(Step(f"prp-spo2 {q.value}", [], chain=(q, chain)))
        steps.extend(_close_component(s, members, inverse))

    # ---- types
    classes = set(s.sco) | {d for ds in s.sco.values() for d in ds} | {r for r, _, _ in s.svf} | {c for _, _, c in s.svf}
    classes |= {c for cs in s.declared_domain.values() for c in cs} | {c for cs in s.declared_range.values() for c in cs}
    # owl:Thing typing is noise; datatypes (ranges of datatype properties) type only literals.
    classes = {c for c in classes if not (named(c) and (c.value == THING or _is_datatype(c.value)))}
    cedges: dict = {}
    for c, ds in s.sco.items():
        for d in ds:
            cedges.setdefault(c, set()).add(d)
    for r, _, c in s.svf:
        cedges.setdefault(c, set()).add(r)
    svf_nodes = {r for r, _, c in s.svf if named(c)}
    planned = lambda c: named(c) or c in svf_nodes  # noqa: E731 - other anonymous classes: GENERAL_RULES
    for comp in _sccs(classes, cedges):
        updates = []
        for d in sorted(comp, key=str):
            if not planned(d):
                continue
            target, bind_target = _restriction_ref(s, d)
            sources = []
            candidates = sorted(
                [(p, "subject") for p, cs in s.declared_domain.items() if d in cs and named(p)]
                + [(p, "object") for p, cs in s.declared_range.items() if d in cs and named(p)],
                key=lambda c: (str(c[0]), c[1]),
            )
            kept = set(candidates)
            for cand in candidates:  # drop sources whose facts a kept source already types
                if covered(s, cand[0], cand[1], asserted, kept - {cand}):
                    kept.discard(cand)
            for p, side in candidates:
                if (p, side) in kept:
                    sources.append(f"?x {_sparql_term(p)} ?o" if side == "subject"
                                   else f"?o {_sparql_term(p)} ?x FILTER(!isLiteral(?x))")
            for c, ds in s.sco.items():
                if d in ds and c != d and planned(c) and not _through(s, c, d, classes, planned):
                    ref, bind = _restriction_ref(s, c)
                    sources.append(f"{bind} ?x a {ref}")
            for r, p, c in s.svf:
                if r == d and named(c):
                    filler = "" if (named(c) and c.value == THING) else f" . ?y a {_sparql_term(c)}"
                    sources.append(f"?x {_sparql_term(p)} ?y{filler}")
            if len(sources) == 1 and re.fullmatch(r" \?x a <[^<>]+>", sources[0]):
                # members of one named class: each comes once, nothing to make distinct
                updates.append(f"INSERT {{ ?x a {target} }} WHERE {{ {bind_target} {sources[0]} }}")
            elif sources:
                updates.append(
                    f"INSERT {{ ?x a {target} }} WHERE {{ {bind_target} {{ SELECT DISTINCT ?x WHERE {{ {_union(sources)} }} }} }}"
                )
        if updates:
            count = None
            if len(comp) > 1:  # equivalent classes: repeat until stable
                count = "SELECT (COUNT(*) AS ?n) WHERE { ?x a ?c }"
            steps.append(Step(f"types {', '.join(_iri(c) for c in comp)}", updates, count))
    return steps


def _through(s: Schema, c, d, classes: set, planned) -> bool:
    """True when a class strictly between ``c`` and ``d`` (c ⊑ e ⊑ d, equivalent to neither)
    is typed by the plan: its step runs after c's and before d's and holds every member of
    c, so d need not scan c again (SoftwareAsset read its eight sub-classes' 200 k members
    on top of Application's 200 k, which already include them)."""
    above_c = s.sco.get(c, ())
    return any(
        e not in (c, d) and e in classes and planned(e) and d in s.sco.get(e, ())
        and c not in s.sco.get(e, ()) and e not in s.sco.get(d, ())
        for e in above_c
    )


def covered(s: Schema, p, side: str, asserted, kept: set, _seen=frozenset()) -> bool:
    """True when the ``side`` (subject/object) of every ``p`` fact is also the same side of
    a fact of a *kept* typing source, so scanning ``p`` would type nothing new.

    Facts of ``p`` are copied to its super-properties (prp-spo1). A property with no
    asserted facts gets its sides from the rules that produce it: the other side of its
    inverse, a chain's first subject or last object, a sub-property's same side.
    Only kept sources count, so two sources never excuse each other.
    """
    if any((sup, side) in kept for sup in s.spo.get(p, ()) if sup != p):
        return True
    if asserted is None or p in _seen or p in s.symmetric or asserted(p):
        return False
    other = "object" if side == "subject" else "subject"
    producers = [(sub, side) for sub, sups in s.spo.items() if p in sups and sub != p]
    producers += [(a, other) for a, b in s.inverse if b == p]
    producers += [(chain[0] if side == "subject" else chain[-1], side) for q, chain in s.chains if q == p]
    if not producers:
        return False
    seen = _seen | {p}
    return all(src != p and ((src, src_side) in kept or covered(s, src, src_side, asserted, kept, seen))
               for src, src_side in producers)


def _close_component(s: Schema, members: set, inverse: dict) -> list[Step]:
    """Close a group of mutually dependent properties under its internal rules."""
    internal_spo = [(p, q) for p in members for q in s.spo.get(p, ()) if q in members and q != p]
    chains = [(q, ch) for q, ch in s.chains if q in members and set(ch) & members]
    trans = members & s.transitive
    sym = members & s.symmetric
    pairs = [(p, q) for p in members for q in inverse.get(p, ()) if q in members]
    ordered = sorted(members, key=str)

    # a lone property
    if len(members) == 1 and not internal_spo:
        (p,) = ordered
        if not chains and not sym:
            if p in trans:
                return [Step(f"prp-trp {p.value}", [f"INSERT {{ ?s {p} ?o }} WHERE {{ ?s {p} ?m . ?m {p}+ ?o }}"])]
            return []
        if not sym and not trans and len(chains) == 1 and len(chains[0][1]) == 2 and chains[0][1][0] == p and chains[0][1][1] not in members:
            r = chains[0][1][1]
            return [Step(f"prp-spo2 {p.value}", [f"INSERT {{ ?x {p} ?z }} WHERE {{ ?x {p} ?y . ?y {r}+ ?z }}"])]
    # an inverse pair, possibly transitive, possibly with one left-recursive chain
    if len(members) == 2 and not internal_spo and not sym and len(pairs) == 2:
        p, q = ordered
        left = [(cq, ch) for cq, ch in chains if len(ch) == 2 and ch[0] == cq and ch[1] not in members]
        if len(left) == len(chains) <= 1 and not (trans and chains):
            if left:  # make the chained property the one closed first
                p = left[0][0]
                q = next(iter(members - {p}))
                path = f"?s ({p}|^{q}) ?m . ?m {left[0][1][1]}* ?o"
            elif trans:
                path = f"?s ({p}|^{q})+ ?o"
            else:
                # Plain inverse pair: first complete the side with more asserted facts
                # from the sparser side (a short scan), then mirror it back (the
                # inserts that must happen anyway). Sizes are read when the plan runs.
                return [Step(f"inverse pair {p.value} / {q.value}", [], pair=(p, q))]
            return [Step(f"inverse pair {p.value} / {q.value}", [
                f"INSERT {{ ?s {p} ?o }} WHERE {{ {path} }}",
                f"INSERT {{ ?o {q} ?s }} WHERE {{ ?s {p} ?o FILTER(!isLiteral(?o)) }}",
            ])]
    # anything else: apply every internal rule until the component stops growing
    updates = []
    for p, q in internal_spo:
        updates.append(f"INSERT {{ ?s {q} ?o }} WHERE {{ ?s {p} ?o }}")
    for p, q in pairs:
        updates.append(f"INSERT {{ ?o {q} ?s }} WHERE {{ ?s {p} ?o FILTER(!isLiteral(?o)) }}")
    for p in sorted(trans, key=str):
        updates.append(f"INSERT {{ ?s {p} ?o }} WHERE {{ ?s {p} ?m . ?m {p}+ ?o }}")
    for p in sorted(sym, key=str):
        updates.append(f"INSERT {{ ?o {p} ?s }} WHERE {{ ?s {p} ?o FILTER(!isLiteral(?o)) }}")
    for q, ch in chains:
        body = " . ".join(f"?x{i} {p} ?x{i + 1}" for i, p in enumerate(ch))
        updates.append(f"INSERT {{ ?x0 {q} ?x{len(ch)} }} WHERE {{ {body} }}")
    count = "SELECT (COUNT(*) AS ?n) WHERE { " + _union([f"?s {p} ?o" for p in ordered]) + " }"
    return [Step("component " + ", ".join(p.value for p in ordered), updates, count)]


@dataclass
class MaterializeReport:
    """What ran. Triple counts are left to callers: ``len(store)`` scans the whole store.

    ``spilled``: CONSTRUCT queries (see :func:`materialize`'s ``spill``) whose results,
    evaluated on the store as left, complete the closure."""

    steps: int
    iterations: int
    spilled: list = field(default_factory=list)


def materialize(store: ox.Store, *, max_iterations: int = 100, spill=None) -> MaterializeReport:
    """Close the store's default graph under the compiled rules, in place.

    Raises ReasoningError when the closure is inconsistent (cax-dw, cls-nothing2 and the
    other inconsistency rules) or the graph uses an axiom kind outside OWL 2 RL.

    ``spill(predicate_iri) -> bool`` lets a caller that only copies the closure elsewhere
    (``etom-kg load``) skip inserting what no rule reads: an update that runs last because
    nothing after it reads its output, and writes one predicate other than ``rdf:type`` for
    which ``spill`` says yes, is returned as a CONSTRUCT in the report's ``spilled`` instead
    of being run. Its results may repeat each other or triples already in the store. Not
    used when the graph needs the general rules, which iterate over everything.
    """
    schema = read_schema(store)
    # With GENERAL_RULES facts also come from equality and class expressions, so a typing
    # source is never skipped as "covered" by the plan's own producers.
    asserted = None if schema.general else (
        lambda p: next(store.quads_for_pattern(None, p, None, ox.DefaultGraph()), None) is not None)
    plan = compile_plan(schema, asserted=asserted)
    store.extend(schema_entailments(schema))
    spilled: list = []
    iterations = _run_plan(store, plan, max_iterations, None if schema.general else spill, spilled)
    if schema.general:
        for _ in range(max_iterations):
            before = len(store)
            for _name, update in GENERAL_RULES:
                store.update(update)
            iterations += _run_plan(store, plan, max_iterations)
            if len(store) == before:
                break
        else:
            raise ReasoningError(f"OWL 2 RL rules: no fixpoint after {max_iterations} rounds")
    check_consistency(store, schema)
    return MaterializeReport(len(plan), iterations, spilled)


def _run_plan(store: ox.Store, plan: list, max_iterations: int, spill=None, spilled=None) -> int:
    iterations = 0
    # An update whose output no later step reads can wait until the end: the later
    # steps then run on a smaller store (inserts slow down as the store grows).
    later_reads = [set() for _ in plan]
    seen: set = set()
    for i in range(len(plan) - 1, -1, -1):
        later_reads[i] = set(seen)
        seen |= _step_reads(plan[i])
    deferred = []
    for i, step in enumerate(plan):
        if step.count is None:
            updates = step.resolve(store)
            for k, update in enumerate(updates):
                needed = later_reads[i].union(*(_reads(u) for u in updates[k + 1:]))
                if _writes(update) & needed:
                    store.update(update)
                else:
                    deferred.append(update)
            iterations += 1
            continue
        size = _count(store, step.count)
        for _ in range(max_iterations):
            iterations += 1
            for update in step.updates:
                store.update(update)
            new_size = _count(store, step.count)
            if new_size == size:
                break
            size = new_size
        else:
            raise ReasoningError(f"{step.name}: no fixpoint after {max_iterations} iterations")
    for update in deferred:
        writes = _writes(update)
        if (spill is not None and update.startswith("INSERT ") and len(writes) == 1 and TYPE not in writes
                and spill(next(iter(writes)))):
            spilled.append(_construct(update))
        else:
            store.update(update)
    return iterations


def _construct(update: str) -> str:
    """The CONSTRUCT of an ``INSERT { template } WHERE { body }``. Rows that repeat (a
    chain's) are mostly dropped by oxigraph's CONSTRUCT itself, which remembers the last
    million triples; a DISTINCT would cost more than the few it leaves."""
    split = update.index("} WHERE {")
    template, body = update[len("INSERT {"): split], update[split + len("} WHERE {"): update.rindex("}")]
    return f"CONSTRUCT {{{template}}} WHERE {{{body}}}"


_IRI = re.compile(r"<([^<>\s]+)>")
_VAR = re.compile(r"\?x\d+")


def _writes(update: str) -> set:
    """The predicates an ``INSERT { template } WHERE`` writes (rdf:type for ``?x a ...``)."""
    template = update[update.index("{") + 1: update.index("} WHERE")]
    return {TYPE} if re.search(r"\sa\s", template) else set(_IRI.findall(template))


def _reads(update: str) -> set:
    """Every IRI the WHERE clause mentions (an over-approximation of what it reads)."""
    where = update[update.index("} WHERE"):]
    return set(_IRI.findall(where)) | ({TYPE} if re.search(r"\sa\s", where) else set())


def _step_reads(step: Step) -> set:
    if step.pair is not None:
        return {x.value for x in step.pair}
    if step.chain is not None:
        return {p.value for p in step.chain[1]}
    reads = set().union(*(_reads(u) for u in step.updates))
    if step.count:
        reads |= set(_IRI.findall(step.count)) | {TYPE}
    return reads


def _count(store: ox.Store, query: str) -> int:
    return int(next(iter(store.query(query)))["n"].value)


def check_consistency(store: ox.Store, schema: Schema) -> None:
    problems = []
    for pair in sorted(schema.disjoint, key=lambda p: sorted(map(str, p))):
        if len(pair) != 2:
            continue
        c1, c2 = sorted(pair, key=str)
        if not (isinstance(c1, ox.NamedNode) and isinstance(c2, ox.NamedNode)):
            continue
        # A hash join from the smaller class: looking each member of a big class up in
        # the other (a walk of every triple about it) took 0.58 s at 10^6 for one pair.
        small, big = sorted((c1, c2), key=lambda c: (_count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?x a {c} }}"), str(c)))
        members = "{{ SELECT ?x WHERE {{ ?x a {} }} }}"
        for row in store.query(f"SELECT ?x WHERE {{ {members.format(small)} {members.format(big)} }} ORDER BY ?x LIMIT 5"):
            problems.append(f"{_iri(row['x'])} is in the disjoint classes {c1.value} and {c2.value}")
    for row in store.query(f"SELECT ?x WHERE {{ ?x a <{NOTHING}> }} LIMIT 5"):
        problems.append(f"{_iri(row['x'])} is in owl:Nothing")
    if schema.general:
        for name, query in INCONSISTENCY_RULES:
            for row in store.query(query + " LIMIT 5"):
                problems.append(f"{name}: " + ", ".join(str(row[i]) for i in range(len(row))))
    if problems:
        raise ReasoningError("the graph is inconsistent: " + "; ".join(problems))
