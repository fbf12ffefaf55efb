"""What the site shows, read from the graph with the stored competency queries.

Every fact on a page comes from a query in ``queries/cq`` run through
:func:`etom_kg.api.run_stored`; nothing here knows a process by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..api import run_stored
from ..namespaces import PROC
from ..queries import catalog

LANGS = ("en", "es")

# The order of the vertical groupings on the eTOM Operations poster, left to right. It is
# presentation, not a fact of the graph (the verticals have no classic id to sort by);
# a vertical the graph adds later goes after these, by English label.
POSTER_COLUMNS = tuple(
    PROC + name
    for name in ("OperationsSupportAndReadiness", "Fulfillment", "Assurance", "BillingAndRevenueManagement")
)

_SAFE_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def slug(iri: str) -> str:
    """A stable file name for a process page: the local name of a proc: IRI."""
    if iri.startswith(PROC) and _SAFE_SLUG.match(iri[len(PROC):]):
        return iri[len(PROC):]
    import hashlib

    return "p-" + hashlib.sha256(iri.encode("utf-8")).hexdigest()[:16]


def flow_slug(iri: str) -> str:
    """A stable file name for a flow page: the local name of its etomc: IRI."""
    local = re.split(r"[#/]", iri)[-1]
    if _SAFE_SLUG.match(local):
        return local
    import hashlib

    return "f-" + hashlib.sha256(iri.encode("utf-8")).hexdigest()[:16]


def id_key(classic_id: str) -> tuple:
    """Sort key for classic ids: 1.1.1.10 after 1.1.1.9, processes without an id last."""
    if not classic_id:
        return (1,)
    return (0, *(int(part) if part.isdigit() else part for part in classic_id.split(".")))


@dataclass(frozen=True)
class Text:
    """A bilingual text; ``es`` falls back to ``en`` when the graph has no Spanish."""

    en: str
    es: str

    def get(self, lang: str) -> str:
        return self.es if lang == "es" else self.en


@dataclass(frozen=True)
class Ref:
    """Something a page links to or names: an IRI with its labels."""

    iri: str
    label: Text


@dataclass(frozen=True)
class Responsibility:
    iri: str
    label: Text
    asserted: bool


@dataclass(frozen=True)
class ApplicationLink:
    iri: str
    label: str
    relation: str  # realizes | serves | supports | contributes


@dataclass(frozen=True)
class TmfLink:
    """A link of a process to an ODA block, Open API, SID ABE or end-to-end flow (issue 12)."""

    kind: str  # block | api | abe | flow
    iri: str
    tmf_id: str
    label: Text
    how: str  # stated | via block | inherited | through a part


@dataclass(frozen=True)
class Flow:
    """An end-to-end business flow and the Operations processes its source lists, in order."""

    iri: str
    slug: str
    label: Text
    stream: Text
    members: tuple  # ((position, process iri), ...)


@dataclass
class Process:
    iri: str
    slug: str
    classic_id: str
    r16_id: str
    level: int
    label: Text
    definition: Text | None
    parent: str | None
    deprecated: bool
    replaced_by: list = field(default_factory=list)
    alt_labels: dict = field(default_factory=dict)
    lineage_note: str = ""
    lineage_note_es: str = ""  # when the graph has the note in Spanish too
    inferred: bool = False
    project_translation: bool = False
    sources: list = field(default_factory=list)
    later_names: list = field(default_factory=list)
    lineage_statuses: list = field(default_factory=list)
    kind: str = "process"  # process | vertical | horizontal | area
    verticals: list = field(default_factory=list)
    children: list = field(default_factory=list)
    responsibilities: list = field(default_factory=list)
    supports: list = field(default_factory=list)
    supported_by: list = field(default_factory=list)
    invokes: list = field(default_factory=list)
    invoked_by: list = field(default_factory=list)
    reaches: list = field(default_factory=list)  # invoked through a chain, not directly
    reached_from: list = field(default_factory=list)
    channels: list = field(default_factory=list)
    applications: list = field(default_factory=list)
    tmf_links: list = field(default_factory=list)  # TmfLink
    v21_id: str = ""  # the GB921 v21 identifier, when the process has one

    @property
    def sort_key(self) -> tuple:
        return (self.level, id_key(self.classic_id), self.label.en)


@dataclass(frozen=True)
class MatrixEntry:
    """A Level-2 process on the Operations map: its row and the columns it spans."""

    process: str
    horizontal: str
    verticals: tuple


@dataclass(frozen=True)
class OntologyTerm:
    iri: str
    kind: str
    label: Text
    definition: Text | None
    parents: tuple
    domains: tuple
    ranges: tuple
    inverse: str
    transitive: bool


@dataclass(frozen=True)
class Topic:
    iri: str
    label: Text
    broader: str
    processes: int


@dataclass
class SiteModel:
    processes: dict  # iri -> Process, every process of the graph (deprecated ones too)
    verticals: list  # iris, poster order
    horizontals: list  # iris, classic-id order
    area: str | None  # the Level-0 process the groupings belong to (Operations)
    matrix: list  # MatrixEntry, deprecated processes only when asked for
    topic_index: dict  # normalised topic -> sorted process iris (superseded ones too)
    topic_names: dict  # normalised topic -> one of its names, for display
    topics: list  # Topic
    ontology_terms: list  # OntologyTerm
    has_applications: bool
    include_deprecated: bool
    flows: list = field(default_factory=list)  # Flow
    # grouping / Level-0 area iri -> its row of the coverage-by-grouping report (with applications only)
    grouping_coverage: dict = field(default_factory=dict)
    lineage_status_es: dict = field(default_factory=dict)  # English status label -> Spanish one
    coverage_gaps: set = field(default_factory=set)  # the processes of the coverage-gaps report

    def process(self, iri: str) -> Process:
        return self.processes[iri]

    def ordered(self, iris) -> list:
        """Processes for ``iris`` that the graph knows, in level / classic-id order."""
        return sorted((self.processes[i] for i in set(iris) if i in self.processes), key=lambda p: p.sort_key)

    def visible(self, iris) -> list:
        return [p for p in self.ordered(iris) if self.include_deprecated or not p.deprecated]


# --------------------------------------------------------------------------- reading


def _records(backend, name: str, **params) -> list[dict]:
    return run_stored(catalog("cq").get(name), backend, params).records()


def _text(en: str, es: str) -> Text:
    return Text(en, es or en)


def collect(backend, asserted, *, include_deprecated: bool = False, applications: bool = False) -> SiteModel:
    """Run the stored queries the site needs over ``backend`` (the reasoned graph) and
    ``asserted`` (the same graph without entailments, for the ontology reference)."""
    processes: dict[str, Process] = {}
    for r in _records(backend, "process-details", include_deprecated=True):
        if r["process"] in processes:
            # a second definition or parent in the same language: the first one is shown;
            # every lineage note is (rows come in a total order, so pages are byte-stable)
            known = processes[r["process"]]
            if r["lineage_note"] and r["lineage_note"] not in known.lineage_note:
                known.lineage_note = f"{known.lineage_note} {r['lineage_note']}".strip()
            if r["lineage_note_es"] and r["lineage_note_es"] not in known.lineage_note_es:
                known.lineage_note_es = f"{known.lineage_note_es} {r['lineage_note_es']}".strip()
            continue
        definition = _text(r["definition_en"], r["definition_es"]) if r["definition_en"] else None
        processes[r["process"]] = Process(
            iri=r["process"], slug=slug(r["process"]), classic_id=r["id"], r16_id=r["r16_id"],
            level=int(r["level"]), label=_text(r["label_en"], r["label_es"]), definition=definition,
            parent=r["parent"] or None, deprecated=bool(r["deprecated"]), lineage_note=r["lineage_note"],
            lineage_note_es=r["lineage_note_es"],
            inferred=bool(r["inferred"]), project_translation=bool(r["project_translation"]),
        )
    for r in _records(backend, "process-other-names"):
        if r["process"] in processes and r["lang"] in LANGS:
            processes[r["process"]].alt_labels.setdefault(r["lang"], []).append(r["name"])
    for r in _records(backend, "process-sources"):
        if r["process"] in processes:
            processes[r["process"]].sources.append(r["source"])
    for r in _records(backend, "deprecated-processes"):
        if r["process"] in processes and r["replaced_by"]:
            processes[r["process"]].replaced_by.append(r["replaced_by"])

    verticals, horizontals, area = _groupings(backend, processes)
    _add_hierarchy(backend, processes, include_deprecated)
    _add_relations(backend, processes, include_deprecated)
    _add_v21_ids(backend, processes)
    matrix = _matrix(backend, processes, include_deprecated, verticals)

    topic_index: dict[str, list] = {}
    topic_names: dict[str, str] = {}
    # superseded processes are indexed too (each process says whether it is superseded): the
    # map's "superseded" filter shows or hides them without a second index
    for r in _records(backend, "topic-index", include_deprecated=True):
        topic_index.setdefault(r["key"], []).append(r["process"])
        topic_names[r["key"]] = min(topic_names.get(r["key"], r["topic_name"]), r["topic_name"])
    # Processes are found by their own names and ids as well (classic, v21, R16; English,
    # Spanish, synonyms): the same search keys the resolver uses (etom_kg.search).
    from ..search import resolver_for
    from ..text import fold

    resolver = resolver_for(backend, "etom:Process")
    for name in resolver.names:
        if name.iri in processes:
            key = fold(name.text)
            topic_index.setdefault(key, []).append(name.iri)
            topic_names[key] = min(topic_names.get(key, name.text), name.text)
    topics = [
        Topic(r["responsibility"], _text(r["label_en"], r["label_es"]), r["broader"], int(r["processes"]))
        for r in _records(backend, "topics")
    ]
    terms = _ontology_terms(asserted)
    if applications:
        for r in _records(backend, "process-applications"):
            if r["process"] in processes:
                processes[r["process"]].applications.append(
                    ApplicationLink(r["application"], r["application_label"], r["relation"])
                )
    for r in _records(backend, "process-tmf-links"):
        if r["process"] in processes:
            processes[r["process"]].tmf_links.append(
                TmfLink(r["kind"], r["target"], r["tmf_id"], _text(r["label_en"], r["label_es"]), r["how"]))
    flows = [
        Flow(r["flow"], flow_slug(r["flow"]), _text(r["label_en"], r["label_es"]), _text(r["stream_en"], r["stream_es"]),
             tuple((int(x["position"]), x["process"]) for x in _records(backend, "processes-of-flow", flow=r["flow"])))
        for r in _records(backend, "flows")
    ]
    grouping_coverage, coverage_gaps = {}, set()
    if applications:  # the statement of a grouping page is a row of `etom-kg coverage`, same query
        report = catalog("reports").get("coverage-by-grouping")
        grouping_coverage = {r["grouping"]: r for r in run_stored(
            report, backend, {"include_deprecated": include_deprecated}).records()}
        # every page's process, superseded ones too (the flag filters rows, not a status)
        coverage_gaps = {r["process"] for r in run_stored(
            catalog("reports").get("coverage-gaps"), backend, {"include_deprecated": True}).records()}
    lineage_status_es = {r["label_en"]: r["label_es"] for r in _records(backend, "lineage-summary")}
    return SiteModel(
        flows=flows, grouping_coverage=grouping_coverage, lineage_status_es=lineage_status_es, coverage_gaps=coverage_gaps,
        processes=processes, verticals=verticals, horizontals=horizontals, area=area, matrix=matrix,
        topic_index={k: sorted(set(v)) for k, v in sorted(topic_index.items())},
        topic_names=dict(sorted(topic_names.items())), topics=topics,
        ontology_terms=terms, has_applications=applications, include_deprecated=include_deprecated,
    )


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _ontology_terms(asserted) -> list[OntologyTerm]:
    rows: dict[str, list[dict]] = {}
    for r in _records(asserted, "ontology-terms"):
        rows.setdefault(r["term"], []).append(r)

    def values(group: list[dict], column: str) -> tuple:
        return tuple(sorted({r[column] for r in group if r[column]}))

    terms = []
    for iri, group in rows.items():
        r = group[0]
        terms.append(OntologyTerm(
            iri=iri, kind=r["kind"], label=_text(r["label_en"] or _local(iri), r["label_es"]),
            definition=_text(r["definition_en"], r["definition_es"]) if r["definition_en"] else None,
            parents=values(group, "parent"), domains=values(group, "domain"), ranges=values(group, "range"),
            inverse=(values(group, "inverse") or ("",))[0], transitive=bool(r["transitive"]),
        ))
    return terms


def _groupings(backend, processes: dict) -> tuple[list, list, str | None]:
    verticals, horizontals = [], []
    for r in _records(backend, "groupings"):
        p = processes.get(r["grouping"])
        if p is None:
            continue
        if r["kind"] == "vertical":
            p.kind = "vertical"
            verticals.append(p)
        else:
            p.kind = "horizontal"
            horizontals.append(p)
    known = {iri: i for i, iri in enumerate(POSTER_COLUMNS)}
    verticals.sort(key=lambda p: (known.get(p.iri, len(known)), p.label.en))
    horizontals.sort(key=lambda p: p.sort_key)
    parents = {p.parent for p in verticals + horizontals if p.parent}
    for iri in parents:
        processes[iri].kind = "area"
    area = sorted(parents)[0] if len(parents) == 1 else None
    return [p.iri for p in verticals], [p.iri for p in horizontals], area


def _add_hierarchy(backend, processes: dict, include_deprecated: bool) -> None:
    order = {iri: i for i, iri in enumerate(POSTER_COLUMNS)}
    # children are the inverse of the parents process-details read (the children query,
    # run once per process, would answer the same at a third of the build time)
    for p in sorted(processes.values(), key=lambda p: p.sort_key):
        if p.parent in processes and (include_deprecated or not p.deprecated):
            processes[p.parent].children.append(p.iri)
    for p in processes.values():
        p.verticals = sorted(
            (r["vertical"] for r in _records(backend, "verticals-of-process", process=p.iri)),
            key=lambda v: (order.get(v, len(order)), v),
        )
        p.responsibilities = [
            Responsibility(r["responsibility"], _text(r["label_en"], r["label_es"]), bool(r["asserted"]))
            for r in _records(backend, "responsibilities-of-process", process=p.iri)
        ]


def _add_relations(backend, processes: dict, include_deprecated: bool) -> None:
    def add(attr: str, owner: str, other: str) -> None:
        if owner in processes and other not in getattr(processes[owner], attr):
            getattr(processes[owner], attr).append(other)

    for r in _records(backend, "supports", include_deprecated=include_deprecated):
        add("supports", r["supporter"], r["supported"])
        add("supported_by", r["supported"], r["supporter"])
    for r in _records(backend, "invocations", include_deprecated=include_deprecated):
        if r["direct"]:
            add("invokes", r["caller"], r["callee"])
            add("invoked_by", r["callee"], r["caller"])
        else:
            add("reaches", r["caller"], r["callee"])
            add("reached_from", r["callee"], r["caller"])
    for r in _records(backend, "channels"):
        if r["process"] in processes:
            processes[r["process"]].channels.append(Ref(r["channel"], _text(r["channel_en"], r["channel_es"])))
    for r in _records(backend, "lineage"):
        p = processes.get(r["process"])
        if p is None:
            continue
        if r["later_name"] and r["later_name"] not in p.later_names:
            p.later_names.append(r["later_name"])
        if r["status"] and r["status"] not in p.lineage_statuses:
            p.lineage_statuses.append(r["status"])


def _matrix(backend, processes: dict, include_deprecated: bool, verticals: list) -> list:
    rows: dict[tuple, set] = {}
    for r in _records(backend, "matrix", include_deprecated=include_deprecated):
        cols = rows.setdefault((r["process"], r["horizontal"]), set())
        if r["vertical"]:
            cols.add(r["vertical"])
    column = {v: i for i, v in enumerate(verticals)}
    entries = [
        MatrixEntry(proc, horizontal, tuple(sorted((v for v in cols if v in column), key=column.get)))
        for (proc, horizontal), cols in rows.items()
        if proc in processes
    ]
    return sorted(entries, key=lambda e: processes[e.process].sort_key)


# --------------------------------------------------------------------------- map: v21 ids (issue 14)


def _add_v21_ids(backend, processes: dict) -> None:
    """The GB921 v21 id of every process that has one: GB921 v21 files each under a domain, so
    the domains and their members (the stored domain-members query) give every v21 id."""
    for d in _records(backend, "domains"):
        for r in _records(backend, "domain-members", domain=d["domain"]):
            p = processes.get(r["process"])
            if p is not None and r["v21_id"] and (not p.v21_id or r["v21_id"] < p.v21_id):
                p.v21_id = r["v21_id"]  # the smallest, should a process ever have two
