"""``etom-kg site`` (the static Operations map) and ``etom-kg serve`` (the map plus a
read-only SPARQL endpoint on this machine)."""

from __future__ import annotations

import sys


def cmd_site(args) -> int:
    from ..site import build_site

    report = build_site(args.output, links=args.links, include_deprecated=args.include_deprecated)
    apps = f", {report.applications} applications" if args.links else ""
    sys.stderr.write(
        f"etom-kg: wrote {report.files} files to {report.directory}: the map ({report.map_processes} Level-2 processes), "
        f"{report.processes} process pages, {report.topics} searchable topics{apps}\n"
    )
    return 0


def cmd_serve(args) -> int:
    from ..serve import serve

    return serve(
        host=args.host, port=args.port, links=args.links, site_dir=args.dir,
        timeout=args.timeout, max_rows=args.max_rows, include_deprecated=args.include_deprecated,
    )


def _positive(kind):
    def parse(text: str):
        import argparse

        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value

    return parse


def _port(text: str) -> int:
    import argparse

    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535 (0 picks a free one), got {text!r}")
    return int(text)


def register(sub) -> None:
    """Add this area's sub-commands to the etom-kg parser. Import heavy modules in handlers only."""
    s = sub.add_parser("site", help="write the browsable Operations map as a static, offline site")
    s.add_argument("--output", "-o", metavar="DIR", required=True,
                   help="directory to write (new, empty, or a site written before, which is replaced)")
    s.add_argument("--links", metavar="FILE",
                   help="application links (Turtle, as 'etom-kg link' writes): adds a coverage heat map")
    s.add_argument("--include-deprecated", action="store_true",
                   help="also place processes superseded within the classic framework on the map")
    s.set_defaults(func=cmd_site)

    s = sub.add_parser("serve", help="serve the map and a read-only SPARQL endpoint (/sparql) on this machine")
    s.add_argument("--port", "-p", type=_port, default=8000, help="TCP port (default 8000; 0 picks a free one)")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1, this machine only; 0.0.0.0 exposes it to the network)")
    s.add_argument("--links", metavar="FILE", help="application links to add to the map and the endpoint's graph")
    s.add_argument("--dir", metavar="DIR", help="serve a site already written by 'etom-kg site' instead of building one")
    from ..limits import seconds

    s.add_argument("--timeout", type=seconds, default=10.0, metavar="SECONDS",
                   help="longest a SPARQL query may run (default 10)")
    s.add_argument("--max-rows", type=_positive(int), default=10000, metavar="N",
                   help="largest result the endpoint returns, in rows or triples (default 10000)")
    s.add_argument("--include-deprecated", action="store_true", help="as for 'etom-kg site'")
    s.set_defaults(func=cmd_serve)
