"""The site's share of issue 12: process pages list their ODA block, Open APIs, SID ABEs and
flows, and each end-to-end flow has a page listing its processes in the source's order."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_site import page, shown  # the pages are polyglot HTML: they parse as XML


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from etom_kg.site import build_site

    out = tmp_path_factory.mktemp("tmf-site") / "site"
    build_site(out)
    return out




def tmf_items(root: ET.Element, kind: str) -> dict:
    lists = [u for u in root.iter("ul") if f"tmf-{kind}" in (u.get("class") or "").split()]
    return {li.get("data-tmf"): li.get("data-how") for u in lists for li in u.iter("li")}


def test_problem_handling_lists_block_apis_abes_and_flows(site):
    root = page(site, "process/ProblemHandling.html")
    assert tmf_items(root, "block") == {"etomc:CoreCommerceManagementBlock": "stated"}
    apis = tmf_items(root, "api")
    assert apis["etomc:TMF621"] == "via block" and len(apis) == 14
    assert tmf_items(root, "abe") == {"etomc:CustomerProblemAbe": "stated", "etomc:ProductTestAbe": "stated"}
    assert tmf_items(root, "flow") == {"etomc:ProblemToSolutionFlow": "stated", "etomc:ComplaintToSolutionFlow": "stated"}
    links = [a.get("href") for a in root.iter("a") if "flow-link" in (a.get("class") or "").split()]
    assert sorted(links) == ["../flow/ComplaintToSolutionFlow.html", "../flow/ProblemToSolutionFlow.html"]
    section = next(s for s in root.iter("section") if s.get("id") == "tmf")
    assert "Trouble Ticket API" in shown(section, "en") and "a través del bloque" in shown(section, "es")


def test_a_sub_process_shows_its_inherited_block_and_no_flow(site):
    root = page(site, "process/CreateCustomerProblemReport.html")
    assert tmf_items(root, "block") == {"etomc:CoreCommerceManagementBlock": "inherited"}
    assert tmf_items(root, "flow") == {} and tmf_items(root, "api") == {}


def test_a_page_per_flow_with_its_processes_in_order(site):
    flows = sorted(p.name for p in (site / "flow").glob("*.html"))
    assert len(flows) == 20 and "TroubleTicketToSolutionFlow.html" in flows
    root = page(site, "flow/TroubleTicketToSolutionFlow.html")
    items = [li for ol in root.iter("ol") if "flow-processes" in (ol.get("class") or "").split() for li in ol.iter("li")]
    assert [(li.get("value"), li.get("data-process")) for li in items] == [
        ("1", "ServiceProblemManagement"), ("2", "ResourceTroubleManagement")]
    assert "Del Ticket de Incidencia a la Solución" in shown(root, "es")
    assert "Network Centric Process Flows" in shown(root, "en")
    empty = page(site, "flow/IdeaToBusinessPlanFlow.html")  # product flows list no Operations process
    assert [ol for ol in empty.iter("ol") if "flow-processes" in (ol.get("class") or "")] == []


def test_a_flow_page_marks_its_processes_on_the_map(site):
    """Issue 12: the page of a flow shows the map with the flow's processes marked: a box that
    takes part is a match, a box one of whose parts takes part contains a match."""
    root = page(site, "flow/TroubleTicketToSolutionFlow.html")
    marks = {a.get("data-process"): a.get("class") for a in root.iter("a")
             if "box" in (a.get("class") or "").split()}
    assert marks["ServiceProblemManagement"] == marks["ResourceTroubleManagement"] == "box match"
    assert marks["Selling"] == "box"
    order = page(site, "flow/OrderToPaymentFlow.html")
    classes = {a.get("class") for a in order.iter("a") if "box" in (a.get("class") or "").split()}
    assert {"box match", "box contains-match"} & classes and "box" in classes
