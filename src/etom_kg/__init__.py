"""etom-kg: the TM Forum eTOM Operations area as a queryable OWL 2 RL knowledge graph.

The public API is small and lazy (nothing heavy is imported until used)::

    import etom_kg
    result = etom_kg.query("processes-for-topic", topic="complaints")
    for row in result.rows: ...
    etom_kg.ask("¿quién se encarga de los impagos?")   # a plain question -> a stored query
    etom_kg.catalog()             # the stored queries
    etom_kg.load_ontology()       # the asserted graph (rdflib)
    etom_kg.expand(graph)         # OWL 2 RL closure into a new graph
"""

__version__ = "0.2.0"

_API = {
    "query": "etom_kg.api",
    "ask": "etom_kg.ask",
    "sparql": "etom_kg.api",
    "default_store": "etom_kg.store",
    "catalog": "etom_kg.queries",
    "StoredQuery": "etom_kg.queries",
    "QueryCatalog": "etom_kg.queries",
    "Result": "etom_kg.results",
    "load_ontology": "etom_kg.graph",
    "load_graph": "etom_kg.graph",
    "expand": "etom_kg.reasoning",
    "EtomKgError": "etom_kg.errors",
    "InputError": "etom_kg.errors",
    "QueryError": "etom_kg.errors",
    "ReasoningError": "etom_kg.errors",
    "RemoteError": "etom_kg.errors",
}

__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'etom_kg' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
