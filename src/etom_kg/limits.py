"""Limits on what one input or query may cost, checked *before* a parser sees it.

The parsers underneath (pyoxigraph's Rust parsers, rdflib's pyparsing) recurse on nesting
and some expand XML entities: a 1 KB file or query can exhaust memory or overflow the
native stack, which kills the process (no Python exception to catch). So the cheap
checks here run first and refuse with an InputError/QueryError (exit 2) naming the file:

* RDF/XML: the document is read once by expat, which refuses external entities here and
  stops entity amplification ("billion laughs") itself; element nesting is bounded.
  Plain internal entities, as Protégé writes them for namespaces, are accepted.
* JSON-LD: nesting of objects and arrays is bounded.
* SPARQL: nesting of groups, parentheses and brackets, and the size of the text.
* An empty RDF/XML or JSON-LD file is an error (not well-formed; the parser would accept it).

The numbers are in the README's safety section; tests/test_hostile.py holds them to it.
"""

from __future__ import annotations

import math
import re
import threading
from itertools import accumulate

from .errors import InputError, QueryError

MAX_NESTING = 256  # JSON-LD objects/arrays, RDF/XML elements
MAX_QUERY_NESTING = 64  # { } ( ) [ ] in a SPARQL query
MAX_QUERY_BYTES = 1 << 20  # 1 MiB of SPARQL text
MAX_SECONDS = 7 * 24 * 3600  # the largest --timeout accepted
DEFAULT_LOCAL_TIMEOUT = 300.0  # seconds for a local sparql/query (generous)
DEFAULT_MAX_ROWS = 1_000_000  # rows (or triples) a local sparql returns
MAX_QUESTION_WORDS = 64  # words of a question `ask` reads (every reading aligns and resolves them)


# --------------------------------------------------------------------------- numbers


def seconds(text: str) -> float:
    """argparse type of every --timeout: a finite, positive number of seconds (≤ one week)."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise _argument_error(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0 or value > MAX_SECONDS:
        raise _argument_error(f"expected a number of seconds above 0 and at most {MAX_SECONDS}, got {text!r}")
    return value


def _argument_error(message: str):
    import argparse

    return argparse.ArgumentTypeError(message)


def check_seconds(value, option: str = "timeout") -> float:
    """The same rule for the library's keyword arguments."""
    try:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and 0 < value <= MAX_SECONDS
    except TypeError:
        ok = False
    if not ok:
        raise InputError(f"{option} must be a number of seconds above 0 and at most {MAX_SECONDS}, got {value!r}")
    return float(value)


# --------------------------------------------------------------------------- RDF files


def check_rdf_file(path: Path, fmt) -> None:  # noqa: F821 (pathlib is not imported: 3 ms of a cold query)
    """Refuse an RDF file that would make the parser exhaust memory or its stack."""
    kind = _kind(fmt)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    if size == 0 and kind:
        # An empty Turtle or N-Triples file is a valid empty graph; an empty XML or JSON
        # document is not well-formed (the parser would quietly accept it).
        raise InputError(f"{path}: empty file (0 bytes): not a {fmt.name} document")
    if kind == "xml":
        check_xml_file(path)
    elif kind == "json":
        check_json_file(path)


def _kind(fmt) -> str:
    import pyoxigraph as ox

    return {ox.RdfFormat.RDF_XML: "xml", ox.RdfFormat.JSON_LD: "json"}.get(fmt, "")


def check_rdf_bytes(data: bytes, fmt, where: str, error=InputError) -> None:
    """The same checks for RDF received as bytes (a remote server's answer)."""
    import io

    kind = _kind(fmt)
    if kind == "xml":
        check_xml(io.BytesIO(data), where, error=error)
    elif kind == "json" and json_depth(data) > MAX_NESTING:
        raise error(f"{where}: refused: JSON nested more than {MAX_NESTING} deep")


def check_xml_file(path: Path, max_depth: int = MAX_NESTING) -> None:  # noqa: F821
    try:
        with open(path, "rb") as f:
            check_xml(f, str(path), max_depth)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None


def check_xml(stream, where: str, max_depth: int = MAX_NESTING, error=InputError) -> None:
    """Read an XML document once with expat: no external entities, no entity amplification,
    bounded nesting. Raises InputError naming the file and line."""
    import pyexpat

    parser = pyexpat.ParserCreate()
    depth = 0

    class Refused(Exception):
        pass

    def start(name, attrs):
        nonlocal depth
        depth += 1
        if depth > max_depth:
            raise Refused(f"elements nested more than {max_depth} deep")

    def end(name):
        nonlocal depth
        depth -= 1

    def entity(name, is_parameter, value, base, system_id, public_id, notation):
        if is_parameter:
            raise Refused(f"parameter entity %{name}; is not accepted")
        if system_id is not None or value is None:
            raise Refused(f"external entity &{name}; is not accepted (it could read local files or the network)")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.EntityDeclHandler = entity
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.ParseFile(stream)
    except Refused as e:
        raise error(f"{where}:{parser.CurrentLineNumber}: refused: {e}") from None
    except pyexpat.ExpatError as e:
        text = pyexpat.ErrorString(e.code) if e.code else str(e)
        if "amplification" in text:
            raise error(f"{where}:{e.lineno}: refused: XML entities expand too much (an entity-expansion attack?)") from None
        raise error(f"{where}:{e.lineno}: malformed XML: {text}") from None


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


def json_depth(data: bytes) -> int:
    """The deepest nesting of objects and arrays (strings skipped), without recursion."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", data))
    if not brackets:
        return 0
    return max(accumulate(1 if c in (91, 123) else -1 for c in brackets))


def check_json_file(path: Path, max_depth: int = MAX_NESTING) -> None:  # noqa: F821
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    depth = json_depth(data)
    if depth > max_depth:
        raise InputError(f"{path}: refused: JSON nested {depth} deep (at most {max_depth})")


# --------------------------------------------------------------------------- SPARQL


def check_query(text: str) -> None:
    """Refuse a query whose size or nesting would crash the parser (QueryError, exit 2)."""
    if not isinstance(text, str):
        raise QueryError(f"a query is text, got {type(text).__name__}")
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_QUERY_BYTES:
        raise QueryError(f"the query is {size} bytes long; at most {MAX_QUERY_BYTES} are accepted")
    from .queries import _mask

    masked = _mask(text)
    brackets = _NOT_BRACKET_TEXT.sub("", masked)
    depth = max(accumulate(1 if c in "{([" else -1 for c in brackets), default=0)
    if depth > MAX_QUERY_NESTING:
        raise QueryError(f"the query nests groups, parentheses or brackets {depth} deep; at most {MAX_QUERY_NESTING} are accepted")


_NOT_BRACKET_TEXT = re.compile(r"[^\[\](){}]+")


# --------------------------------------------------------------------------- time


def run_with_timeout(function, timeout: float | None, what: str = "the query"):
    """Call ``function()`` in a worker thread; wait at most ``timeout`` seconds.

    The main thread waits in short slices, so Ctrl-C interrupts it (KeyboardInterrupt)
    even while the native query engine holds no Python frame. On timeout QueryError is
    raised; the abandoned evaluation cannot be stopped from Python and finishes in its
    daemon thread (the CLI exits right away).
    """
    if timeout is None:
        return function()
    done = threading.Event()
    outcome: dict = {}

    def work():
        try:
            outcome["value"] = function()
        except BaseException as e:  # handed to the caller's thread
            # Without its traceback: the frames hold the engine's result iterator, which
            # must be dropped on this thread (pyoxigraph's objects are not sendable).
            outcome["error"] = e.with_traceback(None)
            e.__context__ = e.__cause__ = None
        finally:
            done.set()

    worker = threading.Thread(target=work, name="etom-kg-query", daemon=True)
    worker.start()
    if not done.wait(timeout):
        raise QueryError(f"{what} did not finish within {timeout:g} s (raise --timeout, or narrow the query)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
