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


def level3_processes(store) -> list[str]:
    """The Level-3 process IRIs of an (asserted) oxigraph store, sorted."""
    rows = store.query(f"SELECT ?p WHERE {{ ?p a <{ETOM}Level3Process> }} ORDER BY ?p")
    return [row["p"].value for row in rows]
