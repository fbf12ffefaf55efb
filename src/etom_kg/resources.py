"""Packaged data (ontology, queries): the ``data`` folder of the installed package.

The wheel carries ``ontology/`` and ``queries/`` under ``etom_kg/data``; nothing here
depends on the working directory. When the package is a plain directory (every normal
install) its data folder is returned as a :class:`pathlib.Path`, found from the package's
own location; only other importers (a zip file) go through ``importlib.resources``,
whose import alone costs 10–17 ms — a fifth of a cold ``etom-kg query`` (see
bench/README.md). Both answers are ``Traversable``: callers cannot tell them apart.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

ONTOLOGY_FILE = "etom.ttl"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _package_root() -> "Traversable":
    if os.path.isdir(os.path.join(_PACKAGE_DIR, "data")):
        from pathlib import Path

        return Path(_PACKAGE_DIR)
    from importlib import resources

    return resources.files("etom_kg")


def data_root() -> "Traversable":
    return _package_root().joinpath("data")


def ontology_file(name: str = ONTOLOGY_FILE) -> "Traversable":
    return data_root().joinpath("ontology", name)


def ontology_bytes(name: str = ONTOLOGY_FILE) -> bytes:
    return ontology_file(name).read_bytes()


def query_root() -> "Traversable":
    return data_root().joinpath("queries")


def package_file(name: str) -> "Traversable":
    return _package_root().joinpath(name)
