"""Engine-neutral query results and their output formats.

Every backend (oxigraph, rdflib, a remote endpoint) returns a :class:`Result` of
:class:`Term` values, so formatting and comparisons never depend on the engine.
"""

from __future__ import annotations

import re
from collections import namedtuple

from .errors import QueryError

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = f"{XSD}string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
FORMATS = ("table", "csv", "tsv", "json")


# collections.namedtuple, not typing.NamedTuple: importing typing costs a cold query ~4 ms.
class Term(namedtuple("Term", "kind value datatype lang", defaults=(None, None))):
    """An RDF term: kind is 'uri', 'bnode' or 'literal'; datatype and lang are str or None."""

    __slots__ = ()

    @classmethod
    def uri(cls, value: str) -> "Term":
        return cls("uri", value)

    @classmethod
    def literal(cls, value: str, datatype: str | None = None, lang: str | None = None) -> "Term":
        if lang:
            return cls("literal", value, None, lang.lower())
        if datatype in (None, XSD_STRING):
            return cls("literal", value, None, None)
        return cls("literal", value, datatype, None)

    def to_python(self):
        if self.kind == "literal" and self.datatype:
            if self.datatype in (f"{XSD}integer", f"{XSD}int", f"{XSD}long", f"{XSD}nonNegativeInteger"):
                return int(self.value)
            if self.datatype in (f"{XSD}decimal", f"{XSD}double", f"{XSD}float"):
                return float(self.value)
            if self.datatype == f"{XSD}boolean":
                return self.value in ("true", "1")
        return self.value

    def n3(self) -> str:
        """N-Triples / Turtle syntax (used by TSV output and remote bindings)."""
        if self.kind == "uri":
            return f"<{self.value}>"
        if self.kind == "bnode":
            return f"_:{self.value}"
        escaped = (
            self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        )
        if self.lang:
            return f'"{escaped}"@{self.lang}'
        if self.datatype:
            return f'"{escaped}"^^<{self.datatype}>'
        return f'"{escaped}"'


class Result:
    """A SELECT (variables + rows) or ASK (boolean) result."""

    __slots__ = ("variables", "rows", "boolean")

    def __init__(self, variables: list, rows: list, boolean: bool | None = None):
        self.variables = variables
        self.rows = rows
        self.boolean = boolean

    def __repr__(self) -> str:
        if self.boolean is not None:
            return f"Result(boolean={self.boolean})"
        return f"Result(variables={self.variables}, rows={len(self.rows)})"

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def column(self, name: str) -> list:
        i = self.variables.index(name)
        return [None if row[i] is None else row[i].to_python() for row in self.rows]

    def records(self) -> list[dict]:
        """Rows as dicts of Python values ('' for unbound)."""
        return [
            {v: ("" if t is None else t.to_python()) for v, t in zip(self.variables, row)}
            for row in self.rows
        ]

    def comparable(self) -> list[tuple]:
        """Rows as sortable tuples, blank nodes anonymised: for comparing engines."""

        def key(t):
            if t is None:
                return ("", "", "", "")
            if t.kind == "bnode":
                return ("bnode", "", "", "")
            return (t.kind, t.value, t.datatype or "", t.lang or "")

        return sorted(tuple(key(t) for t in row) for row in self.rows)


def shorten(iri: str, prefixes: dict) -> str:
    best = None
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(best[1])):
            best = (prefix, ns)
    if best:
        local = iri[len(best[1]):]
        if local and all(ch.isalnum() or ch in "_-." for ch in local):
            return f"{best[0]}:{local}"
    return iri


def _display(t: Term | None, prefixes: dict) -> str:
    if t is None:
        return ""
    if t.kind == "uri":
        return shorten(t.value, prefixes)
    if t.kind == "bnode":
        return f"_:{t.value}"
    return t.value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def safe_cell(value: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP, "CSV Injection").

    A text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (also after
    leading spaces) gets a leading ``'``, which spreadsheets show as text. Plain numbers
    (``-5``, ``+1.5e3``) are left as they are. :func:`unsafe_cell` undoes it on reading.
    """
    if value.lstrip(" ").startswith(_FORMULA_START) and not _NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


def unsafe_cell(value: str) -> str:
    """The text :func:`safe_cell` was given."""
    if value.startswith("'") and value[1:].lstrip(" ").startswith(_FORMULA_START):
        return value[1:]
    return value


def render(result: Result, fmt: str, prefixes: dict | None = None) -> str:
    if fmt not in FORMATS:
        raise QueryError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
    prefixes = prefixes or {}
    if result.boolean is not None:
        if fmt == "json":
            import json

            return json.dumps({"head": {}, "boolean": result.boolean}, indent=2) + "\n"
        return ("true" if result.boolean else "false") + "\n"
    if fmt == "json":
        return _json(result)
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(result.variables)
        for row in result.rows:
            w.writerow(["" if t is None else (f"_:{t.value}" if t.kind == "bnode" else _csv_value(t)) for t in row])
        return buf.getvalue()
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        lines += ["\t".join("" if t is None else t.n3() for t in row) for row in result.rows]
        return "\n".join(lines) + "\n"
    return _table(result, prefixes)


def _csv_value(t: Term) -> str:
    # Typed numbers are numbers; IRIs cannot start with a formula character. Text can.
    return safe_cell(t.value) if t.kind == "literal" else t.value


def _json(result: Result) -> str:
    import json

    def term(t: Term) -> dict:
        if t.kind == "uri":
            return {"type": "uri", "value": t.value}
        if t.kind == "bnode":
            return {"type": "bnode", "value": t.value}
        out = {"type": "literal", "value": t.value}
        if t.lang:
            out["xml:lang"] = t.lang
        elif t.datatype:
            out["datatype"] = t.datatype
        return out

    bindings = [
        {v: term(t) for v, t in zip(result.variables, row) if t is not None} for row in result.rows
    ]
    return json.dumps({"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}, indent=2, ensure_ascii=False) + "\n"


def _table(result: Result, prefixes: dict) -> str:
    cells = [[_display(t, prefixes) for t in row] for row in result.rows]
    headers = list(result.variables)
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    out.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(out) + "\n"
