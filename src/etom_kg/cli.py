"""The ``etom-kg`` command: thin argument handling over the library.

Exit codes: 0 success; 1 validation found violations; 2 usage, input or query error;
3 inconsistent graph; 4 remote endpoint error; 70 internal error (a bug: please report it);
130 interrupted.
"""

from __future__ import annotations

import sys

from . import __version__
from .errors import EtomKgError, QueryError

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130

# argparse is imported when the parser is built (5 ms of a cold query), after a query's
# graph has started parsing (see _start_reading).
_PARSER_CLASS: list = []


def _parser_class():
    if not _PARSER_CLASS:
        import argparse

        class _Parser(argparse.ArgumentParser):
            def error(self, message):  # one line, exit 2 (argparse would print the usage first)
                self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

            def _get_formatter(self):
                # argparse asks shutil for the width on every add_argument (importing it costs a
                # cold query ~4 ms); the same answer from os: $COLUMNS, the terminal, or 80.
                return self.formatter_class(prog=self.prog, width=_terminal_columns() - 2)

        _PARSER_CLASS.append(_Parser)
    return _PARSER_CLASS[0]


def _terminal_columns() -> int:
    import os

    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _params(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise QueryError(f"--param expects NAME=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        key = key.strip()
        if not key:
            raise QueryError(f"--param expects NAME=VALUE, got {pair!r}")
        if key in out:
            raise QueryError(f"--param {key} given twice")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise QueryError(f"--param {key}: the value is not valid UTF-8 text (check the terminal's encoding)") from None
        out[key] = value
    return out


def _write(text: str, output: str | None) -> None:
    if output in (None, "-"):
        sys.stdout.write(text)
        return
    from pathlib import Path

    from .files import write_output

    write_output(output, text.encode("utf-8"))


# --------------------------------------------------------------------------- commands


def cmd_queries(args) -> int:
    from .queries import catalog

    cat = catalog("cq")
    if args.format == "markdown":
        _write(catalogue_markdown(cat), None)
        return EXIT_OK
    if args.format == "json":
        import json

        items = [
            {"id": q.id, "title": q.title, "question": q.question, "kind": q.kind,
             "params": [{"name": p.name, "type": p.type, "required": p.required,
                         "default": p.default, "description": p.description,
                         "description_es": p.description_es} for p in q.params],
             "columns": list(q.columns)}
            for q in cat
        ]
        _write(json.dumps(items, indent=2, ensure_ascii=False) + "\n", None)
        return EXIT_OK
    lines = []
    for q in cat:
        params = " ".join(
            f"{p.name}={p.type}" + ("" if p.required else f"?[{str(p.default).lower() if isinstance(p.default, bool) else p.default}]" if p.default is not None else "?")
            for p in q.params
        )
        lines.append(f"{q.id}{'  ' + params if params else ''}\n    en: {q.question['en']}\n    es: {q.question['es']}")
    _write("\n".join(lines) + "\n", None)
    return EXIT_OK


def catalogue_markdown(cat) -> str:
    """The query catalogue as a Markdown table (the README's copy is checked against it)."""
    rows = ["| query | parameters | question (en) | pregunta (es) |", "|---|---|---|---|"]
    for q in cat:
        params = ", ".join(
            f"`{p.name}` ({p.type}{'' if p.required else ', optional'})" for p in q.params
        ) or "—"
        rows.append(f"| `{q.id}` | {params} | {q.question['en']} | {q.question['es']} |")
    return "\n".join(rows) + "\n"


def cmd_query(args) -> int:
    from .api import run_stored
    from .namespaces import PREFIXES
    from .queries import catalog
    from .results import render

    from .limits import run_with_timeout

    q = catalog("cq").get(args.name)
    params = _params(args.param)
    backend = _backend(args)
    resolutions: list = []
    timeout = _local_limits(args, backend).get("timeout")
    result = run_with_timeout(lambda: run_stored(q, backend, params, resolutions=resolutions), timeout, f"query {q.id!r}")
    _write(render(result, args.format, PREFIXES), args.output)
    _report_words(resolutions, result, backend, args, q, params)
    return EXIT_OK


def _report_words(resolutions, result, backend, args, query=None, values=None) -> None:
    """On stderr: how words were read (--explain), and "did you mean" when nothing matched.
    Standard output stays the result alone (pure SPARQL JSON with --format json)."""
    from .api import explain_resolutions, suggestions

    if getattr(args, "explain", False):
        sys.stderr.write(explain_resolutions(resolutions))
    if not result.rows and result.boolean is None:
        for line in suggestions(resolutions, backend, query, values):
            sys.stderr.write(f"etom-kg: {line}\n")


def cmd_ask(args) -> int:
    from .ask import ask
    from .namespaces import PREFIXES
    from .results import render

    backend = _backend(args)
    answer = ask(args.question, backend)
    if args.explain:
        sys.stderr.write(answer.explain())
    _write(render(answer.result, args.format, PREFIXES), args.output)
    _report_words(answer.resolutions, answer.result, backend, None, answer.query, answer.params)
    return EXIT_OK


def cmd_sparql(args) -> int:
    from .api import sparql
    from .namespaces import PREFIXES
    from .results import render

    from .errors import InputError

    where = "standard input" if args.file == "-" else args.file
    try:
        if args.file == "-":
            stream = getattr(sys.stdin, "buffer", None)
            raw = stream.read() if stream is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
        else:
            with open(args.file, "rb") as f:
                raw = f.read()
        text = raw.decode("utf-8")
    except OSError as e:
        raise InputError(f"{where}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(f"{where}:{line}: not UTF-8 text (byte 0x{raw[e.start]:02x}); save the query as UTF-8") from None
    backend = _backend(args)
    result = sparql(text, backend, allow_service=args.allow_service, **_local_limits(args, backend))
    if result.variables == ["subject", "predicate", "object"] and result.boolean is None and args.format == "table" and _is_graph(text):
        _write("".join(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in result.rows), args.output)
    else:
        _write(render(result, args.format, PREFIXES), args.output)
    return EXIT_OK


def _local_limits(args, backend) -> dict:
    """--timeout and --max-rows for the embedded and local stores (a remote server has its own)."""
    from .limits import DEFAULT_LOCAL_TIMEOUT, DEFAULT_MAX_ROWS

    if getattr(args, "endpoint", None):
        return {}
    max_rows = getattr(args, "max_rows", None)
    return {"timeout": getattr(args, "timeout", None) or DEFAULT_LOCAL_TIMEOUT,
            "max_rows": DEFAULT_MAX_ROWS if max_rows is None else (max_rows or None)}


def _is_graph(text: str) -> bool:
    import re

    from .queries import _strip_comments

    m = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", _strip_comments(text), re.IGNORECASE)
    return bool(m) and m.group(1).upper() in ("CONSTRUCT", "DESCRIBE")


def cmd_export(args) -> int:
    from pathlib import Path

    from .files import write_output
    from .errors import InputError
    from .exporters import export, get_exporter

    exporter = get_exporter(args.format)
    if args.output is not None and not args.output.strip():
        raise InputError("empty output path (-o): name a file or directory, or - for standard output")
    if exporter.directory and args.output in (None, "-"):
        raise InputError(f"format {args.format!r} writes several files: give a directory with -o DIR")
    data = export(args.format, reasoned=args.reasoned, links=args.with_links or (),
                  prefix=args.prefix, bom=args.bom)
    if exporter.directory:
        folder = Path(args.output)
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{folder}: not a directory (format {args.format!r} writes several files)")
        if folder.is_dir():
            from .files import output_path

            for name in data:
                output_path(folder / name)
        for name, content in data.items():
            write_output(folder / name, content)
    elif args.output in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        write_output(args.output, data)
    return EXIT_OK


def cmd_info(args) -> int:
    from .api import run_stored
    from .queries import catalog
    from .store import default_store, load_embedded, open_persistent

    import pyoxigraph as ox

    lines = [f"etom-kg {__version__}"]
    if args.store:
        from .loading import store_metadata

        meta = store_metadata(args.store)
        backend = open_persistent(args.store)
        lines += [
            f"store: {args.store} (built by etom-kg {meta['etom_kg_version']}, reasoner {meta['reasoner']})",
            "sources: " + (", ".join(meta["sources"]) or "(eTOM only)"),
            f"asserted triples: {meta['asserted_triples']}",
            f"reasoned triples: {len(backend)}",
        ]
    else:
        asserted = ox.Store()
        load_embedded(asserted)
        backend = default_store()
        lines += [f"asserted triples: {len(asserted)}", f"reasoned triples: {len(backend)}"]
    counts = run_stored(catalog("cq").get("process-count-by-level"), backend).records()
    lines.append("processes per level: " + ", ".join(f"L{r['level']}={r['processes']}" for r in counts))
    _write("\n".join(lines) + "\n", None)
    return EXIT_OK


def _backend(args):
    from .api import get_backend

    endpoint = getattr(args, "endpoint", None)
    if endpoint:
        from .remote import backend_from_args

        return backend_from_args(args)
    store = getattr(args, "store", None)
    if store:
        from .store import open_persistent

        return open_persistent(store)
    chosen = getattr(args, "backend", None)
    if _STARTED and chosen in (None, "oxigraph"):
        return _STARTED.pop()  # the embedded graph _start_reading opened
    return get_backend(chosen)


_STARTED: list = []
# Options after which `query NAME` is not answered from the embedded graph (or not at all).
_ELSEWHERE = ("--endpoint", "--store", "--backend", "-h", "--help", "--version")


def _start_reading(argv: list[str]) -> None:
    """``etom-kg query NAME …`` (or ``etom-kg ask QUESTION …``) over the embedded graph: open
    it and start parsing what the stored query NAME (or the likeliest reading of QUESTION)
    reads before the rest of the command line is parsed (argparse alone is ~8 ms of a
    ~40 ms cold query) and its words are resolved; the parse runs in a thread, without the
    GIL (:meth:`etom_kg.store.EmbeddedBackend.prefetch`). Only a head start: when the words
    say otherwise (another command, an unknown query, an option that sends the query
    elsewhere, an option before NAME) nothing is started, and a wrong guess costs a parse
    on another core, never a different answer. Not when the cache is switched off
    (reasoning would then run before a usage error could be reported)."""
    if len(argv) < 2 or argv[0] not in ("query", "ask") or argv[1].startswith("-"):
        return
    if any(a.startswith(_ELSEWHERE) for a in argv):
        return
    from .queries import catalog
    from .store import _cache_dir_name, default_store

    if _cache_dir_name() is None:
        return
    try:
        if argv[0] == "ask":
            from .ask import likeliest

            name = likeliest(argv[1])
            if name is None:
                return
        else:
            name = argv[1]
        q = catalog("cq").get(name)
    except EtomKgError:
        return  # reported, with the valid names, once the command line is parsed
    backend = default_store()
    backend.prefetch(q.text, bound=[p.name for p in q.params])
    _STARTED[:] = [backend]


def add_remote_options(parser) -> None:
    """--endpoint and friends: run against a remote SPARQL server (see etom_kg.remote)."""
    g = parser.add_argument_group("remote SPARQL endpoint")
    g.add_argument("--endpoint", metavar="URL", help="query this SPARQL endpoint instead of the embedded graph")
    g.add_argument("--graph", metavar="IRI", help="scope remote queries to this named graph")
    g.add_argument("--auth", choices=("basic", "digest"), help="HTTP authentication scheme")
    g.add_argument("--user", metavar="NAME", help="user name for --auth")
    g.add_argument("--password-env", metavar="VAR", help="environment variable holding the password")
    from .limits import seconds

    g.add_argument("--timeout", type=seconds, default=None, metavar="SECONDS",
                   help="time limit: the HTTP timeout with --endpoint (default 60), the evaluation time "
                        "limit for the embedded graph or --store (default 300)")


def add_store_option(parser) -> None:
    parser.add_argument("--store", metavar="DIR", help="query a local store built by 'etom-kg load'")


# --------------------------------------------------------------------------- parser


def build_parser(command: str | None = None) -> argparse.ArgumentParser:  # noqa: F821 (imported here)
    """The whole parser; a ``command`` that this module defines (other than ``export``)
    skips registering the exporters and the feature commands, ~10 ms of a cold query."""
    import argparse

    from .results import FORMATS

    _Parser = _parser_class()
    p = _Parser(prog="etom-kg", description="Query the TM Forum eTOM Operations knowledge graph.")
    p.add_argument("--version", action="version", version=f"etom-kg {__version__}")
    p.add_argument("--debug", action="store_true", help="show the traceback of errors")
    # prog given: otherwise argparse builds a help formatter now (importing shutil, ~4 ms)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, prog="etom-kg")
    sub.required = True

    s = sub.add_parser("queries", help="list the stored queries and the questions they answer")
    s.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    s.set_defaults(func=cmd_queries)

    s = sub.add_parser("query", help="run a stored query")
    s.add_argument("name")
    s.add_argument("--param", "-p", action="append", metavar="NAME=VALUE", help="a query parameter (repeatable)")
    s.add_argument("--format", "-f", choices=FORMATS, default="table")
    s.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    s.add_argument("--backend", choices=("oxigraph", "rdflib"), default="oxigraph", help=argparse.SUPPRESS)
    s.add_argument("--explain", action="store_true", help="show on stderr how the words of each parameter were matched")
    add_store_option(s)
    add_remote_options(s)
    s.set_defaults(func=cmd_query)

    s = sub.add_parser("ask", help="answer a plain question in English or Spanish with the stored query that fits it")
    s.add_argument("question")
    s.add_argument("--format", "-f", choices=FORMATS, default="table")
    s.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    s.add_argument("--explain", action="store_true", help="show on stderr the query chosen, its parameters and why")
    s.add_argument("--backend", choices=("oxigraph", "rdflib"), default="oxigraph", help=argparse.SUPPRESS)
    add_store_option(s)
    add_remote_options(s)
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("sparql", help="run a read-only SPARQL query (file or - for stdin) over the reasoned graph")
    s.add_argument("file")
    s.add_argument("--format", "-f", choices=FORMATS, default="table")
    s.add_argument("--output", "-o", metavar="FILE")
    s.add_argument("--allow-service", action="store_true", help="permit SERVICE clauses (network access)")
    s.add_argument("--max-rows", type=int, default=None, metavar="N",
                   help="refuse answers longer than N rows or triples (default 1000000; 0: no limit)")
    s.add_argument("--backend", choices=("oxigraph", "rdflib"), default="oxigraph", help=argparse.SUPPRESS)
    add_store_option(s)
    add_remote_options(s)
    s.set_defaults(func=cmd_sparql)
    if command in LEAN_COMMANDS:
        _add_info(sub)
        return p

    from .exporters import EXPORTERS  # the registry only; exporters import on use

    s = sub.add_parser("export", help="write the graph as RDF, SKOS, ArchiMate or EA-tool CSV",
                       epilog="formats: " + "; ".join(f"{e.name}: {e.description}" for e in EXPORTERS.values()))
    s.add_argument("--format", "-f", choices=sorted(EXPORTERS), default="turtle")
    s.add_argument("--reasoned", action="store_true", help="include the OWL 2 RL entailments")
    s.add_argument("--output", "-o", metavar="PATH",
                   help="output file, or - for standard output; a directory for archi-csv")
    s.add_argument("--with-links", action="append", metavar="FILE",
                   help="add a user graph (e.g. from 'etom-kg link') so its applications are exported too (repeatable)")
    s.add_argument("--prefix", default="", help="archi-csv: prefix of the three file names")
    s.add_argument("--bom", action="store_true", help="archi-csv, sparx-csv: start files with a UTF-8 byte-order mark")
    s.set_defaults(func=cmd_export)

    _add_info(sub)

    import importlib

    for name in COMMAND_MODULES:  # each registers its sub-commands; heavy imports stay inside handlers
        importlib.import_module(f"etom_kg.commands.{name}").register(sub)
    return p


def _add_info(sub) -> None:
    s = sub.add_parser("info", help="version, triple counts and processes per level")
    add_store_option(s)
    s.set_defaults(func=cmd_info)


# Commands whose parser needs neither the exporters nor the feature commands.
LEAN_COMMANDS = ("queries", "query", "ask", "sparql", "info")


def _command(argv: list[str] | None) -> str | None:
    """The sub-command named on the command line (the first word that is not an option)."""
    return next((a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")), None)


# Feature commands live in etom_kg/commands/<name>.py, each with register(subparsers).
COMMAND_MODULES = ("store", "validate", "interop", "remote", "site")


def main(argv: list[str] | None = None) -> int:
    _STARTED.clear()
    try:
        _start_reading(sys.argv[1:] if argv is None else argv)
    except Exception:  # noqa: BLE001 - only a head start: the command meets any real error itself
        _STARTED.clear()
    parser = build_parser(_command(argv))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except EtomKgError as e:
        if args.debug:
            raise
        return _fail(str(e), e.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("etom-kg: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except MemoryError as e:
        if args.debug:
            raise
        detail = f" ({e})" if str(e) else ""
        return _fail(f"out of memory: the input or the answer is too large{detail}", EXIT_USAGE)
    except RecursionError:
        if args.debug:
            raise
        return _fail("the input is nested too deeply to process", EXIT_USAGE)
    except OSError as e:
        if args.debug:
            raise
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        return _fail(f"{where}{e.strerror or e}", EXIT_USAGE)
    except Exception as e:  # a bug: one line, never a traceback that looks like "errors found"
        if args.debug:
            raise
        return _fail(f"internal error ({type(e).__name__}: {e}); please report it, with --debug for the traceback",
                     EXIT_INTERNAL)


def console() -> None:
    """The ``etom-kg`` program (and ``python -m etom_kg``): :func:`main`, and for the lean
    read-only commands a short process's start and end. The collector stays off while
    they run (its passes over the names tables cost ~2 ms), and once the output is flushed
    the process ends at once (``os._exit``) instead of tearing down the interpreter, which
    cost a 40 ms query 5 ms: those commands leave nothing to clean up (files are written
    atomically before main returns). Every other command exits normally."""
    argv = sys.argv[1:]
    lean = _command(argv) in LEAN_COMMANDS
    if lean:
        import gc

        gc.disable()
    code = main(argv)
    if not lean:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader went away, or the stream is closed
            pass
        except OSError as e:  # the output could not be written (a full disk)
            if stream is sys.stdout:
                code = _fail(f"cannot write the output: {e.strerror or e}", EXIT_USAGE)
                try:
                    sys.stderr.flush()
                except (OSError, ValueError):
                    pass
    import os

    os._exit(code)


def _fail(message: str, code: int) -> int:
    line = " ".join(message.split()) if "\n" not in message.strip() else message
    sys.stderr.write(f"etom-kg: error: {line}\n")
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
