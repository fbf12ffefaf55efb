"""Exports for enterprise-architecture tools: ArchiMate exchange, Archi CSV, Sparx EA CSV."""

from __future__ import annotations


def to_archimate(graph) -> bytes:
    """ArchiMate 3.1 Model Exchange File; validated against the XSD before it is returned."""
    from ..archimate.exchange import to_bytes
    from ..archimate.model import build_model

    return to_bytes(build_model(graph))


def to_archi_csv(graph, prefix: str = "", bom: bool = False) -> dict:
    """{file name: bytes} for Archi's CSV import: elements, relations, properties."""
    from ..archimate.archi_csv import to_files
    from ..archimate.model import build_model

    return to_files(build_model(graph), prefix=prefix, bom=bom)


def to_sparx_csv(graph, bom: bool = False) -> bytes:
    """One CSV for Sparx EA's CSV import with the Preserve Hierarchy columns last."""
    from ..archimate.model import build_model
    from ..archimate.sparx import to_csv

    return to_csv(build_model(graph), bom=bom)
