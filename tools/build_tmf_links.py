#!/usr/bin/env python3
"""Compile the reviewed TM Forum link tables (ontology/tmf/*.csv) into ontology modules 71-75.

    python3 tools/build_tmf_links.py           # rewrite the modules, then run tools/assemble_ontology.py
    python3 tools/build_tmf_links.py --check   # exit 1 if a compiled module is stale
    python3 tools/build_tmf_links.py --report  # links loaded and rows skipped, per source

The tables keep TM Forum identifiers and names only (ontology/tmf/README.md). Their eTOM keys
are GB921 v21 identifiers; a row is loaded when its key is the etom:v21Id of a process of
this graph (the classic Operations processes of modules 10-69). Every other row is reported
with its reason, and `consideration` rows (the table author's own proposals) are never loaded.
Exit codes: 0 done / up to date, 1 stale (--check), 2 a table is malformed.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "ontology" / "tmf"
MODULES = ROOT / "ontology" / "modules"

ETOM = "https://w3id.org/etom-kg/ontology#"
PROC = "https://w3id.org/etom-kg/process/"
ETOMC = "https://w3id.org/etom-kg/concept/"
MAPPING = "https://w3id.org/etom-kg/mapping/"
DATAS = "https://github.com/nojaja/FrameworxDiagramViewer/blob/main/src/assets/datas/"
CITED = {
    "api": DATAS + "TM_Forum_Open_APIs.csv",
    "block": DATAS + "GB1022_ODA_Functional_Architecture_Guidebook_v1.1.0.csv",
    "flow": DATAS + "GB921E_End_to_End_Business_Flows_v20.0.1.csv",
    "mapping": DATAS + "MAPPING.csv",
}
SOURCES = ("GB1022", "GB921E", "GB991")  # the TM Forum documents; anything else is not loaded
SID_DOMAINS = {"1": "SidMarketSalesDomain", "2": "SidProductDomain", "3": "SidCustomerDomain",
               "4": "SidServiceDomain", "5": "SidResourceDomain", "6": "SidEngagedPartyDomain",
               "8": "SidCommonDomain"}
# (from_table, to_table) -> (kind, property, subject side); the subject of a link is the
# process when there is one, else the block.
KINDS = {
    ("ODA_Functional_Blocks", "eTOM"): ("process-block", "inFunctionalBlock", "to"),
    ("ODA_Functional_Blocks", "Open_APIs"): ("block-api", "exposesApi", "from"),
    ("ODA_Functional_Blocks", "SID_ABE"): ("block-abe", "managesEntity", "from"),
    ("SID_ABE", "eTOM"): ("process-abe", "handlesEntity", "to"),
    ("End_to_End_Business_Flows", "eTOM"): ("process-flow", "takesPartInFlow", "to"),
}
PREFIXES = """@prefix etom:    <https://w3id.org/etom-kg/ontology#> .
@prefix proc:    <https://w3id.org/etom-kg/process/> .
@prefix etomc:   <https://w3id.org/etom-kg/concept/> .
@prefix owl:     <http://www.w3.org/2002/07/owl#> .
@prefix rdf:     <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
"""


class TableError(Exception):
    pass


@dataclass(frozen=True)
class Element:
    kind: str  # api | block | abe | stream | flow
    key: str  # the key the link tables use
    local: str  # local name in etomc:
    label_en: str
    label_es: str
    tmf_id: str
    extra: tuple = ()  # ((predicate, object in Turtle), ...)


@dataclass(frozen=True)
class Link:
    line: int
    source: str
    kind: str
    prop: str
    subject: str  # Turtle term
    object: str
    subject_key: str
    object_key: str
    sequence: int | None = None

    @property
    def iri(self) -> str:
        return f"{MAPPING}{self.source.lower()}/{self.subject.split(':')[1]}--{self.object.split(':')[1]}"


@dataclass
class Plan:
    elements: dict = field(default_factory=dict)  # kind -> [Element]
    links: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (line, source, row text, reason)

    def counts(self) -> dict:
        """{source: {"loaded": n, "skipped": m}} over every row of mappings.csv."""
        out: dict = defaultdict(lambda: {"loaded": 0, "skipped": 0})
        for link in self.links:
            out[link.source]["loaded"] += 1
        for _line, source, _text, _reason in self.skipped:
            out[source]["skipped"] += 1
        return {k: dict(v) for k, v in sorted(out.items())}


def camel(text: str) -> str:
    text = text.replace("&", " And ")
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", text) if w)


def read_table(name: str) -> list[tuple[int, dict]]:
    path = TABLES / name
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = [(reader.line_num, row) for row in reader]
    for line, row in rows:
        if None in row or any(v is None for v in row.values()):
            raise TableError(f"ontology/tmf/{name}:{line}: wrong number of columns")
    return rows


def graph_processes() -> dict[str, tuple[str, str]]:
    """{v21 id: (proc: local name, English label)} from the modules this tool does not write."""
    import pyoxigraph as ox

    store = ox.Store()
    for path in sorted(MODULES.glob("*.ttl")):
        if not path.name.startswith("7"):
            store.load(path.read_bytes(), format=ox.RdfFormat.TURTLE)
    out = {}
    query = f"""SELECT ?p ?id ?label WHERE {{ ?p <{ETOM}v21Id> ?id .
        OPTIONAL {{ ?p <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(lang(?label) = "en") }} }}"""
    for row in store.query(query):
        iri = row["p"].value
        if iri.startswith(PROC):
            out[row["id"].value] = (iri[len(PROC):], row["label"].value if row["label"] else "")
    return out


def spanish_api(name: str) -> str:
    if name.endswith(" API Component Suite"):
        return f"Suite de componentes de API {name[:-len(' API Component Suite')]}"
    return f"API {name[:-len(' API')] if name.endswith(' API') else name}"


def plan() -> Plan:
    p = Plan()
    es = {(r["kind"], r["id"]): r["label_es"] for _, r in read_table("labels-es.csv")}
    v21 = {r["id_v21"]: r for _, r in read_table("gb921-v21-keys.csv")}
    processes = graph_processes()

    apis: dict = {}
    for _, r in read_table("open-apis.csv"):
        extra = (("etom:apiRelease", turtle_string(r["release"])),) if r["release"] else ()
        name = r["name"]
        if not name.endswith(("API", "Suite")):  # TMF656: the list drops "API", which would name the process
            name += " API"
            extra += (("skos:editorialNote", turtle_string(
                f"The public Open API list names it \"{r['name']}\", without \"API\".", "en")),)
        apis[r["id"]] = Element("api", r["id"], r["id"], name, spanish_api(name), r["id"],
                                extra + (("dcterms:source", f"<{CITED['api']}>"),))
    blocks: dict = {}
    for _, r in read_table("oda-blocks.csv"):
        if r["id"] == "ODA":  # the table's title row: the architecture itself, not a block
            continue
        blocks[r["id"]] = Element("block", r["id"], camel(r["name"]) + "Block", r["name"], es[("block", r["id"])],
                                  r["id"], (("dcterms:source", f"<{CITED['block']}>"),))
    streams: dict = {}
    flows: dict = {}
    for _, r in read_table("gb921e-flows.csv"):
        if r["level"] == "1" and r["parent"]:
            local = camel(re.sub(r"( Process)? Flows$", "", r["name"])) + "Stream"
            streams[r["id"]] = Element("stream", r["id"], local, r["name"], es[("stream", r["id"])], r["id"],
                                       (("dcterms:source", f"<{CITED['flow']}>"),))
    for _, r in read_table("gb921e-flows.csv"):
        if r["level"] == "2":
            flows[r["id"]] = Element("flow", r["id"], camel(r["name"]) + "Flow", r["name"], es[("flow", r["id"])],
                                     r["id"], (("etom:inStream", f"etomc:{streams[r['parent']].local}"),
                                               ("dcterms:source", f"<{CITED['flow']}>")))
    abes: dict = {}

    def abe(key: str) -> Element:
        number, _, name = key.partition(".")
        if number not in SID_DOMAINS or not name.endswith(" ABE"):
            raise TableError(f"ontology/tmf/mappings.csv: ABE key {key!r} is not '<SID domain number>.<name> ABE'")
        if key not in abes:
            abes[key] = Element("abe", key, camel(name[:-4]) + "Abe", name, f"ABE {name[:-4]}", name,
                                (("etom:inSidDomain", f"etomc:{SID_DOMAINS[number]}"),
                                 ("dcterms:source", f"<{CITED['mapping']}>")))
        return abes[key]

    def api(key: str) -> Element:
        if key not in apis:  # named by GB1022 but absent from the public API list
            apis[key] = Element("api", key, key, key, key, key,
                                (("skos:editorialNote", turtle_string(
                                    "GB1022 names this Open API, but the public Open API list does not; "
                                    "only its number is recorded here.", "en")),
                                 ("dcterms:source", f"<{CITED['mapping']}>")))
        return apis[key]

    def process(key: str) -> tuple[str | None, str | None]:
        if key in processes:
            return f"proc:{processes[key][0]}", None
        row = v21.get(key)
        if row is None:
            what = "a placeholder" if not re.fullmatch(r"[0-9]+(\.[0-9]+)+", key) else "not a process id"
            return None, f"eTOM key {key} is {what}: GB921 v21 has no process with this id"
        if not row["id_classic"]:
            return None, f"v21 process {key} ({row['name_en']}) is new since the classic framework: not a classic Operations process"
        if not row["id_classic"].startswith("1.1."):
            return None, f"v21 process {key} ({row['name_en']}) is classic {row['id_classic']}, outside Operations (1.1)"
        return None, f"v21 process {key} ({row['name_en']}) is classic Operations {row['id_classic']} but not in the graph"

    seen: dict = {}
    position: Counter = Counter()
    for line, r in read_table("mappings.csv"):
        text = f"{r['from_table']} {r['from_key']} -> {r['to_table']} {r['to_key']}"
        if r["from_table"] == "End_to_End_Business_Flows":
            position[r["from_key"]] += 1
        if r["source"] not in SOURCES:
            p.skipped.append((line, r["source"], text, f"source {r['source']!r} is the table author's own proposal, not a TM Forum document: unconfirmed"))
            continue
        kind, prop, subject_side = KINDS.get((r["from_table"], r["to_table"]), (None, None, None))
        if kind is None:
            raise TableError(f"ontology/tmf/mappings.csv:{line}: no link kind for {r['from_table']} -> {r['to_table']}")
        ends = {}
        reason = None
        for side in ("from", "to"):
            table, key = r[f"{side}_table"], r[f"{side}_key"]
            if table == "eTOM":
                term, reason = process(key)
                if reason:
                    break
                ends[side] = term
            elif table == "ODA_Functional_Blocks":
                ends[side] = f"etomc:{blocks[key].local}"
            elif table == "Open_APIs":
                ends[side] = f"etomc:{api(key).local}"
            elif table == "SID_ABE":
                ends[side] = f"etomc:{abe(key).local}"
            elif table == "End_to_End_Business_Flows":
                ends[side] = f"etomc:{flows[key].local}"
        if reason:
            p.skipped.append((line, r["source"], text, reason))
            continue
        other = "from" if subject_side == "to" else "to"
        subject, obj = ends[subject_side], ends[other]
        if (r["source"], subject, prop, obj) in seen:
            p.skipped.append((line, r["source"], text, f"duplicate of line {seen[(r['source'], subject, prop, obj)]}"))
            continue
        seen[(r["source"], subject, prop, obj)] = line
        sequence = position[r["from_key"]] if kind == "process-flow" else None
        p.links.append(Link(line, r["source"], kind, prop, subject, obj, r[f"{subject_side}_key"], r[f"{other}_key"], sequence))
    p.elements = {"api": sorted(apis.values(), key=lambda e: e.key), "block": list(blocks.values()),
                  "abe": sorted(abes.values(), key=lambda e: (e.key.split(".")[0], e.label_en)),
                  "stream": list(streams.values()), "flow": list(flows.values())}
    return p


# --------------------------------------------------------------------------- Turtle


def turtle_string(value: str, lang: str | None = None) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


CLASSES = {"api": "OpenApi", "block": "FunctionalBlock", "abe": "AggregateBusinessEntity",
           "stream": "EndToEndStream", "flow": "EndToEndFlow"}
TITLES = {
    "api": ("71-open-apis.ttl", "TM Forum Open APIs: numbers, names and releases from the public Open API list, "
            "and the numbers GB1022 names that the list lacks. Spanish labels keep the API's English name."),
    "block": ("72-oda-blocks.ttl", "ODA functional blocks of GB1022 v1.1.0: codes and names; Spanish names are our translation."),
    "abe": ("73-sid-abes.ttl", "SID aggregate business entities named by the GB1022 and GB991 link tables, with the SID "
            "domain their key numbers. Spanish labels keep the entity's English name."),
    "flow": ("74-e2e-flows.ttl", "End-to-end business streams and flows of GB921E v20.0.1; Spanish names are our translation."),
}


def element_block(e: Element) -> str:
    labels = f"{turtle_string(e.label_en, 'en')} , {turtle_string(e.label_es, 'es')}"
    # Typed by their class only: owl:NamedIndividual marks this graph's processes and concepts,
    # which carry their own bilingual definitions; these elements cite TM Forum's names.
    lines = [f"etomc:{e.local}", f"    a etom:{CLASSES[e.kind]} ;",
             f"    rdfs:label {labels} ;", f"    skos:prefLabel {labels} ;",
             f"    etom:tmfId {turtle_string(e.tmf_id)} ;"]
    if e.label_es != e.label_en:
        lines.append("    etom:projectTranslation true ;")
    by_predicate: dict = defaultdict(list)
    for predicate, obj in e.extra:
        by_predicate[predicate].append(obj)
    for predicate, objects in by_predicate.items():
        lines.append(f"    {predicate} {' , '.join(objects)} ;")
    lines[-1] = lines[-1][:-2] + " ."
    return "\n".join(lines) + "\n"


def header(title: str) -> str:
    return (f"{PREFIXES}\n# {'-' * 77}\n#  {title}\n#  Compiled by tools/build_tmf_links.py from ontology/tmf/*.csv: "
            f"edit the tables, not this file.\n# {'-' * 77}\n")


def modules(p: Plan) -> dict[str, str]:
    out = {}
    for kind, (name, title) in TITLES.items():
        elements = p.elements[kind] if kind != "flow" else p.elements["stream"] + p.elements["flow"]
        out[name] = header(title) + "".join("\n" + element_block(e) for e in elements)
    out["75-tmf-links.ttl"] = links_module(p)
    return out


def links_module(p: Plan) -> str:
    labels = {f"proc:{local}": label for local, label in graph_processes().values()}
    for elements in p.elements.values():
        for e in elements:
            labels[f"etomc:{e.local}"] = e.label_en
    parts = [header("Links stated by GB1022 v1.1.0, GB921E v20.0.1 and GB991 between Operations processes, ODA "
                    "blocks, Open APIs, SID ABEs and end-to-end flows.\n#  Each link is one triple plus its mapping "
                    "record (etom:Mapping, SSSOM-style provenance). Rows not loaded are listed at the end.")]
    for source in SOURCES:
        links = [l for l in p.links if l.source == source]
        parts.append(f"\n# {'=' * 77}\n#  {source}: {len(links)} links\n# {'=' * 77}\n")
        for l in links:
            seq = f" ;\n    etom:sequenceIndex {l.sequence}" if l.sequence is not None else ""
            parts.append(
                f"\n# line {l.line}: {labels.get(l.subject, l.subject)} ({l.subject_key}) -> "
                f"{labels.get(l.object, l.object)} ({l.object_key})\n"
                f"{l.subject} etom:{l.prop} {l.object} .\n"
                f"<{l.iri}>\n    a etom:Mapping ;\n"
                f"    etom:mappingSubject {l.subject} ;\n    etom:mappingObject {l.object} ;\n"
                f"    etom:mappingProperty etom:{l.prop} ;\n    etom:mappingJustification etomc:StatedInSource ;\n"
                f"    etom:statedIn etomc:{source} ;\n    etom:sourceRow {l.line}{seq} .\n")
    parts.append(f"\n# {'=' * 77}\n#  Rows of ontology/tmf/mappings.csv not loaded ({len(p.skipped)})\n# {'=' * 77}\n#\n")
    for line, source, text, reason in p.skipped:
        parts.append(f"# line {line} [{source}] {text}: {reason}\n")
    return "".join(parts)


def report(p: Plan) -> str:
    lines = [f"{source}: {c['loaded']} loaded, {c['skipped']} skipped" for source, c in p.counts().items()]
    reasons = Counter((s, re.sub(r"v21 process \S+ \(.*?\)", "v21 process", re.sub(r"\d+(\.\d+)+", "N", r)))
                      for _l, s, _t, r in p.skipped)
    lines += [f"  {source}: {n} x {reason}" for (source, reason), n in sorted(reasons.items())]
    return "\n".join(lines)


def write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def stale() -> list[str]:
    """The compiled modules whose text differs from what the tables give."""
    return [name for name, text in modules(plan()).items()
            if not (MODULES / name).exists() or (MODULES / name).read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report whether the compiled modules are current")
    ap.add_argument("--report", action="store_true", help="print the links loaded and rows skipped per source")
    args = ap.parse_args(argv)
    try:
        p = plan()
        texts = modules(p)
    except (TableError, KeyError, OSError) as e:
        print(f"build_tmf_links: {e}", file=sys.stderr)
        return 2
    if args.report:
        print(report(p))
        return 0
    if args.check:
        old = [n for n, t in texts.items() if not (MODULES / n).exists() or (MODULES / n).read_text(encoding="utf-8") != t]
        if old:
            print(f"stale: {', '.join(old)}: run `python3 tools/build_tmf_links.py`", file=sys.stderr)
            return 1
        return 0
    for name, text in texts.items():
        if not (MODULES / name).exists() or (MODULES / name).read_text(encoding="utf-8") != text:
            write(MODULES / name, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
