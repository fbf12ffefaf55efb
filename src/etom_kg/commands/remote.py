"""``etom-kg push``: load the graph into a remote SPARQL server, replacing one named graph atomically.

``query`` and ``sparql`` take ``--endpoint`` too (cli.add_remote_options); both use
etom_kg.remote, which is imported only when a handler runs.
"""

from __future__ import annotations

import argparse
import sys

DEFAULT_GRAPH = "https://w3id.org/etom-kg/graph"  # etom_kg.remote.DEFAULT_GRAPH, kept here to stay import-light


def register(sub) -> None:
    """Add ``push`` to the etom-kg parser."""
    s = sub.add_parser(
        "push",
        help="load the (reasoned) graph into a SPARQL server, replacing a named graph atomically",
        description="Upload the embedded graph to a SPARQL 1.1 server (Graph Store Protocol, or SPARQL Update "
        "where there is none) into a temporary graph, verify it, then swap it onto the target graph; where the "
        "server's Graph Store PUT is all-or-nothing (see --swap), one PUT onto the target replaces the temporary graph. "
        "On any failure the target graph is left as it was. Exit code 4 when the server fails.",
    )
    s.add_argument("--endpoint", required=True, metavar="URL", help="the server's SPARQL query endpoint")
    s.add_argument("--graph", default=DEFAULT_GRAPH, metavar="IRI", help=f"the named graph to replace (default {DEFAULT_GRAPH})")
    which = s.add_mutually_exclusive_group()
    which.add_argument("--reasoned", dest="reasoned", action="store_true", default=True,
                       help="push the graph with its OWL 2 RL entailments (default: servers do not run our rules)")
    which.add_argument("--asserted", dest="reasoned", action="store_false", help="push only the asserted triples")
    s.add_argument("--auth", choices=("basic", "digest"), help="HTTP authentication scheme")
    s.add_argument("--user", metavar="NAME", help="user name for --auth")
    s.add_argument("--password-env", metavar="VAR", help="environment variable holding the password (never pass it on the command line)")
    s.add_argument("--update-endpoint", metavar="URL", help="SPARQL Update URL (default: derived from --endpoint, see docs/remote.md)")
    s.add_argument("--store-endpoint", metavar="URL", help="Graph Store Protocol URL (default: derived from --endpoint)")
    s.add_argument("--chunk-size", type=_positive_int, default=5000, metavar="N", help="triples per request (default 5000)")
    from ..limits import seconds

    s.add_argument("--swap", choices=("auto", "move"), default="auto",
                   help="auto (default): one Graph Store PUT straight onto the target where the server is known and "
                   "probed to replace a graph all-or-nothing (Oxigraph), else a temporary graph and MOVE; "
                   "move: always the temporary graph and MOVE")
    s.add_argument("--timeout", type=seconds, default=60.0, metavar="SECONDS", help="HTTP timeout per request (default 60)")
    s.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    s.set_defaults(func=cmd_push)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def cmd_push(args) -> int:
    from ..push import push
    from ..remote import RemoteBackend, credentials_from_args

    remote = RemoteBackend(
        args.endpoint,
        credentials=credentials_from_args(args),
        timeout=args.timeout,
        update_endpoint=args.update_endpoint,
        store_endpoint=args.store_endpoint,
    )
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    report = push(remote, graph=args.graph, reasoned=args.reasoned, chunk_size=args.chunk_size, progress=progress,
                  swap=args.swap)
    sys.stdout.write(report.summary() + "\n")
    return 0
