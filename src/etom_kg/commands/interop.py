"""Sub-commands for bringing an application landscape in: ``link`` and ``coverage``.

(``export``, the way out, lives in etom_kg.cli and takes its formats from the exporter
registry.) Heavy modules are imported inside the handlers only.
"""

from __future__ import annotations

import sys

COVERAGE_PREFIX = "coverage-"
COVERAGE_ORDER = ("coverage-summary", "coverage-by-vertical", "coverage-cells", "coverage-overlaps", "coverage-gaps")


def register(sub) -> None:
    """Add this area's sub-commands to the etom-kg parser. Import heavy modules in handlers only."""
    s = sub.add_parser(
        "link",
        help="link an application inventory (CSV, ArchiMate exchange file or Archi CSV) to eTOM processes",
        description="Match each application's processes (classic id, R16 id, IRI or English/Spanish label) "
                    "and write a user graph of etom:Application individuals. Every input row is reported: "
                    "matched, unlinked, unmatched, ambiguous or malformed, with its file and line.",
    )
    s.add_argument("inputs", nargs="+", metavar="FILE",
                   help="inventory CSV (application, process[, relation]), ArchiMate .xml, or Archi *elements.csv")
    s.add_argument("--output", "-o", metavar="FILE", help="write the user graph (Turtle) here; without it, only report")
    s.add_argument("--report", metavar="FILE", help="write the report here instead of standard output")
    s.add_argument("--report-format", choices=("table", "json"), default="table")
    s.add_argument("--strict", action="store_true",
                   help="fail (exit 2, nothing written) if any row is unmatched, ambiguous or malformed")
    s.add_argument("--base", metavar="IRI", default=None,
                   help="namespace for new application IRIs (default urn:etom-kg:app:)")
    s.set_defaults(func=cmd_link)

    from ..results import FORMATS

    s = sub.add_parser(
        "coverage",
        help="coverage of eTOM by linked applications: gaps, overlaps, matrix cells, summary",
        description="Run the coverage reports over the embedded graph plus your linked graphs (reasoned).",
    )
    s.add_argument("links", nargs="+", metavar="FILE", help="user graphs, e.g. written by 'etom-kg link -o'")
    s.add_argument("--query", "-q", action="append", metavar="NAME",
                   help="one report (repeatable); default: all coverage reports (an unknown name lists them)")
    s.add_argument("--param", "-p", action="append", metavar="NAME=VALUE", help="a report parameter (repeatable)")
    s.add_argument("--format", "-f", choices=FORMATS, default="table")
    s.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    s.set_defaults(func=cmd_coverage)


def cmd_link(args) -> int:
    from ..errors import InputError
    from ..linking import DEFAULT_BASE, link, report, strict_failure
    from ..files import write_output

    base = args.base or DEFAULT_BASE
    result = link(args.inputs, base=base)
    if args.strict and (message := strict_failure(result)):
        raise InputError(message)
    if args.output:
        write_output(args.output, result.turtle(base))
    text = report(result, args.report_format)
    if args.report:
        write_output(args.report, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0


def coverage_queries():
    """The coverage reports (stored queries ``queries/reports/coverage-*.rq``), in report order."""
    from ..queries import catalog

    reports = catalog("reports")
    found = [reports.get(qid) for qid in reports.ids() if qid.startswith(COVERAGE_PREFIX)]
    return sorted(found, key=lambda q: (COVERAGE_ORDER.index(q.id) if q.id in COVERAGE_ORDER else len(COVERAGE_ORDER), q.id))


def coverage_backend(links):
    """The embedded graph plus the users' graphs, closed by the fast rules, in oxigraph."""
    import pyoxigraph as ox

    from ..graph import read_into_store
    from ..rules import materialize
    from ..store import OxigraphBackend, load_embedded

    store = ox.Store()
    load_embedded(store)
    for path in links:
        read_into_store(store, path)
    materialize(store)
    return OxigraphBackend(store)


def cmd_coverage(args) -> int:
    from ..api import run_stored
    from ..cli import _params
    from ..errors import QueryError
    from ..namespaces import PREFIXES
    from ..results import render
    from ..files import write_output

    available = {q.id: q for q in coverage_queries()}
    names = args.query or list(available)
    for name in names:
        if name not in available:
            raise QueryError(f"unknown coverage report {name!r}; valid: {', '.join(available)}")
    if len(names) > 1 and args.format != "table":
        raise QueryError(f"--format {args.format} needs exactly one --query (one of: {', '.join(available)})")
    params = _params(args.param)
    unknown = sorted(set(params) - {p.name for n in names for p in available[n].params})
    if unknown:
        valid = sorted({p.name for n in names for p in available[n].params})
        raise QueryError(f"unknown parameter {unknown[0]!r} for {', '.join(names)}; valid: {', '.join(valid) or '(none)'}")
    backend = coverage_backend(args.links)
    parts = []
    for name in names:
        q = available[name]
        own = {k: v for k, v in params.items() if any(p.name == k for p in q.params)}
        result = run_stored(q, backend, own)
        text = render(result, args.format, PREFIXES)
        parts.append(f"== {q.title} ({q.id})\n{text}" if len(names) > 1 else text)
    text = "\n".join(parts)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        write_output(args.output, text.encode("utf-8"))
    return 0
