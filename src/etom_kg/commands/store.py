"""``etom-kg load``: a persistent local store from users' files plus eTOM."""


def register(sub) -> None:
    s = sub.add_parser(
        "load",
        help="build a local store from your RDF files plus eTOM, reasoned; query it with --store DIR",
    )
    s.add_argument("files", nargs="+", metavar="FILE", help="Turtle, N-Triples, N-Quads, TriG, RDF/XML or JSON-LD")
    s.add_argument("--store", required=True, metavar="DIR", help="the store directory to create or replace")
    s.add_argument("--reasoner", choices=("rules", "owlrl"), default="rules",
                   help="rules (fast, default) or owlrl (the reference; slow above ~50k triples)")
    s.add_argument("--progress", action="store_true", default=None,
                   help="show a progress bar even when stderr is not a terminal")
    s.set_defaults(func=cmd_load)


def cmd_load(args) -> int:
    import sys

    from ..loading import Progress, build_store

    meta = build_store(args.files, args.store, reasoner=args.reasoner, progress=Progress(args.progress))
    sys.stdout.write(
        f"{args.store}: {meta['asserted_triples']} asserted, {meta['reasoned_triples']} after reasoning "
        f"({meta['seconds']} s)\n"
    )
    return 0
