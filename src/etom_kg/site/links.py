"""The graph behind the site and the endpoint: the reasoned eTOM graph, plus a user's
application links when given (a Turtle graph of etom:Application individuals linked to
processes with etom:supportsProcess, etom:servesProcess or etom:realizesProcess)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ..errors import InputError
from ..namespaces import ETOM, RDF
from ..store import OxigraphBackend, default_store, load_embedded

LINK_PROPERTIES = tuple(ETOM + name for name in ("supportsProcess", "servesProcess", "realizesProcess"))


def _check_links(links: ox.Store, graph: ox.Store, path: Path) -> None:
    """Refuse a links file that links nothing, or links to processes the graph lacks
    (a typo there would silently show a process as uncovered)."""
    process = ox.NamedNode(ETOM + "Process")
    rdf_type = ox.NamedNode(RDF + "type")
    targets = set()
    for prop in LINK_PROPERTIES:
        for q in links.quads_for_pattern(None, ox.NamedNode(prop), None, ox.DefaultGraph()):
            targets.add(q.object)
    if not targets:
        raise InputError(
            f"{path}: links no application to a process; expected etom:supportsProcess, "
            "etom:servesProcess or etom:realizesProcess statements"
        )
    unknown = sorted(
        str(t.value) if isinstance(t, ox.NamedNode) else str(t)
        for t in targets
        if not any(graph.quads_for_pattern(t, rdf_type, process, ox.DefaultGraph()))
    )
    if unknown:
        shown = ", ".join(f"<{u}>" for u in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise InputError(f"{path}: links to {len(unknown)} resource(s) that are not eTOM processes: {shown}")


def graph_with_links(path: str | Path | None) -> OxigraphBackend:
    """The reasoned graph the site and the endpoint answer from."""
    if path is None:
        return default_store()
    from ..graph import read_into_store
    from ..rules import materialize

    path = Path(path)
    links = ox.Store()
    read_into_store(links, path)
    base = default_store()
    _check_links(links, base.store, path)
    store = ox.Store()
    load_embedded(store)
    store.extend(links.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    materialize(store)
    from ..search import add_search_keys

    add_search_keys(store)
    return OxigraphBackend(store)
