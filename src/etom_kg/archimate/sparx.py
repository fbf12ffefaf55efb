"""Sparx Enterprise Architect CSV import with "Preserve Hierarchy".

EA's CSV Import/Export Specification takes a user-chosen list of element fields; with
Preserve Hierarchy it adds ``CSV_KEY`` and ``CSV_PARENT_KEY`` as the last two columns
(a blank parent means top level). Parents come before their children. Elements only: EA's
CSV import has no connectors, so relationships travel in the ArchiMate exchange file.
"""

from __future__ import annotations

import csv
import io

from .model import PROP_CLASSIC, TMF_PREFIXES, Model, text_in

HEADER = ("Name", "Type", "Stereotype", "Alias", "Notes", "CSV_KEY", "CSV_PARENT_KEY")
# EA's ArchiMate 3 technology: UML base type and fully qualified stereotype per element type.
EA_TYPES = {
    "BusinessProcess": ("Activity", "ArchiMate3::ArchiMate_BusinessProcess"),
    "ApplicationComponent": ("Component", "ArchiMate3::ArchiMate_ApplicationComponent"),
}


def to_csv(model: Model, bom: bool = False) -> bytes:
    parent = {r.target: r.source for r in model.relationships if r.type == "Composition"}
    children: dict = {}
    # The Sparx file carries the process hierarchy (and applications); the TM Forum blocks, APIs
    # and ABEs travel in the ArchiMate exchange file and the Archi CSV.
    for e in (e for e in model.elements if not e.id.startswith(TMF_PREFIXES)):
        children.setdefault(parent.get(e.id), []).append(e)
    rows = [HEADER]

    def visit(element, parent_id: str) -> None:
        base, stereotype = EA_TYPES.get(element.type, ("Class", f"ArchiMate3::ArchiMate_{element.type}"))
        rows.append((text_in(element.names, "en"), base, stereotype, element.property(PROP_CLASSIC) or "",
                     text_in(element.documentation, "en"), element.id, parent_id))
        for child in children.get(element.id, []):
            visit(child, element.id)

    for top in children.get(None, []):
        visit(top, "")
    from ..results import safe_cell

    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
        [tuple(safe_cell(c) for c in row) for row in rows])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")
