"""The HTML of each page. Layout and facts come from the model; words of the interface
come from ``assets/strings.json`` (English and Spanish side by side)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from string import Template

from ..namespaces import PREFIXES
from ..results import shorten
from .html import bi, el, esc, external, link, void
from .layout import Band, Cell
from .model import Flow, Process, SiteModel, Text

PROCESS_DIR = "process"
FLOW_DIR = "flow"


@dataclass(frozen=True)
class Context:
    model: SiteModel
    strings: dict  # key -> Text
    template: Template
    version: str

    def ui(self, key: str, tag: str = "span") -> str:
        return bi(self.strings[key], tag)

    def text(self, key: str) -> Text:
        return self.strings[key]

    def count_text(self, key: str, n: int) -> Text:
        """``n`` with the words of strings.json ``key_one`` (n = 1) or ``key_other`` (issue 14, D6)."""
        words = self.strings[f"{key}_one" if n == 1 else f"{key}_other"]
        return Text(words.en.replace("{n}", str(n)), words.es.replace("{n}", str(n)))

    def count(self, key: str, n: int) -> str:
        return bi(self.count_text(key, n))

    def filled(self, key: str, **values) -> str:
        """The words of ``key`` with each ``{name}`` replaced: by the value's words in each
        language for a :class:`Text`, by the same HTML in both for a string."""
        out = []
        for lang in ("en", "es"):
            text = esc(self.strings[key].get(lang))
            for name, value in values.items():
                text = text.replace("{" + name + "}", esc(value.get(lang)) if isinstance(value, Text) else value)
            out.append(el("span", text, {"class": "l", "lang": lang}))
        return "".join(out)


def load_strings(raw: dict) -> dict:
    return {key: Text(value["en"], value["es"]) for key, value in raw.items()}


def page_url(p: Process, root: str) -> str:
    return f"{root}{PROCESS_DIR}/{p.slug}.html"


def _id(classic_id: str) -> str:
    return el("span", esc(classic_id), {"class": "pid"}) if classic_id else ""


def process_link(ctx: Context, p: Process, root: str, *, with_id: bool = True) -> str:
    content = (_id(p.classic_id) + " " if with_id and p.classic_id else "") + bi(p.label)
    cls = "proc-link deprecated" if p.deprecated else "proc-link"
    return link(page_url(p, root), content, {"class": cls, "data-process": p.slug})


def render(ctx: Context, *, page: str, title: Text, body: str, root: str) -> str:
    nav = "".join(
        link(f"{root}{href}", ctx.ui(key), {"class": "current" if page == name else None})
        for name, href, key in (
            ("map", "index.html", "nav_map"),
            ("processes", "processes.html", "nav_processes"),
            ("ontology", "ontology.html", "nav_ontology"),
            ("sparql", "sparql.html", "nav_sparql"),
        )
    )
    brand = ctx.text("site_title")
    full = Text(f"{title.en} · {brand.en}" if title.en != brand.en else brand.en,
                f"{title.es} · {brand.es}" if title.es != brand.es else brand.es)
    footer = el("p", ctx.ui("footer")) + el(
        "p", ctx.ui("generated_by") + " " + el("code", esc(f"etom-kg {ctx.version}")), {"class": "generator"}
    )
    return ctx.template.substitute(
        title=esc(full.en), title_en=esc(full.en), title_es=esc(full.es), page=esc(page), root=esc(root),
        version=esc(ctx.version), skip=ctx.ui("skip"), brand=bi(brand), nav=nav, body=body, footer=footer,
    )


# --------------------------------------------------------------------------- the map


def _box(ctx: Context, cell: Cell, root: str, highlight: dict | None = None) -> str:
    m = ctx.model
    b = cell.box
    p = m.process(b.process)
    cls = ["box"]
    if highlight and p.slug in highlight:
        cls.append(highlight[p.slug])
    attributes = {"data-process": p.slug, "data-columns": f"{b.start}-{b.start + b.span - 1}"}
    extra = ""
    if b.unassigned:
        cls.append("unassigned")
        extra = el("span", ctx.ui("unassigned"), {"class": "note"})
    if p.deprecated:
        cls.append("deprecated")
    if m.has_applications:
        count = len({a.iri for a in p.applications})
        cls.append(f"cov-{min(count, 3)}")
        attributes["data-applications"] = str(count)
        extra += el("span", ctx.count("applications", count), {"class": "badge"})
    attributes["class"] = " ".join(cls)
    # spaces between id, name and notes: the link's accessible name reads "1.1.1.6 Problem Handling" (D11)
    content = _id(p.classic_id) + " " + el("span", bi(p.label), {"class": "name"}) + (" " + extra if extra else "")
    colspan = str(cell.colspan) if cell.colspan > 1 else None
    return el("td", link(page_url(p, root), content, attributes), {"colspan": colspan})


def _band(ctx: Context, band: Band, root: str, highlight: dict | None = None) -> str:
    h = ctx.model.process(band.horizontal)
    rows = []
    for i, cells in enumerate(band.rows):
        head = ""
        if i == 0:
            head = el(
                "th",
                link(page_url(h, root), _id(h.classic_id) + el("span", bi(h.label), {"class": "name"}),
                     {"class": "grouping-link", "data-process": h.slug}),
                {"scope": "rowgroup", "rowspan": str(len(band.rows)), "class": "horizontal"},
            )
        tds = "".join(_box(ctx, c, root, highlight) if c.box else el("td", "", {"class": "empty"}) for c in cells)
        rows.append(el("tr", head + tds))
    return el("tbody", "".join(rows), {"class": "band", "data-horizontal": h.slug})


def _legend(ctx: Context) -> str:
    items = "".join(
        el("li", el("span", "", {"class": f"swatch cov-{n}"}) + ctx.ui(key))
        for n, key in ((0, "legend_none"), (1, "legend_one"), (2, "legend_two"), (3, "legend_many"))
    )
    return el(
        "section",
        el("h2", ctx.ui("legend_title")) + el("ul", items) + el("p", ctx.ui("legend_note"), {"class": "hint"}),
        {"class": "legend", "aria-label": ctx.text("legend_title").en},
    )


# What the map's script (assets/map.js) knows of every process, one array per process in
# level / classic-id order; the topics refer to processes by their position in that list.
INDEX_FIELDS = ("slug", "id", "v21", "level", "en", "es", "parent", "superseded")
INDEX_UI = ("find_found_one", "find_found_other", "search_none", "search_hidden_superseded",
            "search_show_superseded", "locate", "expand",
            "superseded_tag", "level_short")


def topic_data(ctx: Context) -> dict:
    """What the search box, the levels and the filters need, computed at build time: every
    search key of the resolver and of the topic-index query (see SiteModel.topic_index)."""
    m = ctx.model
    ordered = sorted(m.processes.values(), key=lambda p: p.sort_key)
    position = {p.iri: i for i, p in enumerate(ordered)}
    rows = [[p.slug, p.classic_id, p.v21_id, p.level, p.label.en, p.label.es, position.get(p.parent, -1),
             1 if p.deprecated else 0] for p in ordered]
    from ..text import stop_words

    return {
        "fields": list(INDEX_FIELDS),
        "stop": sorted(stop_words()),
        "topics": {key: sorted({position[i] for i in iris if i in position}) for key, iris in m.topic_index.items()},
        "processes": rows,
        "superseded_shown": m.include_deprecated,
        "ui": {k: {"en": ctx.text(k).en, "es": ctx.text(k).es} for k in INDEX_UI},
    }


SEARCH_INDEX = "assets/search-index.js"


def search_index_script(ctx: Context) -> str:
    """The index as a script that sets ``window.etomKgIndex``: a ``<script src>`` loads it from
    file:// too, where fetch() of a JSON file is refused. ASCII only, so no charset can garble it."""
    text = json.dumps(topic_data(ctx), ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return "/* generated by etom-kg site: the search index of the map (see assets/map.js) */\n" \
           f"window.etomKgIndex = {text};\n"


def _json_script(element_id: str, data: dict) -> str:
    # <, > and & only occur inside JSON strings, where \u escapes mean the same: the
    # script element can then neither close early nor break an XML reading of the page.
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, escaped)
    return el("script", text, {"type": "application/json", "id": element_id})


def _poster(ctx: Context, grid: list[Band], root: str, highlight: dict | None = None) -> str:
    """The grid of the poster: verticals as columns, horizontal bands of Level-2 boxes.
    ``highlight`` maps a box's slug to an extra class (a flow page marks its processes)."""
    m = ctx.model
    cols = void("col", {"class": "rowhead"}) + "".join(void("col", {"class": f"vcol v{i}"}) for i, _ in enumerate(m.verticals))
    thead = el("tr", el("th", ctx.ui("corner"), {"class": "corner", "scope": "col"}) + "".join(
        el("th", link(page_url(m.process(v), root), el("span", bi(m.process(v).label), {"class": "name"}),
                      {"class": "grouping-link", "data-process": m.process(v).slug}),
           {"scope": "col", "class": f"vertical v{i}", "data-vertical": m.process(v).slug})
        for i, v in enumerate(m.verticals)
    ))
    return el(
        "table",
        el("caption", ctx.ui("map_caption")) + el("colgroup", cols) + el("thead", thead)
        + "".join(_band(ctx, b, root, highlight) for b in grid),
        {"class": "poster" + (" heat" if m.has_applications else ""), "id": "map"},
    )


def index_page(ctx: Context, grid: list[Band]) -> str:
    m = ctx.model
    root = ""
    area = m.process(m.area) if m.area else None
    heading = (_id(area.classic_id) + " " + bi(area.label)) if area else ctx.ui("site_title")
    search = _find_form(ctx)
    status = el("div", "", {"id": "search-status", "class": "search-status", "aria-live": "polite"})
    asking = el(
        "form",
        el("label", ctx.ui("ask_label"), {"for": "ask-question"})
        + el("div", void("input", {
            "id": "ask-question", "name": "q", "type": "search", "autocomplete": "off",
            "placeholder": ctx.text("ask_placeholder").en,
            "data-placeholder-en": ctx.text("ask_placeholder").en,
            "data-placeholder-es": ctx.text("ask_placeholder").es,
        }) + el("button", ctx.ui("ask_button"), {"type": "submit"}), {"class": "search-row"})
        + el("p", ctx.ui("ask_offline"), {"id": "ask-offline", "class": "hint", "hidden": True})
        + el("div", "", {"id": "ask-result", "class": "ask-result", "aria-live": "polite"}),
        {"class": "ask", "id": "ask-form", "action": "ask", "role": "search"},
    )
    intro = el("header", el("h1", heading) + el("p", ctx.ui("map_intro"), {"class": "lead"}), {"class": "map-head"})
    table = _poster(ctx, grid, root)
    others = m.ordered(i for i, p in m.processes.items() if p.level == 0 and i != m.area)
    other_areas = el("p", ctx.ui("other_areas") + " " + ", ".join(process_link(ctx, p, root) for p in others),
                     {"class": "other-areas"}) if others else ""
    legend = _legend(ctx) if m.has_applications else ""
    results = el("div", el("ol", ""), {"id": "search-results", "class": "search-results", "hidden": True})
    body = (void("link", {"rel": "stylesheet", "href": f"{root}assets/map.css"})
            + intro + el("div", search + el("div", status + results, {"class": "found"}) + asking, {"class": "tools"})
            + _filters(ctx) + legend + export_tools(ctx) + el("div", table, {"class": "map-scroll"}) + other_areas
            + el("script", "", {"src": f"{root}{SEARCH_INDEX}", "defer": True})
            + el("script", "", {"src": f"{root}assets/map.js", "defer": True}))
    return render(ctx, page="map", title=ctx.text("site_title"), body=body, root=root)


# --------------------------------------------------------------------------- process pages


def _section(ctx: Context, section_id: str, title_key: str, content: str) -> str:
    return el("section", el("h2", ctx.ui(title_key)) + content, {"id": section_id})


def _link_list(ctx: Context, processes: list[Process], root: str) -> str:
    return el("ul", "".join(el("li", process_link(ctx, p, root)) for p in processes), {"class": "links"})


def _tree(ctx: Context, p: Process, root: str, depth: int = 0) -> str:
    """Sub-processes at every level below ``p`` (down to Level 5, the depth the framework gives)."""
    children = [c for c in ctx.model.visible(p.children)]
    if not children or depth > 6:
        return ""
    items = "".join(el("li", process_link(ctx, c, root) + _tree(ctx, c, root, depth + 1)) for c in children)
    return el("ul", items, {"class": "tree" if depth == 0 else None})


def _breadcrumb(ctx: Context, p: Process, root: str) -> str:
    chain, parent = [], p.parent
    while parent in ctx.model.processes and len(chain) < 10:
        chain.append(ctx.model.process(parent))
        parent = chain[-1].parent
    if not chain:
        return ""
    items = "".join(el("li", process_link(ctx, a, root)) for a in reversed(chain))
    return el("nav", el("ol", items), {"class": "breadcrumb", "aria-label": "breadcrumb"})


def _facts(ctx: Context, p: Process, root: str) -> str:
    m = ctx.model
    rows = []

    def row(key: str, value: str) -> None:
        rows.append(el("dt", ctx.ui(key)) + el("dd", value))

    if p.classic_id:
        row("classic_id", el("code", esc(p.classic_id)))
    if p.r16_id:
        row("r16_id", el("code", esc(p.r16_id)))
    row("level", esc(str(p.level)) + " · " + ctx.ui(f"kind_{p.kind}"))
    if p.parent in m.processes:
        row("parent", process_link(ctx, m.process(p.parent), root))
    if p.kind == "process":
        verticals = ", ".join(process_link(ctx, m.process(v), root) for v in p.verticals if v in m.processes)
        row("verticals", verticals or ctx.ui("no_verticals"))
    later = {name.casefold() for name in p.later_names}  # shown as "Later names" below, not twice (D15)
    alt = {lang: ", ".join(n for n in p.alt_labels.get(lang, []) if n.casefold() not in later) for lang in ("en", "es")}
    if alt["en"] and alt["es"]:
        row("also_known_as", bi(Text(alt["en"], alt["es"])))
    elif alt["en"] or alt["es"]:  # names in one language only are shown in both modes
        lang = "en" if alt["en"] else "es"
        row("also_known_as", el("span", esc(alt[lang]), {"lang": lang}))
    if p.later_names:
        row("later_names", el("span", esc("; ".join(p.later_names)), {"lang": "en"}))
    if p.lineage_note or p.lineage_statuses:
        # status words in the reader's language (the graph labels them in both); a note the graph
        # has in English only is marked as English in both modes (D7)
        statuses = sorted(p.lineage_statuses)
        words = bi(Text("; ".join(statuses), "; ".join(m.lineage_status_es.get(s, s) for s in statuses)))
        if p.lineage_note and p.lineage_note_es:
            note = bi(Text(p.lineage_note, p.lineage_note_es), "span", "lineage-note")
        else:
            text = p.lineage_note or p.lineage_note_es
            note = el("span", esc(text), {"lang": "en" if p.lineage_note else "es", "class": "lineage-note"}) if text else ""
        row("lineage", (words if statuses else "") + (" — " if statuses and note else "") + note)
    row("iri", el("code", esc(p.iri), {"class": "iri"}))
    return el("dl", "".join(rows), {"class": "facts"})


def _relations(ctx: Context, p: Process, root: str) -> str:
    m = ctx.model
    parts = []
    for key in ("supports", "supported_by", "invokes", "invoked_by", "reaches", "reached_from"):
        targets = m.visible(getattr(p, key))
        if targets:
            parts.append(el("h3", ctx.ui(key)) + _link_list(ctx, targets, root))
    return "".join(parts) or el("p", ctx.ui("no_relations"), {"class": "none"})


def _responsibilities(ctx: Context, p: Process) -> str:
    if not p.responsibilities:
        return el("p", ctx.ui("no_responsibilities"), {"class": "none"})
    items = "".join(
        el("li", bi(r.label) + ("" if r.asserted else " " + el("span", ctx.ui("inferred_responsibility"), {"class": "tag"})),
           {"class": "asserted" if r.asserted else "broader", "data-responsibility": shorten(r.iri, PREFIXES)})
        for r in p.responsibilities
    )
    return el("ul", items, {"class": "responsibilities"})


def _application_id(iri: str) -> str:
    """A short id for an application IRI: its prefixed name, else the last part of the IRI or URN."""
    short = shorten(iri, PREFIXES)
    if short != iri:
        return short
    tail = iri.rstrip("/#:").replace("#", "/").replace(":", "/").rsplit("/", 1)[-1]
    return tail or iri


def _grouping_coverage(ctx: Context, p: Process) -> str:
    """For a grouping or a Level-0 area: how many processes below it are covered, the row of
    the coverage-by-grouping report (what `etom-kg coverage` prints), never a second rule (D1)."""
    row = ctx.model.grouping_coverage.get(p.iri)
    if row is None:
        return el("p", ctx.ui("coverage_nothing_below"), {"class": "none"})
    total, gaps = int(row["processes"]), int(row["gaps"])
    parts = "".join(el("li", ctx.filled(key, n=esc(str(int(row[column])))), {"data-status": column})
                    for key, column in (("coverage_supported", "supported"), ("coverage_via_parent", "via_parent"),
                                        ("coverage_via_parts", "via_parts"), ("coverage_gaps", "gaps"))
                    if int(row[column]))
    statement = ctx.filled("coverage_below", covered=el("strong", esc(str(total - gaps))), total=ctx.count_text("processes", total))
    return (el("p", statement, {"class": "grouping-coverage" + (" uncovered" if gaps == total else ""),
                                "data-covered": str(total - gaps), "data-processes": str(total)})
            + el("ul", parts, {"class": "coverage-parts"}))


def _covered_by_parent(ctx: Context, p: Process, root: str) -> str:
    """A process with no application of its own that `etom-kg coverage` does not count as a
    gap (the coverage-gaps report): an application supports a process that contains it."""
    m = ctx.model
    wholes, parent = [], p.parent
    while parent in m.processes and len(wholes) < 10:
        whole = m.process(parent)
        if any(a.relation != "contributes" for a in whole.applications):
            wholes.append(whole)
        parent = whole.parent
    items = "".join(el("li", process_link(ctx, w, root) + ": " + esc(", ".join(sorted(
        {a.label for a in w.applications if a.relation != "contributes"})))) for w in reversed(wholes))
    return el("p", ctx.ui("covered_via_parent"), {"class": "none via-parent"}) + (el("ul", items, {"class": "links"}) if items else "")


def _applications(ctx: Context, p: Process, root: str = "../") -> str:
    grouping = p.kind in ("vertical", "horizontal", "area") or p.level == 0
    lead = _grouping_coverage(ctx, p) if grouping else ""
    if not p.applications:
        if not lead and p.iri not in ctx.model.coverage_gaps:
            return _covered_by_parent(ctx, p, root)
        return lead or el("p", ctx.ui("no_applications"), {"class": "none uncovered"})
    head = el("thead", el("tr", "".join(el("th", ctx.ui(k), {"scope": "col"})
                                         for k in ("col_application", "col_relation", "col_application_id"))))
    rows = "".join(
        el("tr", el("th", esc(a.label), {"scope": "row"}) + el("td", ctx.ui(f"rel_{a.relation}"))
           + el("td", el("code", esc(_application_id(a.iri)), {"title": a.iri})),
           {"data-application": a.iri, "data-relation": a.relation})
        for a in sorted(p.applications, key=lambda a: (a.relation == "contributes", a.label, a.iri))
    )
    return lead + el("table", head + el("tbody", rows), {"class": "applications"})


TMF_KINDS = (("block", "oda_block"), ("api", "open_apis"), ("abe", "sid_abes"), ("flow", "e2e_flows"))


def _tmf_links(ctx: Context, p: Process, root: str) -> str:
    """The process's ODA block, Open APIs, SID ABEs and flows, each with how it is known."""
    if not p.tmf_links:
        return el("p", ctx.ui("no_tmf_links"), {"class": "none"})
    flows = {f.iri: f for f in ctx.model.flows}
    parts = [el("p", ctx.ui("tmf_links_note"), {"class": "hint"})]
    for kind, key in TMF_KINDS:
        links = sorted((x for x in p.tmf_links if x.kind == kind), key=lambda x: (x.how != "stated", x.tmf_id, x.iri))
        if not links:
            continue
        items = []
        for x in links:
            name = (el("code", esc(x.tmf_id)) + " " if x.tmf_id != x.label.en else "") + bi(x.label)
            if kind == "flow" and x.iri in flows:
                name = link(f"{root}{FLOW_DIR}/{flows[x.iri].slug}.html", name, {"class": "flow-link"})
            how = ctx.ui("how_" + x.how.replace(" ", "_"))
            items.append(el("li", name + " " + el("span", how, {"class": "tag"}),
                            {"data-tmf": shorten(x.iri, PREFIXES), "data-how": x.how}))
        parts.append(el("h3", ctx.ui(key)) + el("ul", "".join(items), {"class": f"tmf tmf-{kind}"}))
    return "".join(parts)


def flow_page(ctx: Context, f: Flow, grid: list[Band] | None = None) -> str:
    """A page per end-to-end flow: its stream, the Operations processes in the source's order,
    and the map with the flow's boxes marked ("match": the box takes part itself;
    "contains-match": one of its parts does)."""
    m = ctx.model
    root = "../"
    members = [(pos, m.process(iri)) for pos, iri in f.members if iri in m.processes]
    if members:
        items = "".join(el("li", process_link(ctx, p, root), {"value": str(pos), "data-process": p.slug})
                        for pos, p in sorted(members, key=lambda t: (t[0], t[1].sort_key)))
        listing = el("p", ctx.ui("flow_order_note"), {"class": "hint"}) + el("ol", items, {"class": "flow-processes"})
    else:
        listing = el("p", ctx.ui("no_flow_processes"), {"class": "none"})
    facts = el("dl", el("dt", ctx.ui("stream")) + el("dd", bi(f.stream)) + el("dt", ctx.ui("iri"))
               + el("dd", el("code", esc(f.iri), {"class": "iri"})), {"class": "facts"})
    highlight: dict[str, str] = {}
    for _, p in members:
        ancestor = m.processes.get(p.parent) if p.parent else None
        while ancestor is not None:
            highlight.setdefault(ancestor.slug, "contains-match")
            ancestor = m.processes.get(ancestor.parent) if ancestor.parent else None
    for _, p in members:
        highlight[p.slug] = "match"
    on_map = _section(ctx, "flow-map", "flow_on_map", export_tools(ctx) + el("div", _poster(ctx, grid, root, highlight), {"class": "map-scroll"})) if grid else ""
    body = el("article", el("h1", bi(f.label)) + facts + _section(ctx, "processes", "flow_processes", listing) + on_map,
              {"class": "flow-page", "data-flow": f.slug})
    return render(ctx, page="flow", title=f.label, body=body, root=root)


def _vertical_members(ctx: Context, p: Process, root: str) -> str:
    m = ctx.model
    out = []
    for h in m.horizontals:
        members = m.ordered(e.process for e in m.matrix if e.horizontal == h and p.iri in e.verticals)
        if members:
            out.append(el("h3", process_link(ctx, m.process(h), root)) + _link_list(ctx, members, root))
    return "".join(out)


def process_page(ctx: Context, p: Process) -> str:
    m = ctx.model
    root = "../"
    title = el("h1", _id(p.classic_id) + " " + bi(p.label))
    notes = []
    if p.deprecated:
        replacements = ", ".join(process_link(ctx, r, root) for r in m.ordered(p.replaced_by))
        notes.append(el("p", ctx.ui("deprecated") + (" " + ctx.ui("replaced_by") + ": " + replacements if replacements else ""),
                        {"class": "banner deprecated", "role": "note"}))
    if p.inferred:
        notes.append(el("p", ctx.ui("inferred"), {"class": "banner", "role": "note"}))
    definition = bi(p.definition, "p", "definition") if p.definition else el("p", ctx.ui("no_definition"), {"class": "none"})
    if p.project_translation:
        definition += el("p", ctx.ui("project_translation"), {"class": "hint"})
    on_map = ""
    if _on_map(m, p):
        on_map = el("p", link(f"../index.html#process={p.slug}", ctx.ui("show_on_map"), {"class": "to-map"}))
    sections = [_section(ctx, "about", "definition", definition + _facts(ctx, p, root) + on_map)]
    if p.kind == "vertical":
        sections.append(_section(ctx, "members", "in_vertical", _vertical_members(ctx, p, root)))
    else:
        tree = _tree(ctx, p, root)
        none = el("p", ctx.filled("no_children", level=esc(str(p.level + 1))), {"class": "none"})  # D13
        sections.append(_section(ctx, "children", "children", tree or none))
    sections.append(_section(ctx, "responsibilities", "responsibilities", _responsibilities(ctx, p)))
    sections.append(_section(ctx, "relations", "relations", _relations(ctx, p, root)))
    sections.append(_section(ctx, "tmf", "tmf_links", _tmf_links(ctx, p, root)))
    if p.channels:
        chans = "".join(el("li", bi(c.label)) for c in sorted(p.channels, key=lambda c: c.label.en))
        sections.append(_section(ctx, "channels", "channels", el("ul", chans, {"class": "chips"})))
    if m.has_applications:
        sections.append(_section(ctx, "applications", "applications", _applications(ctx, p, root)))
    downloads = el("p", ctx.ui("downloads_note"), {"class": "hint"}) + el("ul", "".join(
        el("li", link(f"{p.slug}{ext}", esc(name), {"download": f"{p.slug}{ext}", "type": media, "class": f"download {cls}"}))
        for name, ext, media, cls in (("Turtle", ".ttl", "text/turtle", "ttl"), ("JSON-LD", ".jsonld", "application/ld+json", "jsonld"))
    ), {"class": "downloads"})
    sections.append(_section(ctx, "download", "downloads", downloads))
    if p.sources:
        sections.append(_section(ctx, "sources", "sources", el("ul", "".join(el("li", external(s)) for s in p.sources), {"class": "sources"})))
    body = el("article", _breadcrumb(ctx, p, root) + title + "".join(notes) + "".join(sections),
              {"class": f"process-page kind-{p.kind}", "data-process": p.slug})
    return render(ctx, page="process", title=p.label, body=body, root=root)


# --------------------------------------------------------------------------- catalogue, ontology, SPARQL


def catalogue_page(ctx: Context) -> str:
    m = ctx.model
    root = ""
    rows = []
    for p in sorted(m.processes.values(), key=lambda p: p.sort_key):
        verticals = ", ".join(bi(m.process(v).label) for v in p.verticals if v in m.processes)
        status = ctx.ui("status_deprecated") if p.deprecated else ""
        rows.append(el("tr", el("td", el("code", esc(p.classic_id))) + el("td", el("code", esc(p.r16_id)))
                       + el("td", esc(str(p.level))) + el("td", process_link(ctx, p, root, with_id=False))
                       + el("td", verticals) + el("td", status),
                       {"class": "deprecated" if p.deprecated else None, "data-process": p.slug}))
    head = el("tr", "".join(el("th", ctx.ui(k), {"scope": "col"}) for k in
                            ("classic_id", "r16_id", "level", "col_name", "verticals", "col_status")))
    body = (el("h1", ctx.ui("catalogue_title")) + el("p", ctx.ui("catalogue_intro"), {"class": "lead"})
            + el("table", el("thead", head) + el("tbody", "".join(rows)), {"class": "catalogue"}))
    return render(ctx, page="processes", title=ctx.text("catalogue_title"), body=body, root=root)


def _term_ref(ctx: Context, iri: str, local_terms: set) -> str:
    short = shorten(iri, PREFIXES)
    if iri in local_terms:
        return link(f"#{iri.rsplit('#', 1)[-1]}", el("code", esc(short)))
    return el("code", esc(short))


def ontology_page(ctx: Context) -> str:
    m = ctx.model
    local_terms = {t.iri for t in m.ontology_terms}
    sections = []
    for kind in ("class", "object property", "datatype property", "annotation property"):
        terms = sorted((t for t in m.ontology_terms if t.kind == kind), key=lambda t: t.iri)
        if not terms:
            continue
        articles = []
        for t in terms:
            facts = []

            def fact(key: str, iris) -> None:
                if iris:
                    facts.append(el("dt", ctx.ui(key)) + el("dd", ", ".join(_term_ref(ctx, i, local_terms) for i in iris)))

            fact("subclass_of" if kind == "class" else "subproperty_of", t.parents)
            fact("domain", t.domains)
            fact("range", t.ranges)
            fact("inverse", [t.inverse] if t.inverse else [])
            if t.transitive:
                facts.append(el("dt", ctx.ui("transitive")) + el("dd", "✓"))
            local = t.iri.rsplit("#", 1)[-1]
            articles.append(el(
                "article",
                el("h3", bi(t.label) + " " + el("code", esc(shorten(t.iri, PREFIXES)), {"class": "curie"}))
                + (bi(t.definition, "p", "definition") if t.definition else "")
                + (el("dl", "".join(facts), {"class": "facts"}) if facts else ""),
                {"id": local, "class": "term", "data-term": shorten(t.iri, PREFIXES)},
            ))
        key = "kind_" + kind.replace(" ", "_")
        sections.append(el("section", el("h2", ctx.ui(key)) + "".join(articles), {"id": key.removeprefix("kind_")}))
    topic_rows = "".join(
        el("tr", el("td", bi(t.label)) + el("td", el("code", esc(shorten(t.broader, PREFIXES))) if t.broader else "")
           + el("td", esc(str(t.processes))), {"data-responsibility": shorten(t.iri, PREFIXES)})
        for t in m.topics
    )
    topic_head = el("tr", "".join(el("th", ctx.ui(k), {"scope": "col"}) for k in ("col_name", "col_broader", "col_processes")))
    sections.append(el("section", el("h2", ctx.ui("topics_title"))
                       + el("table", el("thead", topic_head) + el("tbody", topic_rows), {"class": "topics"}), {"id": "topics"}))
    body = el("h1", ctx.ui("ontology_title")) + el("p", ctx.ui("ontology_intro"), {"class": "lead"}) + "".join(sections)
    return render(ctx, page="ontology", title=ctx.text("ontology_title"), body=body, root="")


SPARQL_EXAMPLE = """PREFIX etom: <https://w3id.org/etom-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?process ?label WHERE {
  ?process etom:inVertical <https://w3id.org/etom-kg/process/Assurance> ;
           a etom:Level2Process ;
           rdfs:label ?label .
  FILTER(lang(?label) = "en")
}
ORDER BY ?label
"""


def sparql_page(ctx: Context) -> str:
    """The SPARQL page: a picker of the stored queries (bound by the server's /query/NAME),
    a free query box, results as a table of short linked IRIs or as Turtle, downloads,
    cancel. Its script, assets/sparql.js, is loaded by this page only."""
    picker = el(
        "div",
        el("label", ctx.ui("sparql_pick"), {"for": "sparql-stored"})
        + el("select", el("option", "—", {"value": ""}), {"id": "sparql-stored", "name": "stored"})
        + el("p", "", {"id": "sparql-question", "class": "hint"}),
        {"class": "sparql-picker"},
    )
    params = el("fieldset", el("legend", ctx.ui("sparql_params")) + el("div", "", {"id": "sparql-param-fields"}),
                {"id": "sparql-params", "class": "sparql-params", "hidden": True, "disabled": True})
    buttons = (el("button", ctx.ui("sparql_run"), {"type": "submit", "id": "sparql-run"})
               + el("button", ctx.ui("sparql_cancel"), {"type": "button", "id": "sparql-cancel", "disabled": True}))
    form = el(
        "form",
        picker + params
        + el("label", ctx.ui("sparql_text"), {"for": "sparql-query", "class": "sparql-text-label"})
        + el("textarea", esc(SPARQL_EXAMPLE), {"id": "sparql-query", "name": "query", "rows": "12", "spellcheck": "false"})
        + el("div", buttons, {"class": "search-row"}),
        {"id": "sparql-form", "class": "sparql-form", "action": "sparql", "method": "post", "data-stored-action": "query/"},
    )
    body = (el("h1", ctx.ui("sparql_title")) + el("p", ctx.ui("sparql_intro"), {"class": "lead"})
            + el("p", ctx.ui("sparql_offline"), {"id": "sparql-offline", "class": "banner", "hidden": True})
            + _json_script("sparql-data", sparql_data(ctx, root=""))
            + form
            + el("div", "", {"id": "sparql-status", "class": "sparql-status", "role": "status", "aria-live": "polite"})
            + el("div", "", {"id": "sparql-downloads", "class": "sparql-downloads"})
            + el("div", "", {"id": "sparql-result", "class": "sparql-result"})
            + el("script", "", {"src": "assets/sparql.js"}))
    return render(ctx, page="sparql", title=ctx.text("sparql_title"), body=body, root="")


def sparql_data(ctx: Context, root: str) -> dict:
    """What the SPARQL page needs, written at build time: the stored queries (text, form,
    question, parameter declarations), the prefixes for short IRIs, the process pages by
    IRI, and the page's words in both languages."""
    from ..queries import catalog

    queries = [
        {"id": q.id, "form": q.form, "title": q.title, "question": q.question, "text": q.text,
         "params": [{"name": p.name, "type": p.type, "required": p.required, "default": p.default,
                     "description": p.description, "description_es": p.description_es, "match": p.match}
                    for p in q.params]}
        for q in catalog("cq")
    ]
    return {
        "queries": queries,
        "prefixes": PREFIXES,
        "pages": {p.iri: page_url(p, root) for p in ctx.model.processes.values()},
        "ui": {k: {"en": v.en, "es": v.es} for k, v in ctx.strings.items() if k.startswith("sparql_")},
    }


# --------------------------------------------------------------------------- issue 14, item 8: the 404 page


def not_found_page(ctx: Context) -> str:
    """What `etom-kg serve` shows a browser for a missing page. It may be served at any
    depth, so its links start at the server's root."""
    body = (el("h1", ctx.ui("notfound_title")) + el("p", ctx.ui("notfound_text"), {"class": "lead"})
            + el("p", link("/index.html", ctx.ui("notfound_home"), {"class": "home-link"})))
    return render(ctx, page="notfound", title=ctx.text("notfound_title"), body=body, root="/")


# --------------------------------------------------------------------------- pictures and lists (issue 14, item 5)


def export_tools(ctx: Context) -> str:
    """Buttons that download the map as shown (SVG, PNG) and its lists (CSV). They need
    JavaScript (assets/export.js builds the files in the browser), so they start hidden and
    the script shows them."""
    buttons = "".join(
        el("button", ctx.ui(key), {"type": "button", "data-export": kind})
        for kind, key in (("svg", "export_svg"), ("png", "export_png"), ("csv-map", "export_csv_map"),
                          ("csv-results", "export_csv_results"))
    )
    return el("div", el("span", ctx.ui("export_title"), {"class": "export-label", "id": "export-label"}) + buttons,
              {"class": "export-tools", "role": "group", "aria-labelledby": "export-label", "hidden": True})


# --------------------------------------------------------------------------- map: find, levels, filters (issue 14)
# The controls are in the page; assets/map.js brings them to life. Without JavaScript they
# are hidden (class "needs-js") and a note points to the list of every process instead.


def _find_form(ctx: Context) -> str:
    form = el(
        "form",
        el("label", ctx.ui("search_label"), {"for": "topic", "id": "topic-label"})
        + el(
            "div",
            void("input", {
                "id": "topic", "name": "q", "type": "search", "autocomplete": "off", "spellcheck": "false",
                "aria-describedby": "search-hint", "aria-controls": "search-results",
                "placeholder": ctx.text("search_placeholder").en,
                "data-placeholder-en": ctx.text("search_placeholder").en,
                "data-placeholder-es": ctx.text("search_placeholder").es,
            })
            + el("button", ctx.ui("search_button"), {"type": "submit"})
            + el("button", ctx.ui("clear_button"), {"type": "reset"}),
            {"class": "search-row"},
        )
        + el("p", ctx.ui("search_hint"), {"class": "hint", "id": "search-hint"}),
        {"class": "topic-search needs-js", "role": "search", "aria-labelledby": "topic-label",
         "action": "processes.html", "method": "get"},
    )
    fallback = el("noscript", el("p", ctx.ui("search_noscript") + " " + link("processes.html", ctx.ui("nav_processes")),
                                 {"class": "banner noscript"}))
    return form + fallback


def _filters(ctx: Context) -> str:
    """Which groupings' boxes the map shows, superseded processes or not, which ids on the boxes."""
    m = ctx.model

    def check(name: str, value: str, label: str, checked: bool = True) -> str:
        return el("label", void("input", {"type": "checkbox", "name": name, "value": value, "checked": checked})
                  + " " + label)

    def group(key: str, name: str, iris: list) -> str:
        boxes = "".join(check(name, m.process(i).slug, bi(m.process(i).label)) for i in iris)
        return el("fieldset", el("legend", ctx.ui(key)) + boxes, {"class": f"filter-{name}"})

    ids = "".join(
        el("label", void("input", {"type": "radio", "name": "ids", "value": value, "checked": value == "classic"})
           + " " + ctx.ui(key))
        for value, key in (("classic", "filter_ids_classic"), ("v21", "filter_ids_v21"))
    )
    content = (
        group("verticals", "vertical", m.verticals) + group("filter_horizontals", "horizontal", m.horizontals)
        + el("fieldset", el("legend", ctx.ui("filter_superseded"))
             + check("superseded", "1", ctx.ui("filter_show_superseded"), m.include_deprecated), {"class": "filter-superseded"})
        + el("fieldset", el("legend", ctx.ui("filter_ids")) + ids, {"class": "filter-ids"})
        + el("button", ctx.ui("filter_reset"), {"type": "reset"})
    )
    return el("details", el("summary", ctx.ui("filters")) + el("form", content, {"id": "map-filters", "action": "#"}),
              {"class": "map-filters needs-js", "id": "filters"})


def _on_map(m: SiteModel, p: Process) -> bool:
    """A box of the map, a grouping, or a part of a box at any level (the map opens the box
    down to it: "Show on the map" on Level-3/4/5 pages)."""
    if p.iri in m.verticals or p.iri in m.horizontals:
        return True
    boxes = {e.process for e in m.matrix}
    seen, current = 0, p
    while current is not None and seen < 10:
        if current.iri in boxes:
            return True
        current, seen = m.processes.get(current.parent) if current.parent else None, seen + 1
    return False
