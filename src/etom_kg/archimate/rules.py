"""Which ArchiMate relationships are allowed between two element types.

The table is data (``relationships.csv`` next to this module), one row per
(source type, target type) with the relationship letters of the ArchiMate specification's
Appendix B as Archi encodes them.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

LETTERS = {
    "a": "Access", "c": "Composition", "f": "Flow", "g": "Aggregation", "i": "Assignment",
    "n": "Influence", "o": "Association", "r": "Realization", "s": "Specialization",
    "t": "Triggering", "v": "Serving",
}


@lru_cache(maxsize=1)
def table() -> dict:
    """{(source type, target type): frozenset of relationship type names}."""
    text = resources.files(__package__).joinpath("relationships.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO("".join(line for line in text.splitlines(True) if not line.startswith("#"))))
    out = {}
    for row in rows:
        out[(row["source"], row["target"])] = frozenset(LETTERS[c] for c in row["relationships"])
    return out


def allowed(source_type: str, target_type: str, relationship_type: str) -> bool:
    """True when ArchiMate allows ``relationship_type`` from ``source_type`` to ``target_type``.

    Pairs of types outside the table are reported as not allowed, never guessed.
    """
    return relationship_type in table().get((source_type, target_type), frozenset())


def element_types() -> frozenset:
    return frozenset(t for pair in table() for t in pair)
