"""Bring your applications: link an application inventory to eTOM processes.

Inputs are an inventory CSV (columns ``application``, ``process`` and optionally
``relation``), an ArchiMate exchange file or Archi CSV files exported from an EA tool
(ApplicationComponents serving or realising BusinessProcesses). The output is a user graph
of ``etom:Application`` individuals linked with ``etom:servesProcess``,
``etom:realizesProcess`` or ``etom:supportsProcess``, and a report that accounts for every
input row: matched, unlinked (an application with no process given), unmatched, ambiguous
or malformed, each with its file and line.

A process is found by its classic id, its R16 id (``classic:1.1.1.6`` or ``r16:1.3.7``
pick one numbering when an id exists in both), its IRI, or a label in English or
Spanish, ignoring case, accents, punctuation and ``&``/``and``/``y``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import InputError
from .namespaces import ETOM, ETOMC, PROC, RDFS, SKOS

RELATIONS = {"serves": "servesProcess", "realizes": "realizesProcess", "supports": "supportsProcess"}
RELATION_ALIASES = {
    "serves": "serves", "serve": "serves", "serving": "serves",
    "realizes": "realizes", "realises": "realizes", "realize": "realizes", "realise": "realizes",
    "realization": "realizes", "realisation": "realizes",
    "supports": "supports", "support": "supports", "": "supports",
}
COLUMN_ALIASES = {
    "application": "application", "app": "application", "system": "application",
    "process": "process", "etom process": "process", "etom_process": "process",
    "relation": "relation", "kind": "relation", "relation kind": "relation", "relation_kind": "relation",
}
PROBLEMS = ("unmatched", "ambiguous", "malformed")
STATUSES = ("matched", "unlinked", *PROBLEMS)
DEFAULT_BASE = "urn:etom-kg:app:"
MULTI_SEPARATOR = "|"
DOTTED_ID = re.compile(r"^\d+(?:\.\d+)*$")
ID_THEN_NAME = re.compile(r"^(\d+(?:\.\d+)+)\s*[-–—:]?\s*(.+)$")
BEHAVIOUR_TYPES = ("BusinessProcess", "BusinessFunction", "BusinessInteraction")
ARCHIMATE_RELATIONS = {"Serving": "serves", "Realization": "realizes", "Association": "supports"}
APP = "ApplicationComponent"



@dataclass
class Row:
    """One accounted input record (a CSV row, or an ArchiMate relationship or element)."""

    source: str
    line: int
    application: str
    process_text: str
    relation: str
    status: str = "matched"
    process: str = ""
    candidates: tuple = ()
    message: str = ""
    keys: tuple = field(default=(), repr=False)  # an ArchiMate element's identifying texts


@dataclass
class LinkResult:
    rows: list = field(default_factory=list)
    applications: dict = field(default_factory=dict)  # IRI -> label
    links: set = field(default_factory=set)  # (application IRI, relation, process IRI)
    notes: list = field(default_factory=list)  # file-level remarks (ignored columns, relationships)
    collisions: list = field(default_factory=list)  # (first name, other name, IRI) that share an IRI

    def problems(self) -> list:
        return [r for r in self.rows if r.status in PROBLEMS]

    def counts(self) -> dict:
        return {s: sum(1 for r in self.rows if r.status == s) for s in STATUSES}

    def graph(self):
        """The user graph: applications and their links, as a new rdflib graph."""
        import rdflib
        from rdflib import Literal, URIRef

        g = rdflib.Graph()
        g.bind("etom", ETOM)
        g.bind("proc", PROC)
        g.bind("rdfs", RDFS)
        for app, label in self.applications.items():
            g.add((URIRef(app), rdflib.RDF.type, URIRef(f"{ETOM}Application")))
            g.add((URIRef(app), URIRef(f"{RDFS}label"), Literal(label)))
        for app, relation, process in self.links:
            g.add((URIRef(app), URIRef(f"{ETOM}{RELATIONS[relation]}"), URIRef(process)))
        return g

    def turtle(self, base: str = DEFAULT_BASE) -> bytes:
        from .exporters.turtle import to_turtle_bytes
        from .namespaces import PREFIXES

        prefixes = {p: PREFIXES[p] for p in ("etom", "proc", "rdfs")}
        if base.endswith(("/", "#", ":")):
            prefixes["app"] = base
        sources = sorted({Path(r.source).name for r in self.rows})
        header = "Applications linked to eTOM by etom-kg link from: " + ", ".join(sources)
        return to_turtle_bytes(self.graph(), prefixes, header=header)


# --------------------------------------------------------------------------- matching


def normalize(text: str) -> str:
    """The search key (:func:`etom_kg.text.fold`: lower case, no accents, punctuation as
    spaces), with '&' and Spanish 'y' read as 'and'."""
    from .text import fold

    return " ".join("and" if w == "y" else w for w in fold(text.replace("&", " and ")).split())


class ProcessIndex:
    """Finds eTOM processes by id, IRI or label in an rdflib graph of the ontology."""

    def __init__(self, graph):
        from rdflib import Literal, URIRef

        from .exporters.processes import preferred_labels, process_iris

        self.labels: dict = {}
        self.deprecated: dict = {}
        self.classic: dict = {}
        self.r16: dict = {}
        self.names: dict = {}
        self.synonyms: dict = {}
        processes = process_iris(graph)
        self.iris = {str(p) for p in processes}
        for p in processes:
            iri = str(p)
            labels = preferred_labels(graph, p)
            self.labels[iri] = str(labels.get("en") or next(iter(labels.values())))
            if (p, URIRef("http://www.w3.org/2002/07/owl#deprecated"), Literal(True)) in graph:
                replaced = graph.value(p, URIRef("http://purl.org/dc/terms/isReplacedBy"))
                self.deprecated[iri] = str(replaced) if replaced else ""
            for prop, table in ((f"{ETOM}classicId", self.classic), (f"{ETOM}r16Id", self.r16)):
                for value in graph.objects(p, URIRef(prop)):
                    table.setdefault(str(value).strip(), set()).add(iri)
            for prop, table in ((f"{RDFS}label", self.names), (f"{SKOS}prefLabel", self.names),
                                (f"{SKOS}altLabel", self.synonyms), (f"{SKOS}hiddenLabel", self.synonyms)):
                for value in graph.objects(p, URIRef(prop)):
                    if isinstance(value, Literal):
                        table.setdefault(normalize(str(value)), set()).add(iri)

    def describe(self, iri: str) -> str:
        from .exporters.processes import local_name

        return f"{self.labels.get(iri, local_name(iri))} <{iri}>"

    def find(self, text: str) -> set:
        """The candidate processes for ``text`` (empty: no match)."""
        text = text.strip()
        if not text:
            return set()
        scheme, _, rest = text.partition(":")
        if scheme.lower() in ("classic", "r16") and DOTTED_ID.match(rest.strip()):
            return set((self.classic if scheme.lower() == "classic" else self.r16).get(rest.strip(), ()))
        if text.startswith("proc:"):
            text = PROC + text[5:]
        if text.startswith(("http://", "https://", "urn:")):
            return {text} if text in self.iris else set()
        if DOTTED_ID.match(text):
            return self.classic.get(text, set()) | self.r16.get(text, set())
        m = ID_THEN_NAME.match(text)
        if m:
            by_id = self.find(m.group(1))
            by_name = self.find_name(m.group(2))
            both = by_id & by_name
            return both or by_id or by_name
        return self.find_name(text)

    def find_name(self, text: str) -> set:
        key = normalize(text)
        return set(self.names.get(key) or self.synonyms.get(key) or ())

    def resolve(self, row: Row) -> None:
        """Set the row's status, process and candidates from its process text."""
        found = self.find(row.process_text)
        current = {p for p in found if p not in self.deprecated}
        if len(found) > 1 and len(current) == 1:
            row.message = "also matches deprecated " + ", ".join(self.describe(p) for p in sorted(found - current))
            found = current
        if not found:
            row.status, row.message = "unmatched", f"no eTOM process has the id, IRI or label {row.process_text!r}"
        elif len(found) > 1:
            row.status, row.candidates = "ambiguous", tuple(sorted(found))
            row.message = "matches " + "; ".join(self.describe(p) for p in row.candidates) + \
                " (prefix the id with classic: or r16:, or give the label)"
        else:
            row.status, row.process = "matched", next(iter(found))
            if row.process in self.deprecated:
                replaced = self.deprecated[row.process]
                row.message = "deprecated" + (f"; replaced by {self.describe(replaced)}" if replaced else "")


# --------------------------------------------------------------------------- inputs


# Characters a name may hold and still be named by its readable slug alone: letters and
# digits of any script, spaces and the usual separators. Any other (C++ vs C, C# vs C,
# "=cmd") adds a short hash of the exact name, so different names never share an IRI.
_PLAIN_NAME = re.compile(r"[\w\s.,'&()/-]*")
_IRI_FORBIDDEN = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f-\x9f\ufff0-\uffff]")


def _slug(name: str) -> str:
    """Lower case, accents dropped, words of any script joined by '-'."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().replace("&", " and ")
    words = [w for w in re.split(r"[\W_]+", unicodedata.normalize("NFC", text)) if w]
    return "-".join("and" if w == "y" else w for w in words)


def application_iri(name: str, base: str = DEFAULT_BASE) -> str:
    """A stable IRI for an application name: the readable slug (``CRM Suite`` ->
    ``crm-suite``, ``计费系统`` -> ``计费系统``), plus ``-`` and 8 hex digits of the name's
    SHA-256 when the slug drops characters that tell names apart (``C++ Billing``) or
    is empty. Names that still meet (``CRM Suite`` / ``crm suite``) are reported by
    :func:`link` as collisions."""
    import hashlib

    exact = " ".join(unicodedata.normalize("NFC", name).split())
    slug = _slug(exact)
    if not slug or not _PLAIN_NAME.fullmatch(exact) or _IRI_FORBIDDEN.search(slug):
        digest = hashlib.sha256(exact.encode("utf-8")).hexdigest()[:8]
        slug = "".join(c for c in slug if not _IRI_FORBIDDEN.match(c))
        slug = f"{slug}-{digest}" if slug else f"application-{digest}"
    return base + slug


def check_base(base: str) -> str:
    """--base: an absolute IRI with only characters IRIs allow (RFC 3987)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|\\^`\x7f-\x9f]*", base or ""):
        bad = sorted({repr(c) for c in re.findall(r"[\x00-\x20<>\"{}|\\^`\x7f-\x9f]", base or "")})
        detail = f" (not allowed in an IRI: {', '.join(bad)})" if bad else " (expected scheme:..., e.g. urn:example:app:)"
        raise InputError(f"--base {base!r} is not an absolute IRI{detail}")
    return base


def read_inventory(path: Path) -> tuple[list, list]:
    """(rows, notes) from an inventory CSV; rows are not yet matched."""
    from .archimate.archi_csv import numbered_records, read_text

    text = read_text(path)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    rows, notes, header = [], [], None
    for start, record in numbered_records(text, delimiter, str(path)):
        if not any(cell.strip() for cell in record) or record[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [COLUMN_ALIASES.get(" ".join(h.lower().replace("_", " ").split())) for h in record]
            missing = [c for c in ("application", "process") if c not in header]
            if missing:
                raise InputError(f"{path}:{start}: the header needs columns application and process "
                                 f"(optional: relation); missing: {', '.join(missing)}")
            doubled = sorted({c for c in header if c and header.count(c) > 1})
            if doubled:
                raise InputError(f"{path}:{start}: column {doubled[0]!r} given twice")
            ignored = [h for h, k in zip(record, header) if k is None]
            if ignored:
                notes.append(f"{path}: columns not used: {', '.join(ignored)}")
            continue
        cells = dict(zip(header, record))
        app = (cells.get("application") or "").strip()
        process = (cells.get("process") or "").strip()
        relation_text = (cells.get("relation") or "").strip()
        row = Row(str(path), start, app, process, relation_text)
        if len(record) != len(header):
            rows.append(_malformed(row, f"{len(record)} fields, the header has {len(header)}"))
            continue
        if not app:
            rows.append(_malformed(row, "no application name"))
            continue
        relation = RELATION_ALIASES.get(relation_text.lower())
        if relation is None:
            rows.append(_malformed(row, f"relation {relation_text!r} is not one of serves, realizes, supports"))
            continue
        row.relation = relation
        parts = [p.strip() for p in process.split(MULTI_SEPARATOR)] if process else [""]
        for part in parts:
            rows.append(Row(str(path), start, app, part, relation, status="" if part else "unlinked"))
    if header is None:
        raise InputError(f"{path}: empty file (no header)")
    return rows, notes


def _malformed(row: Row, message: str) -> Row:
    row.status, row.message = "malformed", message
    return row


def read_archimate(path: Path) -> tuple[list, list, dict]:
    """(rows, notes, {application name: IRI from its properties}) from an exchange file
    or Archi CSV files; each application-to-behaviour relationship is one row."""
    from .archimate import archi_csv, exchange
    from .archimate.model import PROP_IRI, PROP_LINK, text_in

    model = archi_csv.read(path) if path.suffix.lower() == ".csv" or path.is_dir() else exchange.read(path)
    source = str(path)
    elements = {e.id: e for e in model.elements}

    def is_app(e) -> bool:
        # ODA functional blocks of the eTOM graph are ApplicationComponents too (issue 12), but
        # they are TM Forum's building blocks, not applications of the user's landscape.
        return e is not None and e.type == APP and not (e.property(PROP_IRI) or "").startswith(ETOMC)

    apps = [e for e in model.elements if is_app(e)]
    iris = {text_in(e.names): e.property(PROP_IRI) for e in apps if e.property(PROP_IRI)}
    rows, linked, ignored = [], set(), 0
    for r in model.relationships:
        s, t = elements.get(r.source), elements.get(r.target)
        app, other = (s, t) if is_app(s) else (t, s) if is_app(t) else (None, None)
        if app is None:
            ignored += 1
            continue
        if other is not None and other.type not in BEHAVIOUR_TYPES:
            ignored += 1  # an application's data, interfaces, nodes...: not process support
            continue
        linked.add(app.id)
        row = Row(source, r.line, text_in(app.names), "", "supports")
        rows.append(row)
        if other is None:
            missing = r.target if app is s else r.source
            _malformed(row, f"{r.type} {r.id!r} refers to {missing!r}, which is not an element of the model")
            continue
        row.process_text = text_in(other.names) or other.id
        link_property = next((v for k, v in r.properties if k == PROP_LINK), "")
        kind = {v: k for k, v in RELATIONS.items()}.get(link_property) or ARCHIMATE_RELATIONS.get(r.type)
        if kind is None or (r.type != "Association" and app is not s):
            _malformed(row, f"{r.type} from {s.type} to {t.type} is not application support "
                            "(use Serving or Realization from the ApplicationComponent)")
            continue
        row.relation, row.status, row.keys = kind, "", tuple(_process_keys(other))
    for e in apps:
        if e.id not in linked:
            rows.append(Row(source, e.line, text_in(e.names), "", "supports", status="unlinked",
                            message="no Serving or Realization to a business process"))
    notes = [f"{path}: {ignored} relationships not between an application and a business process were not used"] if ignored else []
    return rows, notes, iris


def _process_keys(element) -> list:
    """What identifies a business process element, best first: its IRI property, id-like
    properties, then its names in every language."""
    keys = []
    for key, value in element.properties:
        k = key.lower()
        if value.startswith(PROC) or k == "iri":
            keys.insert(0, value)
        elif "r16" in k and DOTTED_ID.match(value.strip()):
            keys.append(f"r16:{value.strip()}")
        elif "classic" in k and DOTTED_ID.match(value.strip()):
            keys.append(f"classic:{value.strip()}")
        elif ("id" in k.split() or "etom" in k or "identifier" in k) and DOTTED_ID.match(value.strip()):
            keys.append(value.strip())
    keys += [t.value for t in element.names if t.value]
    return keys


# --------------------------------------------------------------------------- linking


def link(paths, *, base: str = DEFAULT_BASE, ontology=None) -> LinkResult:
    """Read every input, match its processes, and build the user graph's content."""
    from .graph import load_ontology

    check_base(base)
    index = ProcessIndex(ontology if ontology is not None else load_ontology())
    result = LinkResult()
    seen: dict = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if _is_archimate(path):
            rows, notes, iris = read_archimate(path)
            for row in rows:
                if row.status == "":
                    _match_keys(index, row)
        else:
            rows, notes = read_inventory(path)
            iris = {}
            for row in rows:
                if row.status == "":
                    index.resolve(row)
        result.notes += notes
        for row in rows:
            if row.status in ("matched", "unlinked") and row.application:
                iri = iris.get(row.application) or application_iri(row.application, base)
                known = result.applications.setdefault(iri, row.application)
                if " ".join(known.split()) != " ".join(row.application.split()):
                    clash = (known, row.application, iri)
                    if clash not in result.collisions:
                        result.collisions.append(clash)
                if row.status == "matched":
                    key = (iri, row.relation, row.process)
                    if key in seen:
                        row.message = (row.message + "; " if row.message else "") + f"same link as {seen[key]}"
                    else:
                        seen[key] = f"{row.source}:{row.line}"
                    result.links.add(key)
        result.rows += rows
    return result


def _is_archimate(path: Path) -> bool:
    if path.is_dir() or path.suffix.lower() in (".xml", ".archimate"):
        return True
    if path.suffix.lower() == ".csv":
        try:
            first = path.read_bytes()[:200].decode("utf-8-sig", errors="replace").split("\n", 1)[0]
        except OSError:
            return False
        return normalize(first).split()[:2] == ["id", "type"]
    return False


def _match_keys(index: ProcessIndex, row: Row) -> None:
    """Try each identifying key of an ArchiMate element until one matches."""
    last = None
    for key in row.keys:
        probe = Row(row.source, row.line, row.application, key, row.relation)
        index.resolve(probe)
        if probe.status == "matched":
            row.status, row.process, row.message = "matched", probe.process, probe.message
            return
        last = last or (probe if probe.status == "ambiguous" else None)
    if last is not None:
        row.status, row.candidates, row.message = "ambiguous", last.candidates, last.message
    else:
        row.status = "unmatched"
        row.message = f"no eTOM process matches business process {row.process_text!r} by IRI, id or name"


# --------------------------------------------------------------------------- reporting


def report(result: LinkResult, fmt: str = "table") -> str:
    counts = result.counts()
    if fmt == "json":
        return json.dumps({
            "summary": {**counts, "applications": len(result.applications), "links": len(result.links)},
            "notes": result.notes,
            "collisions": [{"names": [a, b], "iri": iri} for a, b, iri in result.collisions],
            "rows": [{k: v for k, v in asdict(r).items() if k != "keys"} | {"candidates": list(r.candidates)}
                     for r in result.rows],
        }, indent=2, ensure_ascii=False) + "\n"
    if fmt != "table":
        raise InputError(f"unknown report format {fmt!r}; valid: json, table")
    table = [("where", "status", "application", "process given", "result")]
    for r in sorted(result.rows, key=lambda r: (r.source, r.line)):
        outcome = r.process and (r.process.replace(PROC, "proc:")) or ""
        if r.message:
            outcome = f"{outcome} ({r.message})" if outcome else r.message
        table.append((f"{r.source}:{r.line}", r.status, r.application, r.process_text, outcome))
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4] for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 6)
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    lines += ["", f"{len(result.rows)} rows: {summary}; {len(result.applications)} applications, "
                  f"{len(result.links)} links", *result.notes, *collision_messages(result)]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def collision_messages(result: LinkResult) -> list:
    return [f"names {a!r} and {b!r} give the same IRI <{iri}>: treated as one application"
            for a, b, iri in result.collisions]


def strict_failure(result: LinkResult) -> str | None:
    """The error message --strict raises, or None when every row matched or is unlinked
    and no two application names share an IRI."""
    problems = result.problems()
    if not problems:
        if result.collisions:
            return "; ".join(collision_messages(result)) + " (--strict)"
        return None
    shown = "; ".join(f"{r.source}:{r.line}: {r.status}: {r.message}" for r in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return f"{len(problems)} rows could not be linked (--strict): {shown}{more}"
