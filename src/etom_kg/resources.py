"""Packaged data (ontology, queries) read through importlib.resources.

The wheel carries ``ontology/`` and ``queries/`` under ``etom_kg/data``; nothing here
depends on the working directory.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

ONTOLOGY_FILE = "etom.ttl"


def data_root() -> Traversable:
    """``etom_kg/data`` of an installed wheel; in an editable install (``pip install -e .``)
    the package is the source folder, which has no ``data``: the checkout's own
    ``ontology/`` and ``queries/`` two levels up are the same files."""
    packaged = resources.files("etom_kg").joinpath("data")
    if packaged.is_dir():
        return packaged
    from pathlib import Path

    checkout = Path(str(resources.files("etom_kg"))).parents[1]
    if (checkout / "ontology" / ONTOLOGY_FILE).is_file() and (checkout / "queries").is_dir():
        return checkout
    return packaged  # reading from it raises FileNotFoundError naming the missing file


def ontology_file(name: str = ONTOLOGY_FILE) -> Traversable:
    return data_root().joinpath("ontology", name)


def ontology_bytes(name: str = ONTOLOGY_FILE) -> bytes:
    return ontology_file(name).read_bytes()


def query_root() -> Traversable:
    return data_root().joinpath("queries")


def package_file(name: str) -> Traversable:
    return resources.files("etom_kg").joinpath(name)
