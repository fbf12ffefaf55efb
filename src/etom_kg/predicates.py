"""Which predicates can a SPARQL query read? A conservative scan of the query text.

A triple pattern or property path whose predicates are all constants can only match
triples with those predicates. So when every predicate position of a query is a constant,
the query's answer over a graph equals its answer over the graph's triples whose
predicate the query mentions — which lets a cold ``etom-kg query`` parse a third of the
embedded graph instead of all of it (:class:`etom_kg.store.EmbeddedBackend`).

:func:`scan` also finds the predicates that the query only ever uses in the plain form
``subject P ?var`` (objects all variables, no path): once those variables are bound to
values (a stored query's parameters are substituted in every group that uses them, see
:func:`etom_kg.queries.inject_values`), only the triples of ``P`` with those objects can
match, so only their buckets of the cache need parsing (:mod:`etom_kg.cache`).

:func:`query_predicates` returns that set (every IRI the query mentions, a superset), or
None — read everything — whenever it cannot be sure: a variable that may stand in a
predicate position, a negated property set (``!``), ``DESCRIBE``, ``SERVICE``, a relative
IRI or an undeclared prefix. A wrong None only costs time; the tests compare every stored
query's answers on the partial and on the full graph.
"""

from __future__ import annotations

import re

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

_TOKEN = re.compile(
    r"""(?P<ws>\s+|\#[^\n]*)
      | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$]\w+)
      | (?P<pname>(?:[^\W\d_][\w.-]*)?:(?:[\w.:%-]|\\.)*)
      | (?P<bnode>_:[\w.-]+)
      | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
      | (?P<op>\^\^|!=|<=|>=|&&|\|\||[{}()\[\].,;|/^*+?!=<>-])
    """,
    re.VERBOSE,
)
_TERMS = ("iri", "var", "pname", "bnode", "string", "number")
# Words after which a run of variables is a list (projection, GROUP/ORDER BY), not a pattern.
_LIST_WORDS = {"SELECT", "BY", "DISTINCT", "REDUCED"}
# A '!' before these starts an expression, not a negated property set.
_EXPRESSION_AFTER_BANG = ("var", "word")


def _tokens(text: str):
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"unexpected character {text[pos]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            yield kind, m.group(kind)


# What ends an object list: the end of a triple (., ;, ]) or of the group (or a keyword).
_END_OF_OBJECTS = (".", ";", "]", "}")
_SCANS: dict = {}


def query_predicates(text: str, prefixes: dict | None = None) -> frozenset | None:
    """Every IRI ``text`` mentions (predicates among them), or None when a predicate
    position may be a variable or the scan is unsure."""
    return scan(text, prefixes)[0]


def scan(text: str, prefixes: dict | None = None) -> tuple:
    """``(iris, lookups)``: :func:`query_predicates`'s answer, and a dict mapping each IRI
    that the query mentions only as the predicate of ``subject IRI ?v1, ?v2 …`` triples to
    the names of those object variables (empty when ``iris`` is None). Memoised: a query
    is scanned when prefetched and again when run."""
    key = (text, tuple(sorted((prefixes or {}).items())))
    if key not in _SCANS:
        if len(_SCANS) > 256:
            _SCANS.clear()
        _SCANS[key] = _scan(text, prefixes)
    return _SCANS[key]


def _objects(tokens: list, i: int):
    """The variables of a plain object list starting at ``tokens[i]``, or None."""
    names = []
    while i < len(tokens) and tokens[i][0] == "var":
        names.append(tokens[i][1][1:])
        after = tokens[i + 1] if i + 1 < len(tokens) else ("op", "}")
        if after[0] == "word" or after[1] in _END_OF_OBJECTS:
            return names
        if after[1] != ",":  # another object follows a comma
            return None
        i += 2
    return None


def _scan(text: str, prefixes: dict | None):
    try:
        tokens = list(_tokens(text))
    except ValueError:
        return None, {}
    declared = dict(prefixes or {})
    iris = set()
    lookups: dict = {}  # IRI -> object variable names; None once it is met in another form
    depth = 0
    in_list = False
    parens = []  # for each open '(': does it follow a word (a call: FILTER, BIND, STR, …)?
    after_call = set()  # positions of ')' that close a call, not an RDF collection
    for i, (kind, value) in enumerate(tokens):
        prev = tokens[i - 1] if i else ("", "")
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if kind == "word":
            upper = value.upper()
            if upper in ("DESCRIBE", "SERVICE", "BASE"):
                return None, {}
            if upper == "PREFIX":
                if nxt[0] != "pname" or i + 2 >= len(tokens) or tokens[i + 2][0] != "iri":
                    return None, {}
                declared[nxt[1][:-1]] = tokens[i + 2][1][1:-1]
            in_list = upper in _LIST_WORDS or (in_list and upper in ("AS", "COUNT", "SUM", "MIN", "MAX",
                                                                        "AVG", "SAMPLE", "GROUP_CONCAT"))
            if value == "a":
                iris.add(RDF_TYPE)
            continue
        if kind == "op":
            if value == "{":
                depth += 1
                in_list = False
            elif value == "}":
                depth -= 1
                in_list = False
            elif value == "(":
                parens.append(prev[0] == "word")
            elif value == ")":
                if parens and parens.pop():
                    after_call.add(i)
            elif value == "!" and nxt[0] not in _EXPRESSION_AFTER_BANG:
                return None, {}  # a negated property set reads every other predicate
            continue
        iri = None
        if kind == "iri":
            iri = value[1:-1]
            if ":" not in iri:
                return None, {}  # relative: resolved against a base we do not track
        elif kind == "pname":
            if prev == ("word", "PREFIX") or (prev[0] == "word" and prev[1].upper() == "PREFIX"):
                continue
            prefix, _, local = value.partition(":")
            if prefix not in declared:
                return None, {}
            iri = declared[prefix] + local.rstrip(".").replace("\\", "")
        elif kind == "var" and depth > 0 and not in_list:
            before = prev[0] in _TERMS or prev[1] in (";", "[", "]") or (prev[1] == ")" and i - 1 not in after_call)
            after = nxt[0] in _TERMS or nxt[1] in ("[", "(") or nxt[1].lower() in ("true", "false")
            if before and after:
                return None, {}  # ?s ?p ?o: a variable predicate
        if iri is not None:
            iris.add(iri)
            plain = depth > 0 and not in_list and (prev[0] in ("iri", "pname", "var", "bnode") or prev[1] in (";", "[", "]"))
            names = _objects(tokens, i + 1) if plain else None
            if names is None or lookups.get(iri, ()) is None:
                lookups[iri] = None
            else:
                lookups[iri] = lookups.get(iri, frozenset()) | frozenset(names)
    return frozenset(iris), {k: v for k, v in lookups.items() if v is not None}
