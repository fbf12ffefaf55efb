"""``etom-kg validate``: the SHACL shapes and the hygiene checks over the graph and users' files.

Exit codes: 0 no errors (warnings and infos do not fail); 1 at least one error; 2 usage or
input error (an unreadable or malformed file is named with its line); 3 a reasoning
failure other than an inconsistency (an OWL construct the fast reasoner does not support).
"""

from __future__ import annotations

import argparse

DESCRIPTION = """\
Validate the embedded eTOM graph, alone or together with your own RDF files (extensions,
application mappings), against the SHACL shapes and the ontology hygiene checks.
Exit status: 0 no errors; 1 errors found (warnings alone do not fail); 2 usage or input error.
"""


def register(sub) -> None:
    """Add this area's sub-commands to the etom-kg parser. Import heavy modules in handlers only."""
    s = sub.add_parser(
        "validate",
        help="check the graph and your files against the SHACL shapes and hygiene checks",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("files", nargs="*", metavar="FILE",
                   help="RDF files to validate with the embedded graph (.ttl, .nt, .jsonld, .rdf, .trig, .nq, ...)")
    s.add_argument("--format", "-f", choices=("table", "json", "turtle"), default="table",
                   help="table (default), json, or turtle (a SHACL sh:ValidationReport)")
    s.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    s.set_defaults(func=cmd_validate)


def cmd_validate(args) -> int:
    import sys

    from ..cli import _write
    from ..validation import validate

    report = validate(args.files)
    _write(report.render(args.format), args.output)
    if args.output not in (None, "-"):
        sys.stderr.write(f"etom-kg: {report.summary()} (report written to {args.output})\n")
    return report.exit_code
