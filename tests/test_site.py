"""The static site (`etom-kg site`): its structure, read back from the files it writes.

Pages are well-formed (polyglot) HTML, so the standard XML parser reads them. Expected
answers come from the stored queries over the same graph, so the tests check that the site
shows what the graph says, and a few hand-checked facts pin the picture down
(Problem Handling is 1.1.1.6 with six Level-3 children; a process in F+A+B spans three columns).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from etom_kg.api import run_stored
from etom_kg.errors import InputError
from etom_kg.namespaces import ETOM, OWL, PROC
from etom_kg.queries import catalog

LINKS = Path(__file__).parent / "data" / "site" / "applications.ttl"
POSTER_COLUMNS = ["OperationsSupportAndReadiness", "Fulfillment", "Assurance", "BillingAndRevenueManagement"]
POSTER_ROWS = ["CustomerRelationshipManagement", "ServiceManagementAndOperations",
               "ResourceManagementAndOperations", "SupplierPartnerRelationshipManagement"]


def records(backend, name, **params):
    return run_stored(catalog("cq").get(name), backend, params).records()


def local(iri: str) -> str:
    return iri[len(PROC):]


def page(site: Path, rel: str) -> ET.Element:
    return ET.parse(site / rel).getroot()


def shown(element: ET.Element, lang: str) -> str:
    """The text a reader of ``lang`` sees: shared text plus that language's spans."""
    parts = [element.text or ""]
    for child in element:
        if not ("l" in (child.get("class") or "").split() and child.get("lang") != lang):
            parts.append(shown(child, lang))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    from etom_kg.site import build_site

    out = tmp_path_factory.mktemp("site") / "site"
    build_site(out)
    return out


@pytest.fixture(scope="session")
def linked_site(tmp_path_factory) -> Path:
    from etom_kg.site import build_site

    out = tmp_path_factory.mktemp("linked-site") / "site"
    build_site(out, links=LINKS)
    return out


@pytest.fixture(scope="session")
def index(site) -> ET.Element:
    return page(site, "index.html")


def boxes(root: ET.Element) -> list[ET.Element]:
    return [a for a in root.iter("a") if "box" in (a.get("class") or "").split()]


# --------------------------------------------------------------------------- the grid


def test_the_columns_are_the_four_verticals_in_poster_order(index, store):
    heads = index.findall(".//table[@id='map']/thead/tr/th[@data-vertical]")
    assert [th.get("data-vertical") for th in heads] == POSTER_COLUMNS
    labels = {local(r["grouping"]): (r["label_en"], r["label_es"]) for r in records(store, "groupings", type="vertical")}
    assert [(shown(th, "en"), shown(th, "es")) for th in heads] == [labels[c] for c in POSTER_COLUMNS]


def test_the_rows_are_the_four_horizontals_in_classic_id_order(index, store):
    bands = index.findall(".//table[@id='map']/tbody[@data-horizontal]")
    assert [b.get("data-horizontal") for b in bands] == POSTER_ROWS
    expected = {local(r["grouping"]): r["label_en"] for r in records(store, "groupings", type="horizontal")}
    for band in bands:
        (head,) = band.findall("./tr/th[@scope='rowgroup']")
        assert shown(head, "en").endswith(expected[band.get("data-horizontal")])
        assert head.get("rowspan") == str(len(band.findall("./tr")))


def test_every_table_row_is_exactly_four_columns_wide(index):
    for tr in index.findall(".//table[@id='map']/tbody/tr"):
        assert sum(int(td.get("colspan", "1")) for td in tr.findall("td")) == 4


def test_each_level2_process_sits_in_its_row_and_spans_exactly_its_verticals(index, store):
    columns = {PROC + c: i for i, c in enumerate(POSTER_COLUMNS)}
    expected: dict[str, tuple[str, set]] = {}
    for r in records(store, "matrix"):
        row, cols = expected.setdefault(local(r["process"]), (local(r["horizontal"]), set()))
        if r["vertical"]:
            cols.add(columns[r["vertical"]])
    seen: dict[str, set] = {}
    for band in index.findall(".//table[@id='map']/tbody"):
        for box in boxes(band):
            slug = box.get("data-process")
            assert expected[slug][0] == band.get("data-horizontal"), slug
            first, last = map(int, box.get("data-columns").split("-"))
            seen.setdefault(slug, set()).update(range(first, last + 1))
            if not expected[slug][1]:
                assert "unassigned" in box.get("class") and (first, last) == (0, 3)
    assert set(seen) == set(expected)
    for slug, (_, cols) in expected.items():
        assert seen[slug] == (cols or {0, 1, 2, 3}), slug


def test_spans_hand_checked(index):
    spans = {b.get("data-process"): b.get("data-columns") for b in boxes(index)}
    assert spans["CustomerInteractionManagement"] == "1-3"  # Fulfillment + Assurance + Billing
    assert spans["ResourceDataCollectionAndDistribution"] == "1-3"  # v21 adds Fulfillment
    assert spans["ProblemHandling"] == "2-2"
    assert spans["CustomerSupportAndReadiness"] == "0-0"
    assert len(spans) == 42  # 45 Level-2 processes, 3 of them superseded


def test_superseded_processes_are_left_off_the_map_unless_asked(index, store, asserted_store):
    from etom_kg.site.layout import poster_grid
    from etom_kg.site.model import collect

    deprecated = {local(r["process"]) for r in records(store, "deprecated-processes")}
    assert "BillingAndCollectionsManagement" in deprecated
    model = collect(store, asserted_store, include_deprecated=True)
    default = {b.get("data-process") for b in boxes(index)}
    everything = {model.process(cell.box.process).slug for band in poster_grid(model) for row in band.rows
                  for cell in row if cell.box}
    assert not default & deprecated
    assert {"BillingAndCollectionsManagement", "CustomerRelationshipManagementSupportAndReadiness"} <= everything
    assert everything - default <= deprecated


# --------------------------------------------------------------------------- process pages


def test_a_page_and_two_downloads_per_process(site, store):
    processes = {local(r["process"]) for r in records(store, "process-details", include_deprecated=True)}
    assert len(processes) == sum(r["processes"] for r in records(store, "process-count-by-level", include_deprecated=True))
    for suffix in (".html", ".ttl", ".jsonld"):
        assert {p.stem for p in (site / "process").glob(f"*{suffix}")} == processes


def test_problem_handling_page(site, store):
    root = page(site, "process/ProblemHandling.html")
    article = root.find(".//article[@data-process='ProblemHandling']")
    assert shown(article.find("h1"), "en") == "1.1.1.6 Problem Handling"
    assert shown(article.find("h1"), "es") == "1.1.1.6 Gestión de Problemas"
    facts = {shown(dt, "en"): shown(dd, "en") for dt, dd in zip(article.iter("dt"), article.iter("dd"))}
    assert facts["Classic id"] == "1.1.1.6" and facts["R16 id"] == "1.3.7"
    assert facts["Part of"] == "1.1.1 Customer Relationship Management"
    assert facts["Vertical groupings"] == "Assurance"
    definition = article.findall(".//p[@class='l definition']")
    assert [p.get("lang") for p in definition] == ["en", "es"] and all(p.text for p in definition)

    tree = article.find(".//section[@id='children']/ul")
    children = [a.get("data-process") for a in tree.findall("./li/a")]
    expected = [local(r["child"]) for r in records(store, "children", process=PROC + "ProblemHandling")]
    assert children == expected and len(children) == 6
    assert len(list(tree.iter("a"))) > 6  # their Level-4 parts are listed under them

    responsibilities = {li.get("data-responsibility") for li in article.find(".//section[@id='responsibilities']").iter("li")}
    assert responsibilities == {
        "etomc:" + r["responsibility"].rsplit("/", 1)[-1]
        for r in records(store, "responsibilities-of-process", process="1.1.1.6")
    }
    relations = article.find(".//section[@id='relations']")
    invoked = {a.get("data-process") for h3, ul in zip(relations.findall("h3"), relations.findall("ul"))
               if shown(h3, "en") == "Invokes" for a in ul.iter("a")}
    assert invoked == {local(r["callee"]) for r in records(store, "invocations", direct_only=True)
                       if r["caller"] == PROC + "ProblemHandling"}


def test_every_page_lists_the_children_the_children_query_returns(site, store):
    for r in records(store, "process-details", include_deprecated=True):
        tree = page(site, f"process/{local(r['process'])}.html").find(".//section[@id='children']/ul")
        listed = [a.get("data-process") for a in tree.findall("./li/a")] if tree is not None else []
        expected = {local(c["child"]) for c in records(store, "children", process=r["process"])}
        assert len(listed) == len(set(listed)) and set(listed) == expected, r["process"]


def test_a_level1_page_lists_every_level_below_it(site, store):
    tree = page(site, "process/ServiceManagementAndOperations.html").find(".//section[@id='children']")
    listed = {a.get("data-process") for a in tree.iter("a")}
    expected = {local(r["descendant"]) for r in records(store, "descendants", process="1.1.2")}
    assert listed == expected and {r["level"] for r in records(store, "descendants", process="1.1.2")} == {2, 3, 4}


def test_downloads_are_the_process_own_statements(site, ontology):
    import pyoxigraph as ox
    import rdflib
    from rdflib.compare import isomorphic

    for slug in ("ProblemHandling", "Operations", "BillingAndCollectionsManagement", "CreateCustomerProblemReport"):
        subject = rdflib.URIRef(PROC + slug)
        expected = rdflib.Graph()
        for triple in ontology.triples((subject, None, None)):
            expected.add(triple)
        assert len(expected) > 5
        text = (site / "process" / f"{slug}.jsonld").read_text(encoding="utf-8")
        assert "@context" not in text  # expanded JSON-LD: nothing to fetch
        from_turtle = rdflib.Graph().parse(site / "process" / f"{slug}.ttl", format="turtle")
        assert isomorphic(from_turtle, expected)
        # pyoxigraph reads JSON-LD without rdflib's deprecated ConjunctiveGraph path
        triples = ox.parse(text.encode("utf-8"), format=ox.RdfFormat.JSON_LD)
        nt = ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in triples), format=ox.RdfFormat.N_TRIPLES)
        assert isomorphic(rdflib.Graph().parse(data=nt.decode("utf-8"), format="nt"), expected)


# --------------------------------------------------------------------------- search index


def topic_index(site: Path, *, superseded: bool = False) -> dict:
    """The map's search index (assets/search-index.js, loaded by index.html): key -> slugs,
    without the superseded processes unless asked (the page's filter hides them by default)."""
    text = (site / "assets" / "search-index.js").read_text(encoding="ascii")
    data = json.loads(text[text.index("{"):text.rindex("}") + 1])
    fields = data["fields"]
    rows = [dict(zip(fields, row)) for row in data["processes"]]
    topics = {key: [rows[i]["slug"] for i in found if superseded or not rows[i]["superseded"]]
              for key, found in data["topics"].items()}
    return {"topics": {k: v for k, v in topics.items() if v}, "processes": rows}


def test_the_topic_index_gives_what_processes_for_topic_returns(site, store):
    """A key finds the processes handling a responsibility of that name (processes-for-topic)
    and the processes named so (name, synonym or id: the resolver's search keys)."""
    from etom_kg.results import Term

    data = topic_index(site)
    topics = data["topics"]
    sample = sorted(topics)[::40] + ["complaints", "reclamaciones", "reclamacion", "gestion de reclamaciones",
                                     "1.1.1.6", "gestion de problemas", "problem handling"]
    named = ("SELECT ?p WHERE { ?p a <https://w3id.org/etom-kg/ontology#Process> ; "
             "<https://w3id.org/etom-kg/ontology#searchKey> ?k "
             "FILTER NOT EXISTS { ?p <http://www.w3.org/2002/07/owl#deprecated> true } }")
    for key in sample:
        bound = {"topic": Term.literal(key), "include_deprecated": Term.literal("false", "http://www.w3.org/2001/XMLSchema#boolean")}
        expected = {local(r["process"]) for r in store.run(catalog("cq").get("processes-for-topic").text, bound).records()}
        expected |= {local(row[0].value) for row in store.run(named, {"k": Term.literal(key)}).rows}
        assert set(topics[key]) == expected, key
    assert set(topics["complaints"]) == set(topics["reclamaciones"])
    assert "ProblemHandling" in topics["complaints"]


def test_topic_keys_are_normalised_like_the_query(site):
    for key in topic_index(site, superseded=True)["topics"]:
        assert key == " ".join(key.split()) and key == key.lower()
        assert not set(key) & set("áàâäéèêëíìîïóòôöúùûüñ")


# --------------------------------------------------------------------------- other pages, offline


def test_the_ontology_page_describes_every_class_and_property(site, ontology):
    import rdflib

    root = page(site, "ontology.html")
    articles = {a.get("id"): a for a in root.iter("article")}
    kinds = [rdflib.URIRef(OWL + k) for k in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty")]
    terms = {str(s) for k in kinds for s in ontology.subjects(rdflib.RDF.type, k) if str(s).startswith(ETOM)}
    assert {t[len(ETOM):] for t in terms} == set(articles)
    process = articles["Process"]
    assert shown(process.find("h3"), "en").startswith("process") and shown(process.find("h3"), "es").startswith("proceso")
    assert [p.get("lang") for p in process.findall("p")] == ["en", "es"]


def test_nothing_is_loaded_from_outside_the_site(site):
    for path in site.rglob("*.html"):
        for element in ET.parse(path).getroot().iter():
            for attribute in ("src", "href"):
                target = element.get(attribute) or ""
                if element.tag == "a" and "external" in (element.get("class") or ""):
                    continue  # a source the reader may follow; the page never fetches it
                assert "://" not in target and not target.startswith("//"), (path.name, element.tag, target)
    for path in list(site.rglob("*.css")) + list(site.rglob("*.js")):
        text = path.read_text(encoding="utf-8")
        assert "http:" not in text and "https:" not in text and "@import" not in text, path.name


def test_every_page_is_bilingual_label_by_label(site):
    for rel in ("index.html", "processes.html", "ontology.html", "process/ProblemHandling.html"):
        spans = [e.get("lang") for e in page(site, rel).iter() if "l" in (e.get("class") or "").split()]
        assert set(spans) == {"en", "es"} and spans.count("en") == spans.count("es") > 10


# --------------------------------------------------------------------------- application links


def test_the_heat_map_counts_supporting_applications(linked_site, site):
    counts = {b.get("data-process"): int(b.get("data-applications")) for b in boxes(page(linked_site, "index.html"))}
    assert counts["ProblemHandling"] == 2  # CRM Suite serves it, Trouble Ticketing serves a part
    assert counts["OrderHandling"] == 1 and counts["BillInquiryHandling"] == 1
    assert counts["ResourceDataCollectionAndDistribution"] == 3
    assert counts["Selling"] == 0 and counts["ServiceQualityManagement"] == 0
    classes = {b.get("data-process"): b.get("class").split() for b in boxes(page(linked_site, "index.html"))}
    assert all(f"cov-{min(n, 3)}" in classes[slug] for slug, n in counts.items())
    assert not any(b.get("data-applications") for b in boxes(page(site, "index.html")))


def test_process_pages_list_their_applications(linked_site):
    rows = page(linked_site, "process/ProblemHandling.html").findall(".//section[@id='applications']//tbody/tr")
    assert {(r.get("data-application").rsplit("/", 1)[-1], r.get("data-relation")) for r in rows} == {
        ("CrmSuite", "serves"), ("TroubleTicketing", "contributes"),
    }
    uncovered = page(linked_site, "process/Selling.html").find(".//section[@id='applications']/p")
    assert "uncovered" in uncovered.get("class")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


PREFIXES = "@prefix etom: <https://w3id.org/etom-kg/ontology#> . @prefix proc: <https://w3id.org/etom-kg/process/> .\n"


@pytest.mark.parametrize("body, message", [
    ("<urn:a> a etom:Application ; etom:servesProcess proc:ProblemHandlin .\n", "not eTOM processes: <https://w3id.org/etom-kg/process/ProblemHandlin>"),
    ("<urn:a> a etom:Application .\n", "links no application to a process"),
    ("<urn:a> a etom:Application ;\n  etom:servesProcess proc:ProblemHandling\n", "links.ttl: malformed Turtle: .* line 4"),
])
def test_bad_links_are_refused_with_the_file_named(tmp_path, body, message):
    from etom_kg.site.links import graph_with_links

    with pytest.raises(InputError, match=message.replace("(", r"\(")) as info:
        graph_with_links(write(tmp_path, "links.ttl", PREFIXES + body))
    assert "links.ttl" in str(info.value)


def test_a_process_linked_as_an_application_is_inconsistent(tmp_path):
    from etom_kg.errors import ReasoningError
    from etom_kg.site.links import graph_with_links

    with pytest.raises(ReasoningError, match="disjoint"):
        graph_with_links(write(tmp_path, "links.ttl", PREFIXES + "proc:Selling etom:servesProcess proc:ProblemHandling .\n"))


# --------------------------------------------------------------------------- writing the directory


def test_the_cli_writes_the_same_bytes_every_time(site, tmp_path, capsys):
    from etom_kg.cli import main

    out = tmp_path / "again"
    assert main(["site", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    files = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    pages = sum(1 for f in files if f.parts[0] == "process" and f.suffix == ".html")
    assert f"{pages} process pages" in err and pages > 650
    assert files == sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert all((site / f).read_bytes() == (out / f).read_bytes() for f in files)


def test_an_unrelated_directory_is_never_overwritten(tmp_path):
    from etom_kg.site.build import write_tree

    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="not empty and was not written by 'etom-kg site'"):
        write_tree(tmp_path, {"index.html": b"x"})
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "index.html").exists()


def test_rewriting_a_site_replaces_it_whole(tmp_path):
    from etom_kg.site.build import write_tree

    out = tmp_path / "site"
    write_tree(out, {"index.html": b"one", "process/Old.html": b"old"})
    write_tree(out, {"index.html": b"two"})
    assert (out / "index.html").read_bytes() == b"two"
    assert not (out / "process").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging leftovers


def test_cli_bad_links_exit_2(tmp_path, capsys):
    from etom_kg.cli import main

    links = write(tmp_path, "links.ttl", PREFIXES + "<urn:a> etom:servesProcess proc:Nope .\n")
    assert main(["site", "-o", str(tmp_path / "out"), "--links", str(links)]) == 2
    assert "links.ttl" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()



def test_process_pages_show_every_level_below_them(site, store):
    """Level-3 pages list their Level-4 parts, Level-4 pages their Level-5 parts, and a
    Level-2 page the whole tree below it (issue 10)."""
    def sub_processes(rel):
        section = page(site, rel).find(".//section[@id='children']")
        return {a.get("data-process") for a in section.iter("a")}

    level4 = {local(r["child"]) for r in records(store, "children", process=PROC + "IsolateCustomerProblem")}
    assert {"VerifyProductConfiguration", "PerformSpecificCustomerProblemDiagnostics"} <= level4
    assert sub_processes("process/IsolateCustomerProblem.html") == level4
    assert "GatherCustomerInformation" in sub_processes("process/BuildCustomerInsight.html")  # Level 5
    assert {"IsolateCustomerProblem", "VerifyProductConfiguration"} <= sub_processes("process/ProblemHandling.html")


# --------------------------------------------------------------------------- map: find, levels, filters (issue 14)


def test_the_search_index_is_a_file_of_its_own_with_every_process(site, store):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert 'id="topic-index"' not in html and 'src="assets/search-index.js"' in html and 'src="assets/map.js"' in html
    assert len(html.encode("utf-8")) < 100_000  # the map page no longer carries the index
    rows = {r["slug"]: r for r in topic_index(site)["processes"]}
    details = records(store, "process-details", include_deprecated=True)
    assert set(rows) == {local(r["process"]) for r in details}
    v21 = {local(row[0].value): row[1].value for row in store.run(
        "SELECT ?process ?v WHERE { ?process a <https://w3id.org/etom-kg/ontology#Process> ; "
        "<https://w3id.org/etom-kg/ontology#v21Id> ?v }").rows}
    assert len(v21) > 600
    for r in details:
        row = rows[local(r["process"])]
        assert (row["id"], row["v21"], row["level"], row["en"], bool(row["superseded"])) == (
            r["id"], v21.get(local(r["process"]), ""), int(r["level"]), r["label_en"], bool(r["deprecated"]))
    by_position = topic_index(site)["processes"]
    problem = rows["ProblemHandling"]
    assert by_position[problem["parent"]]["slug"] == "CustomerRelationshipManagement"
    assert problem["v21"] and problem["v21"] != problem["id"]


def test_superseded_processes_are_indexed_but_flagged(site, store):
    superseded = {local(r["process"]) for r in records(store, "deprecated-processes")}
    assert superseded
    flagged = {r["slug"] for r in topic_index(site)["processes"] if r["superseded"]}
    assert flagged == superseded
    everything = topic_index(site, superseded=True)["topics"]
    default = topic_index(site)["topics"]
    found_with = {s for slugs in everything.values() for s in slugs}
    found_without = {s for slugs in default.values() for s in slugs}
    assert superseded <= found_with and not superseded & found_without


def test_every_page_below_a_box_links_to_its_place_on_the_map(site, store):
    rows = {local(r["process"]): r for r in records(store, "process-details")}
    on_map = {local(r["process"]) for r in records(store, "matrix")}
    parent = {slug: (local(r["parent"]) if r["parent"] else None) for slug, r in rows.items()}

    def under_a_box(slug):
        while slug:
            if slug in on_map:
                return True
            slug = parent.get(slug)
        return False

    for level in (3, 4, 5):
        slugs = [s for s, r in rows.items() if int(r["level"]) == level]
        assert slugs
        for slug in slugs[:30]:
            links = [a.get("href") for a in page(site, f"process/{slug}.html").iter("a") if a.get("class") == "to-map"]
            assert links == ([f"../index.html#process={slug}"] if under_a_box(slug) else []), slug


def test_the_search_and_filters_say_they_need_javascript(index):
    forms = {f.get("class"): f for f in index.iter("form")}
    search = forms["topic-search needs-js"]
    assert search.get("action") == "processes.html"  # never a form that silently does nothing
    (note,) = index.iter("noscript")
    assert [a.get("href") for a in note.iter("a")] == ["processes.html"]
    (filters,) = [d for d in index.iter("details") if d.get("id") == "filters"]
    assert "needs-js" in filters.get("class").split()
    names = {i.get("name") for i in filters.iter("input")}
    assert names == {"vertical", "horizontal", "superseded", "ids"}
    labels = [lab for lab in filters.iter("label")]
    assert all(lab.find("input") is not None and shown(lab, "en") and shown(lab, "es") for lab in labels)
