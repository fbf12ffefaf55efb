"""The library operations the CLI (and users) call: stored queries and ad-hoc SPARQL."""

from __future__ import annotations

from collections import namedtuple

from .errors import QueryError
from .namespaces import PREFIXES
from .queries import Param, StoredQuery, catalog, read_only_form, uses_service
from .results import Result, Term

XSD = "http://www.w3.org/2001/XMLSchema#"
BACKENDS = ("oxigraph", "rdflib")


def to_term(param: Param, value) -> Term:
    """A typed parameter value as an RDF term (bound, never spliced into query text)."""
    if param.type == "iri":
        return Term.uri(value)
    if param.type == "integer":
        return Term.literal(str(int(value)), f"{XSD}integer")
    if param.type == "boolean":
        return Term.literal("true" if value else "false", f"{XSD}boolean")
    return Term.literal(str(value))


def get_backend(backend=None):
    """None or "oxigraph": the reasoned embedded store; "rdflib": the same graph in rdflib;
    anything with a ``run(text, bindings, prefixes)`` method is used as it is."""
    if backend is None or backend == "oxigraph":
        from .store import default_store

        return default_store()
    if backend == "rdflib":
        from .graph import load_ontology
        from .reasoning import expand
        from .store import RdflibBackend

        return RdflibBackend(expand(load_ontology(), reasoner="rules"))
    if isinstance(backend, str):
        raise QueryError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    return backend


class Resolution(namedtuple("Resolution", "param text matches chosen keys cls", defaults=("",))):
    """How one parameter's words were read: every candidate, ranked (etom_kg.search.Match,
    best first), those bound (``chosen``), the search keys bound to the parameter, and the
    class the words were matched against (``cls``). A collections.namedtuple: importing
    typing costs every cold query 2 ms."""

    __slots__ = ()

    def as_dict(self) -> dict:
        return {"param": self.param, "text": self.text, "keys": list(self.keys),
                "chosen": [m.as_dict() for m in self.chosen],
                "candidates": [m.as_dict() for m in self.matches[:10]]}


def resolve_param(param: Param, text: str, backend) -> Resolution:
    """Free text -> the search keys of what it names (see :mod:`etom_kg.search`)."""
    from .search import chosen, resolver_for
    from .text import fold

    resolver = resolver_for(backend, param.match)
    matches = resolver.rank(text)
    picked = chosen(matches, param.many)
    keys = sorted({resolver.key_for(m.iri) for m in picked}) or [fold(text)]
    return Resolution(param.name, text, matches, picked, keys, param.match)


def bindings_for(q: StoredQuery, params: dict | None, backend=None, resolutions: list | None = None) -> dict:
    """The typed, bound parameters; free text of ``match`` parameters resolved to search keys
    (recorded in ``resolutions`` when a list is given)."""
    typed = q.bind(params)
    out = {}
    for name, value in typed.items():
        param = q.param(name)
        if param.match and backend is not None:
            found = resolve_param(param, value, backend)
            if resolutions is not None:
                resolutions.append(found)
            terms = [Term.literal(k) for k in found.keys]
            out[name] = terms[0] if len(terms) == 1 else terms
        else:
            out[name] = to_term(param, value)
    return out


def run_stored(q: StoredQuery, backend, params: dict | None = None, *, resolutions: list | None = None) -> Result:
    """Run a stored query. Pass a list as ``resolutions`` to learn how words were read."""
    prefetch = getattr(backend, "prefetch", None)
    if prefetch is not None and any(p.match for p in q.params):
        prefetch(q.text, bound=[p.name for p in q.params])  # the graph is parsed while the words are resolved
    return backend.run(q.text, bindings_for(q, params, backend, resolutions))


def query(name: str, backend=None, /, **params) -> Result:
    """Run the stored competency query ``name`` with keyword parameters.

    >>> query("processes-for-topic", topic="reclamaciones")  # doctest: +SKIP
    """
    q = catalog("cq").get(name)
    return run_stored(q, get_backend(backend), params)


def sparql(text: str, backend=None, *, allow_service: bool = False, timeout: float | None = None,
           max_rows: int | None = None) -> Result:
    """Run an ad-hoc read-only query over the reasoned graph (etom:, proc:, … prefixes predeclared).

    The query is refused (QueryError) when it is larger or nested deeper than
    :mod:`etom_kg.limits` allows, when it is an update, or when it uses SERVICE without
    ``allow_service``. ``timeout`` (seconds) and ``max_rows`` bound a local evaluation.
    """
    from .limits import check_query, check_seconds, run_with_timeout

    check_query(text)
    read_only_form(text)
    if not allow_service and uses_service(text):
        raise QueryError("the query uses SERVICE, which would reach the network; pass allow_service=True (CLI: --allow-service) to permit it")
    if timeout is not None:
        timeout = check_seconds(timeout)
    chosen = get_backend(backend)
    if max_rows is not None and getattr(chosen, "name", "") in BACKENDS:
        def call():
            return chosen.run(text, None, PREFIXES, max_rows=max_rows)
    else:
        def call():
            return chosen.run(text, None, PREFIXES)
    try:
        return run_with_timeout(call, timeout)
    except (OSError, RuntimeError, ValueError) as e:
        if allow_service and uses_service(text):  # the local engine's SERVICE call failed
            from .errors import RemoteError

            raise RemoteError(f"SERVICE call failed: {' '.join(str(e).split()) or type(e).__name__}") from None
        raise


def explain_resolutions(resolutions: list) -> str:
    """How each parameter's words were read, one block per parameter (for --explain)."""
    lines = []
    for r in resolutions:
        lines.append(f"{r.param}: {r.text!r} -> bound to {', '.join(repr(k) for k in r.keys)}")
        for m in r.chosen[:10]:
            lines.append(f"  chose {m.label!r} ({m.tier}, score {m.score:.2f}: {m.why})")
        others = [m for m in r.matches if m not in r.chosen][:5]
        if others:
            lines.append("  also considered: " + "; ".join(f"{m.label!r} ({m.tier} {m.score:.2f})" for m in others))
        if not r.matches:
            lines.append("  nothing matched")
    return "\n".join(lines) + ("\n" if lines else "")


def suggestions(resolutions: list, backend, query=None, values=None) -> list[str]:
    """"did you mean" lines for the parameters whose words matched nothing, and a note for
    those that named only processes superseded within the classic framework (an empty
    answer then says why, and where to look)."""
    from .search import definition_hints, resolver_for

    out = []
    for r in resolutions:
        if r.matches and r.chosen and r.cls:
            resolver = resolver_for(backend, r.cls)
            if all(any(resolver.names[i].deprecated for i in resolver.by_iri.get(m.iri, ())) for m in r.chosen):
                names = ", ".join(resolver.label_of(m.iri) for m in r.chosen[:3])
                line = f"{r.param} {r.text!r} names {names}, superseded within the classic framework"
                if query is not None and any(p.name == "include_deprecated" for p in query.params) \
                        and str((values or {}).get("include_deprecated", "false")).lower() not in ("true", "1"):
                    line += "; add -p include_deprecated=true to include superseded processes"
                if r.cls == "etom:Process":
                    import shlex

                    line += f"; what replaced it: etom-kg query successors -p {shlex.quote('process=' + r.text)}"
                out.append(line)
        if r.matches:
            continue
        close = resolver_for(backend, r.cls).suggest(r.text) if r.cls else []
        what = f"no match for {r.param} {r.text!r}"
        out.append(what + (f"; did you mean: {', '.join(close)}?" if close else "; see 'etom-kg query topics' for the names it knows"))
        hints = definition_hints(r.text, backend)
        if hints:
            out.append(f"the definitions of these processes mention {r.text!r}: {', '.join(hints)}")
    return out
