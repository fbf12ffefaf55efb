"""The library operations the CLI (and users) call: stored queries and ad-hoc SPARQL."""

from __future__ import annotations

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


def bindings_for(q: StoredQuery, params: dict | None) -> dict:
    typed = q.bind(params)
    return {name: to_term(q.param(name), value) for name, value in typed.items()}


def run_stored(q: StoredQuery, backend, params: dict | None = None) -> Result:
    return backend.run(q.text, bindings_for(q, params))


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
