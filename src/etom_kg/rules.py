"""Fast OWL 2 RL materialisation inside a pyoxigraph store.

owlrl evaluates every OWL 2 RL rule generically in Python; that costs ~1 ms per input
triple. Here the rules are *compiled from the graph's own schema*: each axiom kind the
graph uses becomes one SPARQL Update over bound predicates, run inside oxigraph (Rust)
until a pass adds nothing. Schema-level entailments (the ``scm-*`` rules) are computed
in Python over the small schema and written back, so the result equals owlrl's closure
for the supported axiom kinds, minus owlrl's noise (``x owl:sameAs x``, triples with a
literal subject, ``owl:Thing`` typing, datatype axioms). ``tests/test_rules_oracle.py``
checks that claim against owlrl itself.

Axiom kinds outside this list make :func:`materialize` refuse with a clear error, so the
fast path never silently answers less than the reference reasoner would.
"""

from __future__ import annotations

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
    "rdfs:subClassOf, owl:equivalentClass, rdfs:subPropertyOf, owl:equivalentProperty, "
    "owl:inverseOf, owl:TransitiveProperty, owl:SymmetricProperty, owl:propertyChainAxiom, "
    "rdfs:domain, rdfs:range, owl:someValuesFrom restrictions as sub-classes, owl:disjointWith"
)

# Constructs whose entailments the compiled rules do not produce (use --reasoner owlrl).
UNSUPPORTED_PREDICATES = {
    f"{OWL}sameAs", f"{OWL}hasValue", f"{OWL}allValuesFrom", f"{OWL}intersectionOf",
    f"{OWL}unionOf", f"{OWL}hasKey", f"{OWL}maxCardinality", f"{OWL}maxQualifiedCardinality",
    f"{OWL}oneOf", f"{OWL}complementOf", f"{OWL}propertyDisjointWith", f"{OWL}members",
    f"{OWL}sourceIndividual", f"{OWL}differentFrom", f"{OWL}distinctMembers",
    f"{OWL}onClass", f"{OWL}disjointUnionOf", f"{OWL}hasSelf",
}
UNSUPPORTED_TYPES = {
    f"{OWL}FunctionalProperty", f"{OWL}InverseFunctionalProperty", f"{OWL}IrreflexiveProperty",
    f"{OWL}AsymmetricProperty", f"{OWL}AllDisjointClasses", f"{OWL}AllDisjointProperties",
    f"{OWL}AllDifferent", f"{OWL}NegativePropertyAssertion",
}


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
    svf: list = field(default_factory=list)  # (restriction node, property, filler class)
    disjoint: set = field(default_factory=set)  # frozenset({c1, c2})


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
            raise ReasoningError(f"malformed RDF list in a property chain near {_iri(head)}")
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
            f"the fast reasoner does not implement {names}; use --reasoner owlrl "
            f"(supported: {SUPPORTED})"
        )
    s = Schema()
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
    for c in s.classes:  # scm-cls: every class is a sub-class of owl:Thing
        sco_edges.setdefault(c, set()).add(ox.NamedNode(THING))
    s.sco = _closure(sco_edges)
    s.spo = spo_closed
    for node in list(s.sco):
        s.sco[node].discard(node)
    for node in list(s.spo):
        s.spo[node].discard(node)
    s.svf = [(r, p, c) for r, (p, c) in svf_nodes.items()]

    # scm-dom1/2, scm-rng1/2: domains and ranges propagate up classes and down properties.
    def propagate(predicate: str) -> dict:
        direct: dict = {}
        for p, c in _pairs(store, predicate):
            direct.setdefault(p, set()).add(c)
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
        add(c, SCO, c)
        add(c, f"{OWL}equivalentClass", c)
        add(c, SCO, t(THING))
        if isinstance(c, ox.NamedNode):  # owlrl does not sub-class owl:Nothing under restrictions
            add(t(NOTHING), SCO, c)
    for c, sups in s.sco.items():  # scm-sco, scm-eqc2
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


def _values(rows) -> str:
    return " ".join("(" + " ".join(_sparql_term(x) for x in row) + ")" for row in rows)


def compile_rules(s: Schema) -> list[tuple[str, str]]:
    """One SPARQL Update per rule kind, specialised to this schema's axioms."""
    rules: list[tuple[str, str]] = []
    named = lambda x: isinstance(x, ox.NamedNode)  # noqa: E731
    spo_pairs = [(p, q) for p, sups in s.spo.items() for q in sups if named(p) and named(q)]
    if spo_pairs:
        rules.append(("prp-spo1", f"INSERT {{ ?s ?q ?o }} WHERE {{ VALUES (?p ?q) {{ {_values(spo_pairs)} }} ?s ?p ?o }}"))
    inv_pairs = [(p, q) for p, q in s.inverse if named(p) and named(q)]
    if inv_pairs:
        rules.append(("prp-inv", f"INSERT {{ ?o ?q ?s }} WHERE {{ VALUES (?p ?q) {{ {_values(inv_pairs)} }} ?s ?p ?o FILTER(!isLiteral(?o)) }}"))
    for p in sorted((p for p in s.transitive if named(p)), key=str):
        rules.append((f"prp-trp {p.value}", f"INSERT {{ ?s {p} ?o }} WHERE {{ ?s {p} ?m . ?m {p}+ ?o }}"))
    for p in sorted((p for p in s.symmetric if named(p)), key=str):
        rules.append((f"prp-symp {p.value}", f"INSERT {{ ?o {p} ?s }} WHERE {{ ?s {p} ?o FILTER(!isLiteral(?o)) }}"))
    for q, chain in s.chains:
        if not named(q) or not all(named(p) for p in chain):
            raise ReasoningError("property chains over blank-node properties are not supported by the fast reasoner")
        if len(chain) == 2 and chain[0] == q:
            # q o p => q is left-recursive: close it in one step with a path.
            body = f"?x0 {q} ?x1 . ?x1 {chain[1]}+ ?x2"
            last = 2
        else:
            body = " . ".join(f"?x{i} {p} ?x{i + 1}" for i, p in enumerate(chain))
            last = len(chain)
        rules.append((f"prp-spo2 {q.value}", f"INSERT {{ ?x0 {q} ?x{last} }} WHERE {{ {body} }}"))
    # Property rules feed each other: run sub-property and inverse again after the others.
    rules += [r for r in rules if r[0] in ("prp-spo1", "prp-inv")]

    dom_pairs = [(p, c) for p, cs in s.domain.items() for c in cs if named(p) and named(c) and c.value != THING]
    if dom_pairs:
        rules.append(("prp-dom", f"INSERT {{ ?s a ?c }} WHERE {{ VALUES (?p ?c) {{ {_values(dom_pairs)} }} ?s ?p ?o }}"))
    rng_pairs = [(p, c) for p, cs in s.range.items() for c in cs if named(p) and named(c) and c.value != THING]
    if rng_pairs:
        rules.append(("prp-rng", f"INSERT {{ ?o a ?c }} WHERE {{ VALUES (?p ?c) {{ {_values(rng_pairs)} }} ?s ?p ?o FILTER(!isLiteral(?o)) }}"))
    # cls-svf1 and cax-sco alternate: a restriction's membership depends on the filler's
    # types, which sub-classing produces. Blank-node restrictions cannot be written in a
    # query, so each one is referenced through its defining triples.
    type_rules = []
    for idx, (r, p, c) in enumerate(s.svf):
        if not named(p):
            raise ReasoningError("someValuesFrom on a blank-node property is not supported by the fast reasoner")
        filler = "" if (named(c) and c.value == THING) else f"?y a {_sparql_term(c)} ."
        restriction = (
            f"?r <{OWL}someValuesFrom> {_sparql_term(c)} ; <{OWL}onProperty> {p} ."
            if named(c) else None
        )
        if restriction is None:
            raise ReasoningError("someValuesFrom with a blank-node filler is not supported by the fast reasoner")
        target = f"{_sparql_term(r)}" if named(r) else "?r"
        where_r = "" if named(r) else restriction
        type_rules.append((f"cls-svf1 #{idx}", f"INSERT {{ ?x a {target} }} WHERE {{ {where_r} ?x {p} ?y . {filler} }}"))
    sco_named = [(c, d) for c, ds in s.sco.items() for d in ds if named(c) and named(d) and d.value != THING]
    sco_from_bnode = [(c, d) for c, ds in s.sco.items() for d in ds if not named(c) and named(d) and d.value != THING]
    if sco_named:
        type_rules.append(("cax-sco", f"INSERT {{ ?x a ?d }} WHERE {{ VALUES (?c ?d) {{ {_values(sco_named)} }} ?x a ?c }}"))
    for idx, (c, d) in enumerate(sco_from_bnode):
        # the sub-class is a restriction node: find it through its own triples.
        match = [(r, p, f) for r, p, f in s.svf if r == c]
        if not match:
            raise ReasoningError("anonymous sub-classes other than someValuesFrom restrictions are not supported by the fast reasoner")
        _, p, f = match[0]
        type_rules.append((
            f"cax-sco restriction #{idx}",
            f"INSERT {{ ?x a {_sparql_term(d)} }} WHERE {{ ?r <{OWL}someValuesFrom> {_sparql_term(f)} ; <{OWL}onProperty> {p} . ?x a ?r }}",
        ))
    rules += type_rules
    return rules


@dataclass
class MaterializeReport:
    input_triples: int
    output_triples: int
    passes: int
    rules: int

    @property
    def added(self) -> int:
        return self.output_triples - self.input_triples


def materialize(store: ox.Store, *, max_passes: int = 50) -> MaterializeReport:
    """Close the store's default graph under the compiled rules, in place.

    Raises ReasoningError when the closure is inconsistent (cax-dw, cls-nothing2) or
    the graph uses an axiom kind the compiled rules do not cover.
    """
    before = len(store)
    schema = read_schema(store)
    rules = compile_rules(schema)
    store.extend(schema_entailments(schema))
    passes = 0
    size = len(store)
    while True:
        passes += 1
        for _name, update in rules:
            store.update(update)
        new_size = len(store)
        if new_size == size:
            break
        size = new_size
        if passes >= max_passes:
            raise ReasoningError(f"materialisation did not reach a fixpoint in {max_passes} passes")
    check_consistency(store, schema)
    return MaterializeReport(before, len(store), passes, len(rules))


def check_consistency(store: ox.Store, schema: Schema) -> None:
    problems = []
    for pair in sorted(schema.disjoint, key=lambda p: sorted(map(str, p))):
        if len(pair) != 2:
            continue
        c1, c2 = sorted(pair, key=str)
        if not (isinstance(c1, ox.NamedNode) and isinstance(c2, ox.NamedNode)):
            continue
        for row in store.query(f"SELECT ?x WHERE {{ ?x a {c1} , {c2} }} ORDER BY ?x LIMIT 5"):
            problems.append(f"{_iri(row['x'])} is in the disjoint classes {c1.value} and {c2.value}")
    for row in store.query(f"SELECT ?x WHERE {{ ?x a <{NOTHING}> }} LIMIT 5"):
        problems.append(f"{_iri(row['x'])} is in owl:Nothing")
    if problems:
        raise ReasoningError("the graph is inconsistent: " + "; ".join(problems))
