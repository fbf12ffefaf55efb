"""Synthetic application landscapes linked to eTOM, for benchmarks and scale tests.

``landscape(n_triples)`` writes N-Triples of an enterprise extension (application classes,
sub-properties of ``etom:supportsProcess``, a dependency property with domain and range) plus
applications each linked to a few Level-3 processes — the shape of data users link to
eTOM. Reproducible for a given seed.
"""

from __future__ import annotations

import random

from .namespaces import ETOM, OWL, RDF, RDFS

EXT = "https://example.org/enterprise#"
APP_CLASSES = ("BillingSystem", "CRMSystem", "OrderManagementSystem", "InventorySystem",
               "TroubleTicketingSystem", "NetworkManagementSystem", "MediationSystem", "Portal")


def _t(s: str, p: str, o: str) -> str:
    return f"{s} {p} {o} .\n"


def _iri(x: str) -> str:
    return f"<{x}>"


def _lit(x: str) -> str:
    return '"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"'


def extension_schema() -> list[str]:
    """A few extension classes and sub-properties, as users write them."""
    a, sco, spo = _iri(f"{RDF}type"), _iri(f"{RDFS}subClassOf"), _iri(f"{RDFS}subPropertyOf")
    lines = [
        _t(_iri(f"{EXT}SoftwareAsset"), a, _iri(f"{OWL}Class")),
        _t(_iri(f"{ETOM}Application"), sco, _iri(f"{EXT}SoftwareAsset")),
        _t(_iri(f"{EXT}primarilySupports"), a, _iri(f"{OWL}ObjectProperty")),
        _t(_iri(f"{EXT}primarilySupports"), spo, _iri(f"{ETOM}supportsProcess")),
        _t(_iri(f"{EXT}dependsOn"), a, _iri(f"{OWL}ObjectProperty")),
        _t(_iri(f"{EXT}dependsOn"), _iri(f"{RDFS}domain"), _iri(f"{ETOM}Application")),
        _t(_iri(f"{EXT}dependsOn"), _iri(f"{RDFS}range"), _iri(f"{ETOM}Application")),
    ]
    for c in APP_CLASSES:
        lines.append(_t(_iri(f"{EXT}{c}"), a, _iri(f"{OWL}Class")))
        lines.append(_t(_iri(f"{EXT}{c}"), sco, _iri(f"{ETOM}Application")))
    return lines


def landscape(n_triples: int, processes: list[str], *, seed: int = 42) -> str:
    """N-Triples text of about ``n_triples`` triples linking applications to ``processes``."""
    if not processes:
        raise ValueError("no processes to link to")
    rnd = random.Random(seed)
    lines = extension_schema()
    a, label = _iri(f"{RDF}type"), _iri(f"{RDFS}label")
    props = [f"{ETOM}supportsProcess", f"{ETOM}servesProcess", f"{ETOM}realizesProcess", f"{EXT}primarilySupports"]
    i = 0
    while len(lines) < n_triples:
        app = _iri(f"{EXT}app{i:07d}")
        lines.append(_t(app, a, _iri(f"{EXT}{rnd.choice(APP_CLASSES)}")))
        lines.append(_t(app, label, _lit(f"Application {i}")))
        for proc in rnd.sample(processes, min(len(processes), rnd.randint(1, 4))):
            lines.append(_t(app, _iri(rnd.choice(props)), _iri(proc)))
        if i and rnd.random() < 0.5:
            lines.append(_t(app, _iri(f"{EXT}dependsOn"), _iri(f"{EXT}app{rnd.randrange(i):07d}")))
        i += 1
    return "".join(lines)


INVENTORY2 = "https://example.org/inventory2#"


def linked_landscape(n_triples: int, processes: list[str], *, seed: int = 42) -> str:
    """:func:`landscape` merged with a second application inventory, linked the way
    enterprise data is: an application key (``owl:hasKey``), a functional owner,
    ``owl:sameAs`` between known duplicates and a ``owl:hasValue`` class. It exercises
    the OWL 2 RL rules beyond the common vocabulary (equality and class expressions)."""
    rnd = random.Random(seed + 1)
    a, ext = _iri(f"{RDF}type"), lambda x: _iri(f"{EXT}{x}")
    lines = [
        _t(ext("appId"), a, _iri(f"{OWL}DatatypeProperty")),
        _t(_iri(f"{ETOM}Application"), _iri(f"{OWL}hasKey"), "_:key"),
        _t("_:key", _iri(f"{RDF}first"), ext("appId")),
        _t("_:key", _iri(f"{RDF}rest"), _iri(f"{RDF}nil")),
        _t(ext("ownedBy"), a, _iri(f"{OWL}FunctionalProperty")),
        _t(ext("ownedBy"), a, _iri(f"{OWL}ObjectProperty")),
        _t(ext("tier"), a, _iri(f"{OWL}ObjectProperty")),
        _t(ext("CriticalApplication"), _iri(f"{OWL}equivalentClass"), "_:critical"),
        _t("_:critical", a, _iri(f"{OWL}Restriction")),
        _t("_:critical", _iri(f"{OWL}onProperty"), ext("tier")),
        _t("_:critical", _iri(f"{OWL}hasValue"), ext("tier1")),
    ]
    base = landscape(int(n_triples * 0.8), processes, seed=seed)
    apps = sorted({line.split(" ", 1)[0] for line in base.splitlines() if "/enterprise#app" in line.split(" ", 1)[0]})
    for app in apps:
        number = app.rsplit("app", 1)[1].rstrip(">")
        lines.append(_t(app, ext("appId"), _lit(f"APP-{number}")))
        lines.append(_t(app, ext("ownedBy"), ext(f"team{rnd.randrange(50)}")))
        if rnd.random() < 0.2:
            lines.append(_t(app, ext("tier"), ext("tier1")))
        if rnd.random() < 0.15:  # the same application in the second inventory, found by its key
            twin = _iri(f"{INVENTORY2}app{number}")
            lines.append(_t(twin, a, _iri(f"{ETOM}Application")))
            lines.append(_t(twin, ext("appId"), _lit(f"APP-{number}")))
            lines.append(_t(twin, _iri(f"{RDFS}label"), _lit(f"App {number} (inventory 2)")))
        elif rnd.random() < 0.1:  # or linked by hand
            lines.append(_t(app, _iri(f"{OWL}sameAs"), _iri(f"{INVENTORY2}legacy{number}")))
    return base + "".join(lines)


def level3_processes(store) -> list[str]:
    """The Level-3 process IRIs of an (asserted) oxigraph store, sorted."""
    rows = store.query(f"SELECT ?p WHERE {{ ?p a <{ETOM}Level3Process> }} ORDER BY ?p")
    return [row["p"].value for row in rows]
