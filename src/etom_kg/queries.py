"""Stored SPARQL queries: ``.rq`` files with a strict ``#+ key: value`` header.

A header is still valid SPARQL (every line is a comment)::

    #+ id: processes-for-topic
    #+ form: SELECT
    #+ title: Processes that handle a topic
    #+ question:
    #+   en: Which processes handle complaints?
    #+   es: ¿Qué procesos gestionan las reclamaciones?
    #+ kind: competency
    #+ ask:
    #+   en: which processes handle {topic} | who deals with {topic}
    #+   es: qué procesos gestionan {topic} | quién se encarga de {topic}
    #+ params:
    #+   topic: {type: string, required: true, match: etom:Responsibility, many: true, description: "a topic", description_es: "un tema"}
    #+ columns: process, id, label, level

Parameters are typed and always *bound* (``initBindings`` in rdflib, ``substitutions`` in
oxigraph, proper SPARQL terms in a VALUES block for remote endpoints), never spliced. They
are used at the top level of ``WHERE``, never inside a sub-SELECT (refused here), so any
client's binding reaches them. A ``match`` parameter takes free text: the term resolver
(:mod:`etom_kg.search`) turns it into the search keys of the best-matching resources of that
class (all of the best with ``many: true``). ``ask`` holds the question patterns that
``etom-kg ask`` matches (:mod:`etom_kg.ask`); each ``{slot}`` names a parameter.
"""

from __future__ import annotations

import re
from collections import namedtuple

from .errors import QueryError

KINDS = ("competency", "report", "check")
PARAM_TYPES = ("string", "integer", "boolean", "iri")
SEVERITIES = ("error", "warning", "info")
TOP_KEYS = ("id", "form", "title", "question", "kind", "params", "columns", "severity", "description", "ask")
REQUIRED_KEYS = ("id", "form", "title", "question", "kind")
PARAM_KEYS = ("type", "required", "default", "description", "description_es", "match", "many")
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
XSD = "http://www.w3.org/2001/XMLSchema#"


# collections.namedtuple, not typing.NamedTuple: importing typing costs a cold query ~4 ms.
class Param(namedtuple("Param", "name type required default description match many description_es",
                             defaults=(False, None, "", "", False, None))):
    """A typed parameter of a stored query (name, type, required, default, description in English;
    ``match``: a class whose names the resolver turns free text into search keys for; ``many``: bind
    every best match, as for a topic, not only the first, as for a process; ``description_es``: the
    description in Spanish, or None)."""

    __slots__ = ()

    def coerce(self, raw: object):
        """Turn a user value (a string from the CLI, or a Python value) into a typed value."""
        where = f"parameter {self.name!r} ({self.type})"
        if self.type == "string":
            if not isinstance(raw, str):
                raise QueryError(f"{where}: expected text, got {raw!r}")
            return raw
        if self.type == "integer":
            if isinstance(raw, bool):
                raise QueryError(f"{where}: expected an integer, got {raw!r}")
            if isinstance(raw, int):
                return raw
            if isinstance(raw, str) and re.fullmatch(r"[+-]?[0-9]+", raw.strip()):
                return int(raw)
            raise QueryError(f"{where}: expected an integer, got {raw!r}")
        if self.type == "boolean":
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
                return raw.strip().lower() in ("true", "1", "yes")
            raise QueryError(f"{where}: expected true or false, got {raw!r}")
        if self.type == "iri":
            if not isinstance(raw, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*", raw):
                raise QueryError(f"{where}: expected an absolute IRI, got {raw!r}")
            return raw
        raise QueryError(f"{where}: unknown type")  # pragma: no cover - headers are validated


class StoredQuery(namedtuple("StoredQuery", "id title question kind text path params columns severity description form ask",
                             defaults=((), (), None, "", "SELECT", {}))):
    """A parsed ``.rq`` file: header fields, the query text and its form (SELECT, ASK, …);
    ``ask`` maps a language to the question patterns (with {param} slots) of ``etom-kg ask``."""

    __slots__ = ()

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise QueryError(
            f"query {self.id!r} has no parameter {name!r}; valid: "
            + (", ".join(p.name for p in self.params) or "(none)")
        )

    def bind(self, values: dict | None = None) -> dict:
        """Validate and type the parameters; apply defaults. Returns {name: python value}."""
        values = dict(values or {})
        bound = {}
        for name in values:
            self.param(name)  # raises for unknown names
        for p in self.params:
            raw = values.get(p.name)
            if raw is not None and raw != "":
                bound[p.name] = p.coerce(raw)
            elif p.required:
                raise QueryError(f"query {self.id!r} needs parameter {p.name!r} ({p.type}); pass --param {p.name}=VALUE")
            elif p.default is not None:
                bound[p.name] = p.default
        return bound


# --------------------------------------------------------------------------- parsing


def _scalar(text: str, where: str):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"[+-]?[0-9]+", text):
        return int(text)
    if text == "":
        raise QueryError(f"{where}: empty value")
    return text


def _flow_map(text: str, where: str) -> dict:
    """Parse ``{k: v, k: "v, with comma"}`` (one level, scalar values)."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise QueryError(f"{where}: expected {{key: value, ...}}, got {text!r}")
    body, out, i = text[1:-1], {}, 0
    token = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[^,]*)\s*(?:,|$)')
    while i < len(body):
        if not body[i:].strip():
            break
        m = token.match(body, i)
        if not m:
            raise QueryError(f"{where}: cannot read {body[i:]!r}")
        key, value = m.group(1), m.group(2)
        if key in out:
            raise QueryError(f"{where}: key {key!r} given twice")
        out[key] = _scalar(value, f"{where}, key {key!r}")
        i = m.end()
    return out


def parse_header(text: str, path: str) -> dict:
    lines = [ln for ln in text.splitlines() if ln.startswith("#+")]
    if not lines:
        raise QueryError(f"{path}: no '#+' header")
    header: dict = {}
    current = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.startswith("#+"):
            continue
        where = f"{path}:{lineno}"
        body = raw[2:]
        if not body.startswith(" ") or not body.strip():
            raise QueryError(f"{where}: header lines look like '#+ key: value'")
        indent = len(body) - len(body.lstrip(" "))
        content = body.strip()
        if ":" not in content:
            raise QueryError(f"{where}: expected 'key: value', got {content!r}")
        key, _, value = content.partition(":")
        key, value = key.strip(), value.strip()
        if indent == 1:
            if key not in TOP_KEYS:
                raise QueryError(f"{where}: unknown header key {key!r}; valid: {', '.join(TOP_KEYS)}")
            if key in header:
                raise QueryError(f"{where}: header key {key!r} given twice")
            if value:
                header[key] = value
                current = None
            else:
                header[key] = {}
                current = key
        elif indent == 3 and current is not None:
            if key in header[current]:
                raise QueryError(f"{where}: {current}.{key} given twice")
            header[current][key] = value
        else:
            raise QueryError(f"{where}: unexpected indentation (top-level keys after '#+ ', nested keys after '#+   ')")
    return header


def parse_query(text: str, path: str) -> StoredQuery:
    h = parse_header(text, path)
    for key in REQUIRED_KEYS:
        if key not in h:
            raise QueryError(f"{path}: header misses {key!r}")
    qid = h["id"]
    if not isinstance(qid, str) or not ID_PATTERN.match(qid):
        raise QueryError(f"{path}: id {qid!r} must be lower-case words joined by '-'")
    question = h["question"]
    if not isinstance(question, dict) or set(question) != {"en", "es"} or not all(question.values()):
        raise QueryError(f"{path}: question needs exactly 'en' and 'es' entries")
    kind = h["kind"]
    if kind not in KINDS:
        raise QueryError(f"{path}: kind {kind!r} is not one of {', '.join(KINDS)}")
    severity = h.get("severity")
    if kind == "check":
        if severity not in SEVERITIES:
            raise QueryError(f"{path}: a check needs severity, one of {', '.join(SEVERITIES)}")
    elif severity is not None:
        raise QueryError(f"{path}: only checks have a severity")
    params = []
    raw_params = h.get("params", {})
    if not isinstance(raw_params, dict):
        raise QueryError(f"{path}: params must be a nested block")
    for name, spec_text in raw_params.items():
        if not PARAM_NAME.match(name):
            raise QueryError(f"{path}: bad parameter name {name!r}")
        spec = _flow_map(spec_text, f"{path}: parameter {name!r}")
        unknown = set(spec) - set(PARAM_KEYS)
        if unknown:
            raise QueryError(f"{path}: parameter {name!r} has unknown keys {sorted(unknown)}; valid: {', '.join(PARAM_KEYS)}")
        ptype = spec.get("type")
        if ptype not in PARAM_TYPES:
            raise QueryError(f"{path}: parameter {name!r} type {ptype!r} is not one of {', '.join(PARAM_TYPES)}")
        required = spec.get("required", False)
        if not isinstance(required, bool):
            raise QueryError(f"{path}: parameter {name!r} 'required' must be true or false")
        match, many = spec.get("match", ""), spec.get("many", False)
        if match and (ptype != "string" or not re.fullmatch(r"[a-z]+:[A-Za-z][A-Za-z0-9]*", str(match))):
            raise QueryError(f"{path}: parameter {name!r}: match needs a string parameter and a class as prefix:Name, got {match!r}")
        if not isinstance(many, bool) or (many and not match):
            raise QueryError(f"{path}: parameter {name!r}: many must be true or false, and needs match")
        description_es = spec.get("description_es")
        if description_es is not None and (not isinstance(description_es, str) or not description_es.strip()):
            raise QueryError(f"{path}: parameter {name!r}: description_es must be a non-empty quoted text")
        if description_es is not None and not str(spec.get("description", "")).strip():
            raise QueryError(f"{path}: parameter {name!r}: description_es translates description, which is missing")
        param = Param(name, ptype, required, None, str(spec.get("description", "")), str(match), many,
                      description_es)
        if "default" in spec:
            if required:
                raise QueryError(f"{path}: parameter {name!r} cannot be required and have a default")
            default = spec["default"]
            default = str(default) if ptype == "string" else default
            param = param._replace(default=param.coerce(default))
        _check_param_scope(text, name, path)
        params.append(param)
    columns = tuple(c.strip() for c in h.get("columns", "").split(",") if c.strip()) if isinstance(h.get("columns", ""), str) else None
    if columns is None:
        raise QueryError(f"{path}: columns must be a comma-separated list")
    body = _strip_comments(text)
    form_match = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE)
    if not form_match:
        raise QueryError(f"{path}: no SELECT, ASK, CONSTRUCT or DESCRIBE query form")
    # The header states the form on its second line, where clients that guess the form from the
    # text (SPARQLWrapper keeps every second comment line) meet it before any other word.
    if h["form"] != form_match.group(1).upper():
        raise QueryError(f"{path}: header form {h['form']!r} differs from the query's form {form_match.group(1).upper()}")
    if text.splitlines()[1:2] != [f"#+ form: {h['form']}"]:
        raise QueryError(f"{path}: the second line must be '#+ form: {h['form']}'")
    if params and not re.search(r"\bWHERE\s*\{", body, re.IGNORECASE):
        raise QueryError(f"{path}: a query with parameters needs an explicit WHERE {{ ... }}")
    if re.search(r"\bSERVICE\b", body, re.IGNORECASE):
        raise QueryError(f"{path}: stored queries may not use SERVICE (no network access from local queries)")
    ask = _ask_patterns(h.get("ask"), {p.name for p in params}, path)
    return StoredQuery(
        id=qid, title=h["title"], question=dict(question), kind=kind, text=text, path=path,
        params=tuple(params), columns=columns, severity=severity,
        description=h.get("description", "") if isinstance(h.get("description", ""), str) else "",
        form=form_match.group(1).upper(), ask=ask,
    )


def _ask_patterns(raw, params: set, path: str) -> dict:
    """``ask:`` with ``en:``/``es:`` lines of question patterns separated by ``|``; a slot
    ``{name}`` stands for a parameter's words. Every slot must name a parameter."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not set(raw) & {"en", "es"} or set(raw) - {"en", "es", "weight"}:
        raise QueryError(f"{path}: ask needs 'en' and/or 'es' entries of patterns separated by '|' (and optionally 'weight')")
    out = {}
    if "weight" in raw:
        if not re.fullmatch(r"(0(\.[0-9]+)?|1(\.0+)?)", raw["weight"]):
            raise QueryError(f"{path}: ask.weight must be a number from 0 to 1, got {raw['weight']!r}")
        out["weight"] = (raw["weight"],)
    for lang, line in raw.items():
        if lang == "weight":
            continue
        patterns = tuple(p.strip() for p in line.split("|"))
        for pattern in patterns:
            slots = re.findall(r"\{([^{}]*)\}", pattern)
            if not pattern or re.sub(r"\{[^{}]*\}", "", pattern).count("{") or re.sub(r"\{[^{}]*\}", "", pattern).count("}"):
                raise QueryError(f"{path}: ask.{lang}: bad pattern {pattern!r}")
            for slot in slots:
                if slot not in params:
                    raise QueryError(f"{path}: ask.{lang}: pattern {pattern!r} names {{{slot}}}, not a parameter; valid: {', '.join(sorted(params)) or '(none)'}")
        out[lang] = patterns
    return out


_STRIP = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*')


def _strip_comments(text: str) -> str:
    """The query text with comments, string literals and IRIs blanked out (for keyword checks)."""
    return _STRIP.sub(lambda m: " " if m.group(0).startswith("#") else '""', text)


def _mask(text: str) -> str:
    """The text with comments, literals and IRIs replaced by spaces, same length."""
    return _STRIP.sub(lambda m: " " * len(m.group(0)), text)


def _groups_using(masked: str, name: str, start: int) -> list[int]:
    """Offsets just after the ``{`` of every group that directly contains ``?name``."""
    opens, found = [], set()
    uses = {m.start() for m in re.finditer(r"[?$]" + re.escape(name) + r"\b", masked)}
    for i in range(start, len(masked)):
        ch = masked[i]
        if ch == "{":
            opens.append(i + 1)
        elif ch == "}":
            if opens:
                opens.pop()
        elif i in uses and opens:
            found.add(opens[-1])
    return sorted(found)


def inject_values(text: str, bindings: dict, form: str = "values") -> str:
    """Bind parameters with an inline ``VALUES`` block in every group that uses them.

    A parameter bound to a Python list of terms (a topic that names several responsibilities)
    gets one row per term.

    This gives substitution semantics (the value is seen wherever the variable appears:
    in sub-queries, UNION branches, OPTIONAL and EXISTS groups) on engines whose binding
    API does not fit (oxigraph's ``substitutions`` demand projected variables; remote
    endpoints have none). The values are RDF terms serialised by
    :meth:`etom_kg.results.Term.n3` (escaped, typed), never raw user text.

    ``form="bind"`` writes ``BIND(term AS ?name)`` in the same places instead: the same
    single solution, for Virtuoso 7.2, which deadlocks on a VALUES block next to
    ``BIND(EXISTS {…})``.
    """
    if form not in ("values", "bind"):
        raise QueryError(f"unknown binding form {form!r}; valid: values, bind")
    if not bindings:
        return text
    masked = _mask(text)
    where = re.search(r"\bWHERE\s*\{", masked, re.IGNORECASE)
    if not where:
        raise QueryError("a query with parameters needs an explicit WHERE { ... }")
    inserts: dict[int, list[str]] = {}
    for name in sorted(bindings):
        for offset in _groups_using(masked, name, where.end() - 1):
            inserts.setdefault(offset, []).append(name)
    out = text
    for offset in sorted(inserts, reverse=True):
        names = inserts[offset]
        single = [n for n in names if not isinstance(bindings[n], list)]
        several = [n for n in names if isinstance(bindings[n], list)]
        if form == "bind":
            block = " " + " ".join(f"BIND({bindings[n].n3()} AS ?{n})" for n in single) + " "
            block += "".join(
                " " + " UNION ".join(f"{{ BIND({t.n3()} AS ?{n}) }}" for t in bindings[n]) + " " for n in several
            )
        else:
            block = (
                " VALUES (" + " ".join(f"?{n}" for n in single) + ") { ("
                + " ".join(bindings[n].n3() for n in single) + ") } "
            ) if single else " "
            block += "".join(f"VALUES ?{n} {{ {' '.join(t.n3() for t in bindings[n])} }} " for n in several)
        out = out[:offset] + block + out[offset:]
    return out


def _check_param_scope(text: str, name: str, path: str) -> None:
    """A parameter is used as ``?name`` inside WHERE, never in the projection or a template."""
    masked = _mask(text)
    where = re.search(r"\bWHERE\s*\{", masked, re.IGNORECASE)
    uses = [m.start() for m in re.finditer(r"[?$]" + re.escape(name) + r"\b", masked)]
    if not uses:
        raise QueryError(f"{path}: parameter {name!r} is not used as ?{name} in the query")
    if where is None:
        raise QueryError(f"{path}: a query with parameters needs an explicit WHERE {{ ... }}")
    for pos in uses:
        if pos < where.end():
            raise QueryError(f"{path}: parameter ?{name} may only be used inside WHERE (not in the projection)")
    for m in re.finditer(r"\bAS\s+[?$]" + re.escape(name) + r"\b", masked, re.IGNORECASE):
        raise QueryError(f"{path}: parameter ?{name} may not be assigned (BIND/AS) in the query")
    depth, sub_selects = 0, []  # brace depths at which a sub-SELECT group opened
    uses_at = set(uses)
    nested = re.search(r"\{\s*SELECT\b", masked, re.IGNORECASE)
    for i, ch in enumerate(masked if nested else ""):
        if ch == "{":
            depth += 1
            if re.match(r"\{\s*SELECT\b", masked[i:], re.IGNORECASE):
                sub_selects.append(depth)
        elif ch == "}":
            if sub_selects and sub_selects[-1] == depth:
                sub_selects.pop()
            depth -= 1
        elif i in uses_at and sub_selects:
            raise QueryError(
                f"{path}: parameter ?{name} is used inside a sub-SELECT, where a client's binding "
                "(rdflib initBindings, a VALUES block after the query) does not reach; use it at the top level of WHERE"
            )


READ_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_FORMS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD")
_FORM = re.compile(r"\b(" + "|".join((*READ_FORMS, *UPDATE_FORMS, "WITH")) + r")\b", re.IGNORECASE)
# An update keyword as a keyword: not a variable (?add), a prefixed name (ex:move) or part of one.
_UPDATE_WORD = re.compile(r"(?<![?$\w:.-])(" + "|".join(UPDATE_FORMS) + r")(?![\w:.-])", re.IGNORECASE)


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT, DESCRIBE or the first update keyword ('' if none)."""
    prologue_free = re.sub(r"\bPREFIX\s+[\w.-]*:", " ", _strip_comments(text), flags=re.IGNORECASE)  # PREFIX ask: ...
    m = _FORM.search(prologue_free)
    return m.group(1).upper() if m else ""


def read_only_form(text: str) -> str:
    """The query form of a read-only query; QueryError if the text is, or contains, an update.

    Every keyword is checked, not only the first: ``SELECT * {} ; DROP ALL`` is refused
    before it reaches a server that might run it."""
    form = query_form(text)
    if form not in READ_FORMS:
        raise QueryError(f"only read-only queries ({', '.join(READ_FORMS)}) are accepted, not {form or 'this text'}")
    prologue_free = re.sub(r"\bPREFIX\s+[\w.-]*:", " ", _strip_comments(text), flags=re.IGNORECASE)
    m = _UPDATE_WORD.search(prologue_free)
    if m:
        raise QueryError(f"only read-only queries are accepted: the text contains the update keyword {m.group(1).upper()}")
    return form


def uses_service(text: str) -> bool:
    return re.search(r"\bSERVICE\b", _strip_comments(text), re.IGNORECASE) is not None


# --------------------------------------------------------------------------- catalogue


class QueryCatalog:
    """The stored queries of one folder, by id. A query's file is named ``<id>.rq``.

    Files are parsed on first use, so looking up one query reads one file.
    """

    def __init__(self, files: dict, folder: str):
        self._files = files  # id -> Traversable
        self._folder = folder
        self._parsed: dict[str, StoredQuery] = {}

    def __iter__(self):
        return iter([self.get(qid) for qid in self.ids()])

    def __len__(self):
        return len(self._files)

    def __contains__(self, qid):
        return qid in self._files

    def ids(self) -> list[str]:
        return sorted(self._files)

    def get(self, qid: str) -> StoredQuery:
        if qid not in self._parsed:
            node = self._files.get(qid)
            if node is None:
                raise QueryError(f"unknown query {qid!r}; valid: {', '.join(self.ids())}")
            path = f"queries/{self._folder}/{qid}.rq"
            q = parse_query(node.read_text(encoding="utf-8"), path)
            if q.id != qid:
                raise QueryError(f"{path}: header id {q.id!r} must match the file name {qid!r}")
            self._parsed[qid] = q
        return self._parsed[qid]


_CATALOGS: dict = {}


def catalog(subdir: str = "cq") -> QueryCatalog:
    """The packaged stored queries under ``queries/<subdir>`` (``cq``, ``checks``, ``reports``)."""
    if subdir not in _CATALOGS:
        from .resources import query_root

        folder = query_root().joinpath(subdir)
        files = {}
        if folder.is_dir():
            for node in folder.iterdir():
                if node.name.endswith(".rq"):
                    files[node.name[: -len(".rq")]] = node
        _CATALOGS[subdir] = QueryCatalog(files, subdir)
    return _CATALOGS[subdir]


_SELECT_STAR = re.compile(r"SELECT\s+(?:(?:DISTINCT|REDUCED)\s+)?\*", re.IGNORECASE)
_VARIABLE = re.compile(r"[?$](\w+)")


def projection_order(text: str, variables: list) -> list:
    """The result's variables in the order the query names them: its projection, or for
    ``SELECT *`` the order they first appear in the query (the engine sorts them by name)."""
    masked = _mask(text)  # comments, literals and IRIs blanked: only the query's own words
    select = re.search(r"\bSELECT\b", masked, re.IGNORECASE)
    if select is None or not _SELECT_STAR.match(masked, select.start()):
        return variables
    first: dict = {}
    for m in _VARIABLE.finditer(masked, select.end()):
        first.setdefault(m.group(1), m.start())
    return sorted(variables, key=lambda v: (first.get(v, len(masked)), variables.index(v)))
