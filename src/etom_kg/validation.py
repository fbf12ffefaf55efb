"""Validation of the embedded graph, alone or with users' files: SHACL shapes and hygiene checks.

:func:`validate` builds one pyoxigraph store:

* its default graph holds the embedded ontology and the files, closed by the fast OWL 2 RL
  rules (:mod:`etom_kg.rules`);
* the named graph :data:`ASSERTED_GRAPH` holds the same triples *before* reasoning, for the
  checks that must not see entailments (a misspelt term gets a type from a range once
  reasoned). Each check says in its header which graph it reads.

The stored checks (``queries/checks/*-violation.rq``: zero rows is a pass) run in that store.
The shapes (``ontology/etom.shapes.ttl``) run in pySHACL with ``inference="none"`` over the
reasoned default graph: the closure is already there, and pySHACL's own OWL-RL pass would be
slow and would repeat it. pySHACL is imported here only, so other commands never pay for it.

An inconsistent graph (a resource in two disjoint classes) does not stop validation: the
``disjoint-classes`` check names the resources instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ReasoningError

if TYPE_CHECKING:
    import pyoxigraph as ox
    import rdflib

    from .results import Term

ASSERTED_GRAPH = "urn:etom-kg:graph:asserted"
SHAPES_FILE = "etom.shapes.ttl"
SHAPES_NS = "https://w3id.org/etom-kg/shapes#"
CHECKS_NS = "https://w3id.org/etom-kg/checks#"
SH = "http://www.w3.org/ns/shacl#"
SEVERITIES = ("error", "warning", "info")
REPORT_FORMATS = ("table", "json", "turtle")
SHACL_SEVERITY = {f"{SH}Violation": "error", f"{SH}Warning": "warning", f"{SH}Info": "info"}
EMBEDDED_SOURCE = "embedded eTOM graph"


@dataclass(frozen=True)
class Finding:
    """One problem: which rule found it, on which resource, and a sentence naming it."""

    severity: str  # error | warning | info
    kind: str  # "check" (a stored query) or "shape" (a SHACL shape)
    rule: str  # the check id, or the shape's prefixed name (etomsh:…)
    focus: "Term"  # the offending resource
    message: str  # a sentence naming the resource, IRIs shortened where a prefix is known
    path: str | None = None  # SHACL result path (shapes only)
    value: "Term | None" = None  # the offending value, where there is one
    component: str | None = None  # SHACL constraint component IRI (shapes only)

    def sort_key(self) -> tuple:
        return (SEVERITIES.index(self.severity), self.focus.value, self.kind, self.rule, self.message)


@dataclass(frozen=True)
class ValidationReport:
    """What :func:`validate` found. Warnings and infos do not break conformance; errors do."""

    findings: tuple
    sources: tuple  # what was validated: the embedded graph and each file
    checks: tuple  # the ids of the checks that ran
    shapes: tuple  # the node shapes that ran (prefixed names)
    triples: int  # size of the reasoned graph that was validated

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> tuple:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def conforms(self) -> bool:
        return not self.errors

    @property
    def exit_code(self) -> int:
        """The CLI's documented code: 0 conforms, 1 at least one error."""
        return 0 if self.conforms else 1

    def render(self, fmt: str = "table") -> str:
        from .errors import InputError

        if fmt == "table":
            return self.to_table()
        if fmt == "json":
            return self.to_json()
        if fmt == "turtle":
            return self.to_turtle()
        raise InputError(f"unknown report format {fmt!r}; valid: {', '.join(REPORT_FORMATS)}")

    def summary(self) -> str:
        counts = ", ".join(_plural(self.count(s), s) for s in SEVERITIES)
        verdict = "conforms" if self.conforms else "does not conform"
        return f"{counts}: the graph {verdict}"

    def to_table(self) -> str:
        header = (
            f"validated {' + '.join(self.sources)} ({self.triples} triples after reasoning) "
            f"with {len(self.checks)} checks and {len(self.shapes)} shapes"
        )
        rows = [(f.severity, f"{f.kind} {f.rule}", f.message) for f in self.findings]
        lines = [header, ""]
        if rows:
            widths = [max(len(r[i]) for r in rows + [("SEVERITY", "RULE", "")]) for i in range(2)]
            lines.append(f"{'SEVERITY'.ljust(widths[0])}  {'RULE'.ljust(widths[1])}  MESSAGE")
            lines += [f"{s.ljust(widths[0])}  {r.ljust(widths[1])}  {m}" for s, r, m in rows]
            lines.append("")
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        data = {
            "conforms": self.conforms,
            "errors": self.count("error"),
            "warnings": self.count("warning"),
            "infos": self.count("info"),
            "sources": list(self.sources),
            "triples": self.triples,
            "checks": list(self.checks),
            "shapes": list(self.shapes),
            "results": [
                {
                    "severity": f.severity,
                    "kind": f.kind,
                    "rule": f.rule,
                    "focus": _term_text(f.focus),
                    "message": f.message,
                    "path": f.path,
                    "value": None if f.value is None else f.value.value,
                    "component": f.component,
                }
                for f in self.findings
            ],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def to_graph(self) -> "rdflib.Graph":
        """The report as a SHACL ``sh:ValidationReport`` (checks appear as SPARQL-based results)."""
        import rdflib
        from rdflib.namespace import RDF

        from .namespaces import PREFIXES
        from .store import _term_to_rdflib

        sh = rdflib.Namespace(SH)
        g = rdflib.Graph()
        for prefix, ns in {**PREFIXES, "sh": SH, "etomsh": SHAPES_NS, "etomchk": CHECKS_NS}.items():
            g.bind(prefix, ns, override=True)
        report = rdflib.BNode("report")
        g.add((report, RDF.type, sh.ValidationReport))
        g.add((report, sh.conforms, rdflib.Literal(self.conforms)))
        severity_iri = {v: rdflib.URIRef(k) for k, v in SHACL_SEVERITY.items()}
        width = len(str(len(self.findings)))
        for i, f in enumerate(self.findings, start=1):
            result = rdflib.BNode(f"result{i:0{width}d}")  # stable ids keep the Turtle deterministic
            g.add((report, sh.result, result))
            g.add((result, RDF.type, sh.ValidationResult))
            g.add((result, sh.focusNode, _term_to_rdflib(f.focus)))
            g.add((result, sh.resultSeverity, severity_iri[f.severity]))
            g.add((result, sh.resultMessage, rdflib.Literal(f.message, lang="en")))
            if f.kind == "shape":
                shape = rdflib.BNode(f.rule[2:]) if f.rule.startswith("_:") else rdflib.URIRef(_expand(f.rule))
                g.add((result, sh.sourceShape, shape))
                g.add((result, sh.sourceConstraintComponent, rdflib.URIRef(f.component or f"{SH}ConstraintComponent")))
                if f.path and not f.path.startswith("_:"):
                    g.add((result, sh.resultPath, rdflib.URIRef(f.path)))
            else:
                g.add((result, sh.sourceShape, rdflib.URIRef(CHECKS_NS + f.rule)))
                g.add((result, sh.sourceConstraintComponent, sh.SPARQLConstraintComponent))
            if f.value is not None:
                g.add((result, sh.value, _term_to_rdflib(f.value)))
        return g

    def to_turtle(self) -> str:
        return self.to_graph().serialize(format="turtle")


# --------------------------------------------------------------------------- building the store


def build_store(files=()) -> "ox.Store":
    """The embedded graph plus ``files``: reasoned in the default graph, asserted in ASSERTED_GRAPH.

    Unreadable or malformed files raise InputError naming the file (and line); nothing is
    written anywhere.
    """
    import pyoxigraph as ox

    from .graph import read_into_store
    from .store import load_embedded

    store = ox.Store()
    load_embedded(store)
    for path in files:
        # Named graphs of TriG/N-Quads input are merged: validation sees one graph.
        read_into_store(store, path, graph=ox.DefaultGraph())
    store.update(f"INSERT {{ GRAPH <{ASSERTED_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}")
    _reason(store)
    return store


def _reason(store: "ox.Store") -> None:
    from .rules import check_consistency, materialize, read_schema

    try:
        materialize(store)
    except ReasoningError:
        # An inconsistency is a finding (the disjoint-classes check reports it); any other
        # reasoning failure, such as an unsupported axiom, is raised as it is.
        schema = read_schema(store)
        try:
            check_consistency(store, schema)
        except ReasoningError:
            return
        raise


# --------------------------------------------------------------------------- checks and shapes


def run_checks(store: "ox.Store", ids=None) -> list[Finding]:
    """Run the stored checks (all, or those in ``ids``) over a store made by :func:`build_store`."""
    from .api import run_stored
    from .queries import catalog
    from .store import OxigraphBackend

    backend = OxigraphBackend(store)
    cat = catalog("checks")
    queries = [cat.get(i) for i in ids] if ids is not None else list(cat)
    findings = []
    for q in queries:
        result = run_stored(q, backend)
        for record in result.rows:
            row = dict(zip(result.variables, record))
            focus = row.get("resource")
            if focus is None:
                continue  # a check that cannot name its resource has nothing to report
            message = row.get("message")
            # A check builds its message with STR(?resource), which is unbound for a blank
            # node: name the node and the check's own title instead.
            text = readable(message.value) if message is not None else f"{_term_display(focus)}: {q.title}"
            findings.append(Finding(
                severity=q.severity, kind="check", rule=q.id, focus=focus,
                message=text, value=row.get("value"),
            ))
    return findings


def shapes_graph() -> "rdflib.Graph":
    """The packaged SHACL shapes, as a new rdflib graph."""
    import rdflib

    from .resources import ontology_bytes

    return rdflib.Graph().parse(data=ontology_bytes(SHAPES_FILE), format="turtle")


def node_shapes(shapes: "rdflib.Graph") -> tuple:
    import rdflib
    from rdflib.namespace import RDF

    found = shapes.subjects(RDF.type, rdflib.URIRef(f"{SH}NodeShape"))
    return tuple(sorted(_short(str(s)) for s in found if isinstance(s, rdflib.URIRef)))


def run_shapes(store: "ox.Store", shapes: "rdflib.Graph | None" = None) -> list[Finding]:
    """Validate the reasoned default graph of ``store`` against the shapes with pySHACL."""
    import pyshacl
    import rdflib

    from .graph import store_to_rdflib
    from .store import _rdflib_to_term

    sh = rdflib.Namespace(SH)
    data = store_to_rdflib(store)  # the default graph only: the reasoned closure
    _conforms, results, _text = pyshacl.validate(
        data, shacl_graph=shapes if shapes is not None else shapes_graph(), inference="none",
        advanced=False, do_owl_imports=False,
    )
    findings = []
    for result in results.objects(None, sh.result):
        focus = _rdflib_to_term(results.value(result, sh.focusNode))
        shape = results.value(result, sh.sourceShape)
        path = results.value(result, sh.resultPath)
        value = results.value(result, sh.value)
        value = None if value is None else _rdflib_to_term(value)
        component = results.value(result, sh.sourceConstraintComponent)
        findings.append(Finding(
            severity=SHACL_SEVERITY.get(str(results.value(result, sh.resultSeverity)), "error"),
            kind="shape",
            rule=_short(str(shape)) if isinstance(shape, rdflib.URIRef) else f"_:{shape}",
            focus=focus,
            message=_shape_message(focus, _english(results.objects(result, sh.resultMessage)), value),
            path=None if path is None else (str(path) if isinstance(path, rdflib.URIRef) else f"_:{path}"),
            value=value,
            component=None if component is None else str(component),
        ))
    return findings


def validate(files=(), *, checks: bool = True, shapes: bool = True) -> ValidationReport:
    """Validate the embedded graph plus ``files`` (a path, or a list of paths) with the
    hygiene checks and the SHACL shapes."""
    import pyoxigraph as ox

    if isinstance(files, (str, Path)) or hasattr(files, "__fspath__"):
        files = (files,)
    files = tuple(files)
    for f in files:
        if not isinstance(f, (str, Path)) and not hasattr(f, "__fspath__"):
            from .errors import InputError

            raise InputError(f"validate() takes file paths, got {type(f).__name__} {f!r}")

    store = build_store(files)
    findings: list[Finding] = []
    check_ids: tuple = ()
    shape_names: tuple = ()
    if checks:
        from .queries import catalog

        check_ids = tuple(catalog("checks").ids())
        findings += run_checks(store)
    if shapes:
        graph = shapes_graph()
        shape_names = node_shapes(graph)
        findings += run_shapes(store, graph)
    triples = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return ValidationReport(
        findings=tuple(sorted(set(findings), key=Finding.sort_key)),
        sources=(EMBEDDED_SOURCE, *(str(Path(f)) for f in files)),
        checks=check_ids,
        shapes=shape_names,
        triples=triples,
    )


# --------------------------------------------------------------------------- text helpers

_IRI_IN_TEXT = re.compile(r"<([^<>\s\"]+)>")


def _prefixes() -> dict:
    from .namespaces import PREFIXES

    return {**PREFIXES, "etomsh": SHAPES_NS}


def _short(iri: str) -> str:
    from .results import shorten

    return shorten(iri, _prefixes())


def _expand(name: str) -> str:
    """The IRI of a prefixed name made by _short (a full IRI is returned as it is)."""
    prefix, _, local = name.partition(":")
    ns = _prefixes().get(prefix)
    return ns + local if ns else name


def readable(text: str) -> str:
    """A message with every ``<iri>`` written as a prefixed name where the prefix is known."""

    def one(m: re.Match) -> str:
        short = _short(m.group(1))
        return short if short != m.group(1) else m.group(0)

    return _IRI_IN_TEXT.sub(one, text)


def _shape_message(focus: "Term", message: str, value: "Term | None") -> str:
    """"<focus> <shape message>", plus the offending value: the shapes' messages are generic."""
    text = f"{_term_display(focus)} {message}"
    return text if value is None or value == focus else f"{text} (value: {_term_display(value)})"


def _term_display(t: "Term") -> str:
    if t.kind == "uri":
        short = _short(t.value)
        return short if short != t.value else f"<{t.value}>"
    if t.kind == "literal":
        return f'"{t.value}"' + (f"@{t.lang}" if t.lang else "")
    return _term_text(t)


def _term_text(t: "Term") -> str:
    return f"_:{t.value}" if t.kind == "bnode" else t.value


def _english(messages) -> str:
    """The English sh:resultMessage (pySHACL adds a default message when a shape has none)."""
    found = sorted(messages, key=lambda m: (getattr(m, "language", None) not in ("en", None), str(m)))
    return str(found[0]) if found else "does not conform to its shape"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
