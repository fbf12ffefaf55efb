"""Expected answers of every stored competency query on the full shipped graph, and exact
answers on the hand-checkable fixture for the queries about channels, lineage, support,
sources and applications (tests/data/mini.ttl + tests/data/mini-relations.ttl)."""

import pytest

from etom_kg.api import run_stored
from etom_kg.queries import catalog

P = "https://w3id.org/etom-kg/process/"
C = "https://w3id.org/etom-kg/concept/"
E = "https://w3id.org/etom-kg/ontology#"


def fail(info):
    pytest.fail(repr(info)[:2000])


def names(result, column):
    return [v.rsplit("/", 1)[-1] if isinstance(v, str) else v for v in result.column(column)]


# ---------------------------------------------------------------- the full graph
# Each entry: parameters, and a check of the answer against facts of the reference table
# (../shared/reference/etom-facts.md) and the seed text.

def check_ancestors(r):
    assert r.column("id") == ["1.1.1.6", "1.1.1", "1.1"] and r.column("level") == [2, 1, 0]


def check_children(r):
    assert r.column("id") == [f"1.1.1.6.{i}" for i in range(1, 7)]
    assert "Create Customer Problem Report" in r.column("label")


def check_descendants(r):
    ids = r.column("id")
    assert [i for i in ids if i.count(".") == 4] == [f"1.1.1.12.{i}" for i in range(1, 7)]
    assert "1.1.1.12.1.1" in ids and all(i.startswith("1.1.1.12.") for i in ids) and len(ids) == 24


def check_deprecated(r):
    # 1.1.1.1.1 and 1.1.1.1.15 live on under Customer Support & Readiness (issue 10, E2 and E16);
    # the classic Level-2 Customer Interface Management handed its name to a Level-3 process
    assert sorted(set(r.column("id"))) == ["1.1.1.1", "1.1.1.2", "1.1.1.8"]
    replaced = {(row["id"], row["replacement_label"]) for row in r.records()}
    assert ("1.1.1.8", "Bill Inquiry Handling") in replaced
    assert ("1.1.1.1", "Customer Support & Readiness") in replaced
    assert ("1.1.1.2", "Customer Interaction Management") in replaced


def check_topic(r):
    ids = r.column("id")
    assert len(r) == 50
    for expected in ("1.1.1", "1.1.2", "1.1.3", "1.1.1.6", "1.1.1.7", "1.1.1.12", "1.1.1.18", "1.1.2.3", "1.1.3.3",
                     "1.1.1.6.5", "1.1.1.22.15", "1.1.1.12.1.1"):
        assert expected in ids
    assert "1.1.1.8" not in ids  # deprecated
    assert set(r.column("level")) == {1, 2, 3, 4}


def check_processes(r):
    assert len(r) == 674  # every current process, Level 0 to 5
    row = next(x for x in r.records() if x["id"] == "1.1.1.18")
    assert row == {"process": P + "CustomerInteractionManagement", "id": "1.1.1.18", "level": 2,
                   "label_en": "Customer Interaction Management", "label_es": row["label_es"], "parent_id": "1.1.1",
                   "verticals": "Fulfillment; Assurance; Billing & Revenue Management"}
    assert next(x for x in r.records() if x["id"] == "1.1.2.1")["verticals"] == "Operations Support & Readiness"
    assert next(x for x in r.records() if x["id"] == "1.1.1.16.1.1.1")["parent_id"] == "1.1.1.16.1.1"


FULL = {
    "applications-of-process": ({"process": "1.1.1.6"}, lambda r: len(r) == 0 or fail(r.records())),  # no landscape embedded
    "ancestors": ({"process": "1.1.1.6.5"}, check_ancestors),
    "channels-of-process": ({"process": "Problem Handling"}, lambda r: ({"telephone", "web"} <= set(r.column("channel_en"))
                                                                      and set(names(r, "stated_on")) == {"CustomerRelationshipManagement"})
                            or fail(r.records())),
    "channels": ({}, lambda r: (
        sorted(names(r, "channel")) == ["DirectContact", "OtherChannels", "PointOfSale", "Telephone", "Telephone", "Web", "Web"]
        or fail(names(r, "channel")))),
    "children": ({"process": "Problem Handling"}, check_children),
    "deprecated-processes": ({}, check_deprecated),
    "domains": ({}, lambda r: (r.column("notation") == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6"]
                               and dict(zip(r.column("notation"), names(r, "closest_grouping")))["1.3"] == "CustomerRelationshipManagement"
                               and sum(r.column("processes")) >= 651) or fail(r.records())),
    "domain-members": ({"domain": "Dominio de Producto"}, lambda r: ({"1.2.17", "1.2.6", "1.2.6.1"} <= set(r.column("v21_id"))
                                                                   and "1.1.1.13" in r.column("id")) or fail(r.records()[:5])),
    "successors": ({"process": "1.1.1.8"}, lambda r: (
        sorted(r.column("replacement_label")) == ["Bill Inquiry Handling", "Bill Invoice Management",
                                                  "Bill Payments & Receivables Management"]
        and set(r.column("status")) == {"split"}) or fail(r.records())),
    "descendants": ({"process": "1.3.11"}, check_descendants),  # Bill Inquiry Handling by R16 id
    "directly-invocable": ({}, lambda r: {"ServiceManagementAndOperations", "ResourceTroubleManagement",  # E7: alarms
                                          "ServiceProblemManagement", "ProblemHandling", "CustomerInteractionManagement"}
                           <= set(names(r, "process")) or fail(r.records())),
    "framework-outline": ({}, lambda r: (len(r) == 10 and sorted(set(names(r, "area"))) == [
        "EnterpriseManagement", "Operations", "StrategyInfrastructureAndProduct"]) or fail(r.records())),
    "groupings": ({}, lambda r: [row["kind"] for row in r.records()] == ["horizontal"] * 4 + ["vertical"] * 4 or fail(r.records())),
    "inferred-facts": ({}, lambda r: (len(r) == 33 and "1.1.1.15" in r.column("id")) or fail(len(r))),
    "invocations": ({"direct_only": True}, lambda r: {
        ("Customer Relationship Management", "Service Management & Operations"),
        ("Service Management & Operations", "Resource Management & Operations"),
        ("Problem Handling", "Service Problem Management"),
        ("Track & Manage Customer Problem", "Create Service Trouble Report"),
    } <= {(x["caller_label"], x["callee_label"]) for x in r.records()} or fail(r.records())),
    "invoked": ({"process": "1.1.1.6"}, lambda r: (("ServiceProblemManagement", True) in zip(names(r, "invoked"), r.column("direct"))
                                                   and ("ResourceTroubleManagement", False) in zip(names(r, "invoked"), r.column("direct")))
                or fail(r.records())),
    "invokers": ({"process": "1.1.2.3"}, lambda r: "ProblemHandling" in names(r, "invoker") or fail(r.records())),
    "lineage": ({}, lambda r: ("Customer Problem Management" in r.column("later_name")
                               and "1.3.7" in r.column("r16_id")) or fail(r.records()[:3])),
    "lineage-summary": ({}, lambda r: (dict(zip(names(r, "status"), r.column("processes")))["Renamed"] >= 10) or fail(r.records())),
    "matrix": ({}, lambda r: (len(set(r.column("process"))) == 42
                              and r.column("vertical").count(P + "Assurance") == 17) or fail(len(r))),  # as GB921 v21 has them
    "matrix-cell": ({"vertical": "Aseguramiento del Servicio", "horizontal": "Customer Relationship Management"},
                    lambda r: {"1.1.1.6", "1.1.1.7", "1.1.1.6.5", "1.1.1.7.2"} <= set(r.column("id"))
                    and "1.1.1.12" not in r.column("id") or fail(r.column("id"))),
    "ontology-terms": ({}, lambda r: {E + "Process", E + "handles", E + "classicId", E + "inferred"} <= set(r.column("term"))
                       or fail(r.column("term"))),
    "process-applications": ({}, lambda r: len(r) == 0 or fail(r.records())),  # no applications in eTOM itself
    "process-count-by-level": ({}, lambda r: r.records() == [
        {"level": 0, "processes": 3}, {"level": 1, "processes": 8}, {"level": 2, "processes": 42},
        {"level": 3, "processes": 160}, {"level": 4, "processes": 441}, {"level": 5, "processes": 20}] or fail(r.records())),
    "process-details": ({}, lambda r: (len(set(r.column("process"))) == 674
                                       and next(x for x in r.records() if x["id"] == "1.1.1.6")["r16_id"] == "1.3.7")
                        or fail(len(r))),
    "process-lookup": ({"text": "1.3.7"}, lambda r: names(r, "process") == ["ProblemHandling"] or fail(r.records())),
    "process-other-names": ({}, lambda r: ("Customer Problem Management", "en") in {(x["name"], x["lang"]) for x in r.records()}
                            or fail(r.records()[:5])),
    "process-sources": ({}, lambda r: (P + "ProblemHandling", "http://ilsa.kz/etom/main/etomprocess90.htm") in
                        {(x["process"], x["source"]) for x in r.records()} or fail(len(r))),
    "processes": ({}, check_processes),
    "processes-for-channel": ({"channel": "punto de venta"}, lambda r: names(r, "process") == ["CustomerRelationshipManagement"]
                              or fail(r.records())),
    "processes-for-topic": ({"topic": "Reclamaciones"}, check_topic),
    "process-levels": ({}, lambda r: [(x["level"], x["processes"]) for x in r.records()] == [
        (0, 3), (1, 8), (2, 42), (3, 160), (4, 441), (5, 20), (6, 0)] and r.column("decomposed")[3] == 102 or fail(r.records())),
    "responsibilities-of-process": ({"process": "1.1.1.6"}, lambda r: (
        {(x["label_en"], x["asserted"]) for x in r.records()} >= {("complaint management", False)}
        and any(x["asserted"] for x in r.records())) or fail(r.records())),
    "responsibility-coverage": ({}, lambda r: dict(zip(names(r, "responsibility"), r.column("processes")))["ComplaintHandling"] == 50
                                or fail(r.records()[:5])),
    "supported": ({"process": "Customer Support & Readiness"},
                  lambda r: {"BillInquiryHandling", "Charging"} <= set(names(r, "supported")) or fail(r.records())),
    "supporters": ({"process": "1.1.1.12"}, lambda r: {"SupportBillInquiryHandling", "CustomerSupportAndReadiness"} <= set(names(r, "supporter"))
                   or fail(r.records())),
    "supports": ({}, lambda r: {("Operations Support & Readiness", v) for v in ("Fulfillment", "Assurance", "Billing & Revenue Management")}
                 <= {(x["supporter_label"], x["supported_label"]) for x in r.records()} or fail(r.records()[:5])),
    "topic-index": ({}, lambda r: (
        {x["process"] for x in r.records() if x["key"] == "reclamaciones"}
        == {x["process"] for x in r.records() if x["key"] == "complaints"} and
        len({x["process"] for x in r.records() if x["key"] == "complaints"}) == 50) or fail(len(r))),
    "topics": ({}, lambda r: dict(zip(names(r, "responsibility"), r.column("processes")))["ComplaintHandling"] == 50
               or fail(r.records()[:5])),
    "undecomposed-processes": ({}, lambda r: ("1.1.1.13.1" in r.column("id") and "1.1.1.6.5" not in r.column("id")
                                              and len(r) == 58) or fail(len(r))),  # E17: Level 4 exists now
    "unsupported-processes": ({}, lambda r: (len(r) == 202 and "1.1.1.6" in r.column("id")) or fail(len(r))),
    "vertical-members": ({"vertical": "Billing & Revenue Management"}, lambda r: {"1.1.1.12", "1.1.1.13", "1.1.2.5", "1.1.4.5"}
                         <= set(r.column("id")) and "1.1.1.6" not in r.column("id") or fail(r.column("id"))),
    "verticals-of-process": ({"process": "1.1.1.18"}, lambda r: sorted(r.column("label_en")) == [
        "Assurance", "Billing & Revenue Management", "Fulfillment"] or fail(r.records())),
}

from test_tmf_queries import FULL as TMF_FULL  # noqa: E402 - issue 12: Open APIs, blocks, ABEs, flows

FULL.update(TMF_FULL)


def test_every_stored_query_has_expected_answers_here():
    assert sorted(FULL) == catalog("cq").ids()


@pytest.mark.parametrize("qid", sorted(FULL))
def test_expected_answers_on_the_full_graph(qid, store):
    params, check = FULL[qid]
    check(run_stored(catalog().get(qid), store, params))


# ---------------------------------------------------------------- the fixture


@pytest.fixture(scope="module")
def relations(data_dir):
    from etom_kg.graph import load_schema
    from etom_kg.reasoning import expand
    from etom_kg.store import RdflibBackend

    g = load_schema()
    g.parse(data_dir / "mini.ttl")
    g.parse(data_dir / "mini-relations.ttl")
    return RdflibBackend(expand(g))


def ask(backend, qid, **params):
    return run_stored(catalog().get(qid), backend, params).records()


def test_fixture_channels_lineage_support(relations):
    assert ask(relations, "channels") == [{
        "process": P + "CustomerRelationshipManagement", "process_label": "Customer Relationship Management",
        "channel": C + "Web", "channel_en": "web", "channel_es": "web"}]
    web = {"channel": C + "Web", "channel_en": "web", "channel_es": "web",
           "stated_on": P + "CustomerRelationshipManagement", "stated_on_label": "Customer Relationship Management"}
    assert ask(relations, "channels-of-process", process="Customer Relationship Management") == [web]
    assert ask(relations, "channels-of-process", process="Create Customer Problem Report") == [web]  # a part of CRM
    assert ask(relations, "channels-of-process", process="Operations") == []  # CRM is part of it, not the reverse
    assert ask(relations, "inferred-facts") == [{"process": P + "Charging", "id": "1.1.1.13", "label": "Charging", "level": 2}]
    assert ask(relations, "lineage") == [
        {"process": P + "ProblemHandling", "id": "1.1.1.6", "r16_id": "", "label": "Problem Handling",
         "later_name": "Customer Problem Management", "status": ""},
        {"process": P + "ProblemHandling", "id": "1.1.1.6", "r16_id": "", "label": "Problem Handling",
         "later_name": "", "status": "renamed"}]
    assert ask(relations, "supports") == [{"supporter": P + "Charging", "supporter_label": "Charging",
                                           "supported": P + "BillInquiryHandling", "supported_label": "Bill Inquiry Handling"}]
    assert ask(relations, "supported", process="Charging") == [
        {"supported": P + "BillInquiryHandling", "id": "1.1.1.12", "label": "Bill Inquiry Handling"}]
    assert ask(relations, "supported", process="Bill Inquiry Handling") == []


def test_fixture_names_sources_applications(relations):
    assert ask(relations, "process-other-names") == [
        {"process": P + "ProblemHandling", "name": "Customer Problem Management", "lang": "en"}]
    assert ask(relations, "process-sources") == [
        {"process": P + "ProblemHandling", "source": "https://example.org/source/problem-handling"}]
    apps = ask(relations, "process-applications")
    assert [(a["process"].rsplit("/", 1)[1], a["relation"]) for a in apps] == [
        ("CreateCustomerProblemReport", "serves"), ("CustomerRelationshipManagement", "contributes"),
        ("Operations", "contributes"), ("ProblemHandling", "contributes")]
    for process, relation in (("Problem Handling", "contributes"), ("1.1.1.6.5", "serves")):
        one = ask(relations, "applications-of-process", process=process)
        assert [(a["application"], a["relation"]) for a in one] == [(apps[0]["application"], relation)]
    assert ask(relations, "applications-of-process", process="Bill Inquiry Handling") == []


def test_fixture_topics_and_index(relations):
    topics = {t["label_en"]: t["processes"] for t in ask(relations, "topics")}
    assert topics == {"billing complaint handling": 1, "complaint handling": 5, "customer complaint handling": 2,
                      "rating": 1, "service-level complaint handling": 1}
    index = ask(relations, "topic-index")
    by_key = {}
    for row in index:
        by_key.setdefault(row["key"], set()).add(row["process"].rsplit("/", 1)[1])
    assert by_key["reclamaciones"] == by_key["complaints"] == by_key["quejas"] == {
        "BillInquiryHandling", "CreateCustomerProblemReport", "CustomerRelationshipManagement",
        "ProblemHandling", "ServiceManagementAndOperations"}
    assert by_key["tarificacion"] == {"Charging"}  # keys are folded: no accents
    terms = {t["term"]: t for t in ask(relations, "ontology-terms")}
    assert terms[E + "partOf"]["transitive"] is True and terms[E + "directlyPartOf"]["transitive"] is False
