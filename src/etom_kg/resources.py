"""Packaged data (ontology, queries) read through importlib.resources.

The wheel carries ``ontology/`` and ``queries/`` under ``etom_kg/data``; nothing here
depends on the working directory.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

ONTOLOGY_FILE = "etom.ttl"


def data_root() -> Traversable:
    return resources.files("etom_kg").joinpath("data")


def ontology_file(name: str = ONTOLOGY_FILE) -> Traversable:
    return data_root().joinpath("ontology", name)


def ontology_bytes(name: str = ONTOLOGY_FILE) -> bytes:
    return ontology_file(name).read_bytes()


def query_root() -> Traversable:
    return data_root().joinpath("queries")


def package_file(name: str) -> Traversable:
    return resources.files("etom_kg").joinpath(name)
