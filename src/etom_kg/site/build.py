"""``etom-kg site``: render the model into files and write them as one directory swap."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from .. import __version__
from ..errors import InputError
from .layout import poster_grid
from .model import SiteModel, collect
from .pages import (FLOW_DIR, PROCESS_DIR, SEARCH_INDEX, Context, catalogue_page, flow_page, index_page, load_strings,
                    not_found_page, ontology_page, process_page, search_index_script, sparql_page)
from .rdf import jsonld, own_triples, turtle

MARKER = ".etom-kg-site"
STATIC_ASSETS = ("site.css", "site.js", "favicon.svg", "sparql.js", "map.js", "map.css")


@dataclass(frozen=True)
class SiteReport:
    directory: Path
    files: int
    processes: int
    map_processes: int
    topics: int
    applications: int


def asset(name: str):
    return resources.files("etom_kg.site").joinpath("assets", name)


def render_site(model: SiteModel, asserted_store) -> dict[str, bytes]:
    """Every file of the site, by path relative to its root. Pure: same graph, same bytes."""
    ctx = Context(
        model=model,
        strings=load_strings(json.loads(asset("strings.json").read_text(encoding="utf-8"))),
        template=Template(asset("page.html").read_text(encoding="utf-8")),
        version=__version__,
    )
    grid = poster_grid(model)
    files: dict[str, str | bytes] = {
        "index.html": index_page(ctx, grid),
        "processes.html": catalogue_page(ctx),
        "ontology.html": ontology_page(ctx),
        "sparql.html": sparql_page(ctx),
        "404.html": not_found_page(ctx),
        SEARCH_INDEX: search_index_script(ctx),
    }
    for p in model.processes.values():
        files[f"{PROCESS_DIR}/{p.slug}.html"] = process_page(ctx, p)
        triples = own_triples(asserted_store, p.iri)
        files[f"{PROCESS_DIR}/{p.slug}.ttl"] = turtle(triples)
        files[f"{PROCESS_DIR}/{p.slug}.jsonld"] = jsonld(triples)
    for f in model.flows:
        files[f"{FLOW_DIR}/{f.slug}.html"] = flow_page(ctx, f, grid)
    from .picture import poster_svg

    files["map.svg"] = poster_svg(model, grid)  # the map as a picture (etom_kg.site.picture)
    for name in STATIC_ASSETS:
        files[f"assets/{name}"] = asset(name).read_bytes()
    return {path: data.encode("utf-8") if isinstance(data, str) else data for path, data in sorted(files.items())}


def write_tree(out: Path, files: dict[str, bytes]) -> None:
    """Write into a fresh sibling directory, then swap it in: readers see the old site or
    the new one, never a mix, and an unrelated directory is never overwritten."""
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise InputError(f"{out}: exists and is not a directory")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise InputError(f"{out}: the directory is not empty and was not written by 'etom-kg site'; choose a new or empty directory")
    from ..files import directory_mode, remove_leftovers, swap_directory

    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)
    stage = parent / f".{out.name}.loading-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        for rel, data in files.items():
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (stage / MARKER).write_text(f"written by etom-kg site {__version__}\n", encoding="utf-8")
        os.chmod(stage, directory_mode())
        swap_directory(stage, out.absolute())
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def build_site(out: str | Path, *, links: str | Path | None = None, include_deprecated: bool = False,
               backend=None) -> SiteReport:
    """Generate the static site for the embedded graph (plus application links) into ``out``.

    ``backend`` is the reasoned graph when the caller already has it (``etom-kg serve``
    answers SPARQL from the same one); by default it is read from ``links``.
    """
    from ..store import default_store
    from .links import graph_with_links

    if backend is None:
        backend = graph_with_links(links)
    asserted = default_store(reasoned=False)
    model = collect(backend, asserted, include_deprecated=include_deprecated, applications=links is not None)
    files = render_site(model, asserted.store)
    write_tree(Path(out), files)
    apps = {a.iri for p in model.processes.values() for a in p.applications}
    return SiteReport(
        directory=Path(out), files=len(files), processes=len(model.processes),
        map_processes=len({e.process for e in model.matrix}), topics=len(model.topic_index), applications=len(apps),
    )


# --------------------------------------------------------------------------- every screen and pictures (issue 14, items 4-5)
STATIC_ASSETS += ("responsive.css", "export.js")  # phone and print layout; SVG/PNG/CSV downloads of the map
