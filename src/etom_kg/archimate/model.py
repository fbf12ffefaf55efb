"""The ArchiMate model etom-kg writes, and how the eTOM graph maps onto it.

Mapping (ArchiMate 3.1):

* every eTOM process, at every level, is a **BusinessProcess**. eTOM defines the Level-0
  areas and the Level-1 vertical and horizontal groupings as processes too, and the
  ArchiMate definition fits them: "a sequence of business behaviors that achieves a
  specific result" (§8.3.1). A *Grouping* (§4.3.1) only aggregates concepts; it is not
  behaviour, so it could not carry the groupings' own relationships (a vertical such as
  Operations Support & Readiness serves the others; Customer Relationship Management
  triggers Service Management & Operations) or be served by an application. A
  *BusinessFunction* would suit the horizontal groupings, but then the verticals and
  horizontals of one matrix would have different types for no gain in the exchange;
  the level is kept as a property instead;
* decomposition (``etom:directlyPartOf``) is **Composition**, parent to child;
* membership of a vertical grouping (``etom:inVertical``) is **Aggregation**, vertical to
  process: a process has one parent but may sit in several verticals;
* ``etom:supports`` is **Serving** and ``etom:invokes`` is **Triggering** (a causal,
  temporal hand-over), both allowed between business processes;
* applications (``etom:Application``) are **ApplicationComponent**s:
  ``etom:servesProcess`` → **Serving**, ``etom:realizesProcess`` → **Realization**
  (automation, §12.1), a bare ``etom:supportsProcess`` → Serving;
* the companion TM Forum frameworks (issue 12): ODA functional blocks are
  **ApplicationComponent**s, Open APIs **ApplicationInterface**s and SID ABEs
  **DataObject**s. A block **aggregates** the APIs it exposes (Aggregation, not Composition:
  one API sits in several blocks), **serves** the processes GB1022 assigns to it and
  **accesses** its ABEs; a process **accesses** the ABEs GB991 maps to it, and an API a
  source states for a process **serves** it. Candidate APIs derived through a block are not
  drawn: the block's aggregation already says it. End-to-end flows stay in the RDF exports.

Every relationship is checked against :mod:`etom_kg.archimate.rules` when it is built.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ..errors import InputError
from ..namespaces import DCTERMS, ETOM, ONTOLOGY_IRI, OWL, RDFS, SKOS
from . import rules

MODEL_ID = "etom-kg-operations"
PROP_IRI, PROP_CLASSIC, PROP_R16, PROP_LEVEL = "IRI", "eTOM classic id", "eTOM R16 id", "eTOM level"
PROP_DEPRECATED, PROP_REPLACED_BY, PROP_LANGUAGE = "Deprecated", "Replaced by", "Language"
PROP_LINK = "eTOM link"  # on application relationships: servesProcess, realizesProcess or supportsProcess
PROP_TMF_ID, PROP_SID_DOMAIN = "TM Forum id", "SID domain"
# etom class -> (ArchiMate element type, identifier prefix), for the companion frameworks
FRAMEWORK_TYPES = (("FunctionalBlock", "ApplicationComponent", "block"),
                   ("OpenApi", "ApplicationInterface", "api"),
                   ("AggregateBusinessEntity", "DataObject", "abe"))
PROPERTY_TYPES = {PROP_LEVEL: "number", PROP_DEPRECATED: "boolean"}  # others: string
ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Text:
    """A name, label or documentation in one language ("" when the language is unknown)."""

    lang: str
    value: str


@dataclass(frozen=True)
class Element:
    id: str
    type: str
    names: tuple = ()
    documentation: tuple = ()
    properties: tuple = ()  # ((property name, value), ...)
    line: int = field(default=0, compare=False)  # where a reader found it

    def name(self, lang: str = "en") -> str:
        return text_in(self.names, lang)

    def property(self, key: str) -> str | None:
        return next((v for k, v in self.properties if k == key), None)


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str  # ArchiMate name, without the "Relationship" suffix
    source: str
    target: str
    names: tuple = ()
    documentation: tuple = ()
    properties: tuple = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Folder:
    labels: tuple
    members: tuple = ()  # ids of elements or relationships
    folders: tuple = ()


@dataclass(frozen=True)
class Model:
    id: str
    names: tuple
    documentation: tuple = ()
    elements: tuple = ()
    relationships: tuple = ()
    folders: tuple = ()
    properties: tuple = ()
    metadata: tuple = ()  # ((Dublin Core term, value), ...)

    def element(self, element_id: str) -> Element | None:
        return self._elements().get(element_id)

    def _elements(self) -> dict:
        return {e.id: e for e in self.elements}


def text_in(texts, lang: str = "en") -> str:
    """The text in ``lang``, else the one without language, else the first; "" if none."""
    for wanted in (lang, ""):
        for t in texts:
            if t.lang == wanted:
                return t.value
    return texts[0].value if texts else ""


def texts(by_lang: dict) -> tuple:
    """English first, then the other languages alphabetically."""
    return tuple(Text(lang, str(v)) for lang, v in sorted(by_lang.items(), key=lambda kv: (kv[0] != "en", kv[0])))


# --------------------------------------------------------------------------- identifiers


def concept_ids(prefix: str, iris) -> dict:
    """{IRI: identifier}, stable, valid as xs:ID and as an Archi CSV id ([A-Za-z0-9._-]+).

    The IRI's last part is kept when it is safe and unique; otherwise it is cleaned and a
    short digest of the whole IRI keeps the identifiers apart.
    """
    from collections import Counter

    from ..exporters.processes import local_name

    locals_ = {iri: local_name(str(iri)) for iri in iris}
    clashes = Counter(locals_.values())
    out = {}
    for iri, local in locals_.items():
        cleaned = ID_CHARS.sub("_", local) or "x"
        if cleaned != local or clashes[local] > 1:
            cleaned = f"{cleaned}-{_digest(str(iri))}"
        out[iri] = f"{prefix}-{cleaned}"
    return out


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def relationship_id(kind: str, source: str, target: str) -> str:
    return f"rel-{kind.lower()}.{source}.{target}"


# --------------------------------------------------------------------------- eTOM -> model


def build_model(graph) -> Model:
    """The ArchiMate model of ``graph``: its processes, applications and their relations."""
    from rdflib import Literal, URIRef

    from ..exporters.processes import levels, preferred_labels, process_iris

    etom = lambda local: URIRef(f"{ETOM}{local}")  # noqa: E731 - a short local helper
    processes = process_iris(graph)
    process_set = set(processes)
    level = levels(graph)
    apps = _applications(graph)
    ids = {**concept_ids("etom", processes), **concept_ids("app", apps)}
    framework = {cls: _instances(graph, cls) for cls, _type, _prefix in FRAMEWORK_TYPES}
    for cls, _type, prefix in FRAMEWORK_TYPES:
        ids.update(concept_ids(prefix, framework[cls]))

    def documentation(node) -> tuple:
        found: dict = {}
        for prop in (f"{SKOS}definition", f"{DCTERMS}description", f"{RDFS}comment"):
            for d in sorted(graph.objects(node, URIRef(prop)), key=str):
                if isinstance(d, Literal):
                    found.setdefault(d.language or "", d)
        return texts(found)

    def sort_key(p):
        classic = graph.value(p, etom("classicId"))
        return (level[p], _natural(str(classic)) if classic else (), str(p))

    elements = []
    for p in sorted(processes, key=sort_key):
        props = [(PROP_IRI, str(p))]
        for key, prop in ((PROP_CLASSIC, "classicId"), (PROP_R16, "r16Id")):
            for value in sorted(graph.objects(p, etom(prop)), key=str):
                props.append((key, str(value)))
        props.append((PROP_LEVEL, str(level[p])))
        if (p, URIRef(f"{OWL}deprecated"), Literal(True)) in graph:
            props.append((PROP_DEPRECATED, "true"))
            for r in sorted(graph.objects(p, URIRef(f"{DCTERMS}isReplacedBy")), key=str):
                props.append((PROP_REPLACED_BY, str(r)))
        elements.append(Element(ids[p], "BusinessProcess", texts(preferred_labels(graph, p)), documentation(p), tuple(props)))
    for a in apps:
        elements.append(Element(ids[a], "ApplicationComponent", texts(preferred_labels(graph, a)), documentation(a),
                                ((PROP_IRI, str(a)),)))
    for cls, archimate_type, _prefix in FRAMEWORK_TYPES:
        for x in framework[cls]:
            props = [(PROP_IRI, str(x))]
            props += [(PROP_TMF_ID, str(v)) for v in sorted(graph.objects(x, etom("tmfId")), key=str)]
            for domain in sorted(graph.objects(x, etom("inSidDomain")), key=str):
                props.append((PROP_SID_DOMAIN, text_in(texts(preferred_labels(graph, domain)))))
            kind = preferred_labels(graph, URIRef(f"{ETOM}{cls}"))
            ident = ", ".join(v for k, v in props if k == PROP_TMF_ID)
            docs = documentation(x) or texts({lang: f"{label[:1].upper()}{label[1:]} {ident}." for lang, label in kind.items() if lang})
            elements.append(Element(ids[x], archimate_type, texts(preferred_labels(graph, x)), docs, tuple(props)))
    types = {e.id: e.type for e in elements}

    relationships = []

    def relate(kind: str, source, target, properties=()) -> None:
        s, t = ids[source], ids[target]
        if not rules.allowed(types[s], types[t], kind):  # pragma: no cover - the mapping above only uses allowed pairs
            raise InputError(f"ArchiMate does not allow {kind} from {types[s]} to {types[t]} ({source} -> {target})")
        relationships.append(Relationship(relationship_id(kind, s, t), kind, s, t, properties=tuple(properties)))

    for child, parent in _pairs(graph, etom("directlyPartOf"), process_set, process_set):
        relate("Composition", parent, child)
    for process, vertical in _pairs(graph, etom("inVertical"), process_set, process_set):
        relate("Aggregation", vertical, process)
    for a, b in _pairs(graph, etom("supports"), process_set, process_set):
        relate("Serving", a, b)
    for a, b in _pairs(graph, etom("invokes"), process_set, process_set):
        relate("Triggering", a, b)
    app_set = set(apps)
    _check_links(graph, app_set, process_set)
    serves = set(_pairs(graph, etom("servesProcess"), app_set, process_set))
    realizes = set(_pairs(graph, etom("realizesProcess"), app_set, process_set))
    plain = set(_pairs(graph, etom("supportsProcess"), app_set, process_set)) - serves - realizes
    links = [(a, p, "Serving", "servesProcess") for a, p in serves]
    links += [(a, p, "Serving", "supportsProcess") for a, p in plain]
    links += [(a, p, "Realization", "realizesProcess") for a, p in realizes]
    for a, p, kind, prop in sorted(links, key=lambda t: (t[2], str(t[0]), str(t[1]))):
        # The property keeps the eTOM relation, so a bare etom:supportsProcess survives a round trip.
        relate(kind, a, p, ((PROP_LINK, prop),))

    blocks, apis, abes = (set(framework[cls]) for cls, _t, _p in FRAMEWORK_TYPES)
    tmf_links = (("exposesApi", blocks, apis, "Aggregation", False), ("inFunctionalBlock", process_set, blocks, "Serving", True),
                 ("usesApi", process_set, apis, "Serving", True), ("managesEntity", blocks, abes, "Access", False),
                 ("handlesEntity", process_set, abes, "Access", False))
    for prop, subjects, objects, kind, reverse in tmf_links:
        for s, o in _pairs(graph, etom(prop), subjects, objects):
            # a process *in* a block / *using* an API is served by it: the relationship runs the other way
            relate(kind, *((o, s) if reverse else (s, o)), ((PROP_LINK, prop),))

    return Model(
        id=MODEL_ID,
        names=_ontology_texts(graph, f"{DCTERMS}title") or (Text("en", "eTOM Operations"),),
        documentation=_ontology_texts(graph, f"{DCTERMS}description"),
        elements=tuple(elements),
        relationships=tuple(relationships),
        folders=_folders(graph, processes, apps, ids, elements, relationships,
                         [(labels, tuple(ids[x] for x in framework[cls])) for cls, labels in FRAMEWORK_FOLDERS if framework[cls]]),
        metadata=_metadata(graph),
    )


def _applications(graph) -> list:
    query = f"""SELECT DISTINCT ?a WHERE {{
        ?a a ?c . ?c <{RDFS}subClassOf>* <{ETOM}Application> . FILTER(isIRI(?a)) }}"""
    return sorted((row[0] for row in graph.query(query)), key=str)


def _instances(graph, local: str) -> list:
    from rdflib import RDF, URIRef

    return sorted((x for x in graph.subjects(RDF.type, URIRef(f"{ETOM}{local}")) if isinstance(x, URIRef)), key=str)


def _pairs(graph, predicate, subjects: set, objects: set) -> list:
    return sorted(((s, o) for s, o in graph.subject_objects(predicate) if s in subjects and o in objects),
                  key=lambda t: (str(t[0]), str(t[1])))


def _check_links(graph, apps: set, processes: set) -> None:
    """An application link to something that is not an eTOM process is an input error,
    not a relationship to leave out quietly."""
    from rdflib import URIRef

    for local in ("supportsProcess", "servesProcess", "realizesProcess"):
        for a, p in sorted(graph.subject_objects(URIRef(f"{ETOM}{local}")), key=lambda t: (str(t[0]), str(t[1]))):
            if a in apps and p not in processes:
                raise InputError(f"application <{a}> is linked by etom:{local} to <{p}>, which is not an eTOM process")


def _ontology_texts(graph, prop: str) -> tuple:
    from rdflib import Literal, URIRef

    found = {}
    for value in sorted(graph.objects(URIRef(ONTOLOGY_IRI), URIRef(prop)), key=str):
        if isinstance(value, Literal):
            found.setdefault(value.language or "", value)
    return texts(found)


def _metadata(graph) -> tuple:
    from rdflib import URIRef

    title = text_in(_ontology_texts(graph, f"{DCTERMS}title")) or "eTOM Operations"
    rights = text_in(_ontology_texts(graph, f"{RDFS}comment"))
    out = [("title", title), ("creator", "etom-kg"), ("source", ONTOLOGY_IRI)]
    for license_ in sorted(graph.objects(URIRef(ONTOLOGY_IRI), URIRef(f"{DCTERMS}license")), key=str):
        out.append(("rights", str(license_)))
    if rights:
        out.append(("rights", rights))
    return tuple(out)


FOLDER_LABELS = {
    "Business": (Text("en", "Business"),),  # Archi matches its top-level folders by this English name
    "Application": (Text("en", "Application"),),
    "Relations": (Text("en", "Relations"),),
}
RELATION_FOLDERS = (
    ("Composition", {"en": "eTOM decomposition", "es": "Descomposición de eTOM"}),
    ("Aggregation", {"en": "eTOM vertical groupings", "es": "Agrupaciones verticales de eTOM"}),
    ("Serving", {"en": "Serving", "es": "Servicio"}),
    ("Triggering", {"en": "eTOM invocations", "es": "Invocaciones de eTOM"}),
    ("Realization", {"en": "Realization", "es": "Realización"}),
)


FRAMEWORK_FOLDERS = (
    ("FunctionalBlock", {"en": "ODA functional blocks", "es": "Bloques funcionales de ODA"}),
    ("OpenApi", {"en": "TM Forum Open APIs", "es": "API abiertas de TM Forum"}),
    ("AggregateBusinessEntity", {"en": "SID aggregate business entities", "es": "Entidades de negocio agregadas del SID"}),
)
TMF_PREFIXES = tuple(f"{prefix}-" for _c, _t, prefix in FRAMEWORK_TYPES)


def _folders(graph, processes, apps, ids, elements, relationships, framework_folders=()) -> tuple:
    """Folders mirroring the Level-0 areas and, inside them, the Level-1 groupings; every
    process sits in exactly one folder (a grouping's folder holds all its descendants)."""
    from rdflib import URIRef

    names = {e.id: e.names for e in elements}
    part_of = URIRef(f"{ETOM}directlyPartOf")
    process_set = set(processes)
    children: dict = {}
    for p in processes:
        parent = graph.value(p, part_of)
        if parent in process_set:
            children.setdefault(parent, []).append(p)
    order = {e.id: i for i, e in enumerate(elements)}

    def descendants(p) -> list:
        out, stack = [], list(children.get(p, []))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(children.get(node, []))
        return sorted((ids[d] for d in out), key=order.get)

    placed: set = set()
    area_folders = []
    roots = [p for p in processes if graph.value(p, part_of) not in process_set]
    for root in sorted(roots, key=lambda p: order[ids[p]]):
        sub = []
        for grouping in sorted(children.get(root, []), key=lambda p: order[ids[p]]):
            members = (ids[grouping], *descendants(grouping))
            placed.update(members)
            sub.append(Folder(names[ids[grouping]], members))
        placed.add(ids[root])
        area_folders.append(Folder(names[ids[root]], (ids[root],), tuple(sub)))
    loose = tuple(ids[p] for p in processes if ids[p] not in placed)
    loose = tuple(sorted(loose, key=order.get))
    top = [Folder(FOLDER_LABELS["Business"], loose, tuple(area_folders))]
    application = [Folder(texts(labels), members) for labels, members in framework_folders]
    if apps:
        application.insert(0, Folder(texts({"en": "Applications linked to eTOM", "es": "Aplicaciones enlazadas con eTOM"}),
                                     tuple(ids[a] for a in apps)))
    if application:
        top.append(Folder(FOLDER_LABELS["Application"], (), tuple(application)))
    by_kind = {}
    for r in relationships:
        kind = r.type
        if r.source.startswith(TMF_PREFIXES) or r.target.startswith(TMF_PREFIXES):
            kind = "tmf"
        elif kind in ("Serving", "Realization") and r.source.startswith("app-"):
            kind = f"application {kind}"
        by_kind.setdefault(kind, []).append(r.id)
    relation_folders = []
    for kind, labels in RELATION_FOLDERS:
        if by_kind.get(kind):
            relation_folders.append(Folder(texts(labels), tuple(by_kind[kind])))
    app_rels = [*by_kind.get("application Serving", []), *by_kind.get("application Realization", [])]
    if app_rels:
        relation_folders.append(Folder(texts({"en": "Application support", "es": "Soporte de aplicaciones"}),
                                       tuple(app_rels)))
    if by_kind.get("tmf"):
        relation_folders.append(Folder(texts({"en": "TM Forum links", "es": "Enlaces con TM Forum"}), tuple(by_kind["tmf"])))
    if relation_folders:
        top.append(Folder(FOLDER_LABELS["Relations"], (), tuple(relation_folders)))
    return tuple(top)


def _natural(text: str) -> tuple:
    """Sort key for dotted identifiers: 1.1.10 after 1.1.9."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in text.split("."))
