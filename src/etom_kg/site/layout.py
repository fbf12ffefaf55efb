"""Where each Level-2 process goes on the Operations map, the way the eTOM poster draws it.

Vertical groupings are the columns, horizontal groupings the rows. Inside a row a process
takes one box per run of adjacent columns it belongs to (Fulfillment + Assurance + Billing
is one box three columns wide). Wide boxes are stacked first, single-column boxes under
them, and processes in no vertical grouping last, across the whole row. Pure function of
the model: the same graph always gives the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import SiteModel


@dataclass(frozen=True)
class Box:
    process: str
    start: int  # first column, 0-based
    span: int
    unassigned: bool = False  # the process belongs to no vertical grouping


@dataclass(frozen=True)
class Cell:
    colspan: int
    box: Box | None = None


@dataclass(frozen=True)
class Band:
    """One horizontal grouping: its table rows of cells, each row as wide as the map."""

    horizontal: str
    rows: tuple  # tuple of tuples of Cell


def _runs(columns: list[int]) -> list[tuple[int, int]]:
    """[0, 1, 3] -> [(0, 2), (3, 1)]: (start, span) of each run of adjacent columns."""
    runs: list[list[int]] = []
    for c in sorted(columns):
        if runs and c == runs[-1][0] + runs[-1][1]:
            runs[-1][1] += 1
        else:
            runs.append([c, 1])
    return [(start, span) for start, span in runs]


def boxes_for(model: SiteModel, horizontal: str) -> list[Box]:
    width = len(model.verticals)
    column = {v: i for i, v in enumerate(model.verticals)}
    boxes = []
    for entry in model.matrix:
        if entry.horizontal != horizontal:
            continue
        columns = [column[v] for v in entry.verticals]
        if not columns:
            boxes.append(Box(entry.process, 0, width, unassigned=True))
        else:
            boxes.extend(Box(entry.process, start, span) for start, span in _runs(columns))
    order = {entry.process: i for i, entry in enumerate(model.matrix)}  # level, classic id

    def placement_order(b: Box) -> tuple:
        tier = 2 if b.unassigned else (0 if b.span > 1 else 1)
        return (tier, b.start, -b.span, order[b.process])

    return sorted(boxes, key=placement_order)


def band(model: SiteModel, horizontal: str) -> Band:
    width = len(model.verticals)
    next_free = [0] * width
    placed: dict[tuple[int, int], Box] = {}
    for b in boxes_for(model, horizontal):
        row = max(next_free[b.start:b.start + b.span])
        placed[(row, b.start)] = b
        for c in range(b.start, b.start + b.span):
            next_free[c] = row + 1
    rows = []
    for r in range(max(next_free, default=0) or 1):
        cells, c = [], 0
        while c < width:
            b = placed.get((r, c))
            if b is not None:
                cells.append(Cell(b.span, b))
                c += b.span
            else:
                cells.append(Cell(1))
                c += 1
        rows.append(tuple(cells))
    return Band(horizontal, tuple(rows))


def poster_grid(model: SiteModel) -> list[Band]:
    """The bands of the map, top to bottom in classic-id order (CRM, SM&O, RM&O, S/PRM)."""
    return [band(model, h) for h in model.horizontals]
