"""Packaged data (ontology, queries): the ``data`` folder of the installed package.

The wheel carries ``ontology/`` and ``queries/`` under ``etom_kg/data``; nothing here
depends on the working directory. Every function returns a ``Traversable``. When the
package is a plain directory (every normal install) that is a small :class:`DataFile`,
located from the package's own directory; only other importers (a zip file) go through
``importlib.resources``. The reason is start-up time: importing ``importlib.resources``
costs a cold ``etom-kg query`` 10–17 ms and ``pathlib`` 3–8 ms, together a third of it
(see bench/README.md).
"""

from __future__ import annotations

import os

ONTOLOGY_FILE = "etom.ttl"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class DataFile:
    """A file or folder of the installed package: the read-only part of ``Traversable``."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path

    def __repr__(self) -> str:
        return f"DataFile({self.path!r})"

    def __str__(self) -> str:
        return self.path

    def __fspath__(self) -> str:
        return self.path

    def __eq__(self, other) -> bool:
        return isinstance(other, DataFile) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def joinpath(self, *parts: str) -> "DataFile":
        return DataFile(os.path.join(self.path, *parts))

    __truediv__ = joinpath

    def is_dir(self) -> bool:
        return os.path.isdir(self.path)

    def is_file(self) -> bool:
        return os.path.isfile(self.path)

    def iterdir(self):
        return (DataFile(os.path.join(self.path, n)) for n in sorted(os.listdir(self.path)))

    def open(self, mode: str = "r", *args, **kwargs):
        if "w" in mode or "a" in mode or "+" in mode or "x" in mode:
            raise ValueError("packaged data is read-only")
        if "b" not in mode:
            kwargs.setdefault("encoding", "utf-8")
        return open(self.path, mode, *args, **kwargs)

    def read_bytes(self) -> bytes:
        with open(self.path, "rb") as f:
            return f.read()

    def read_text(self, encoding: str | None = "utf-8") -> str:
        with open(self.path, encoding=encoding or "utf-8") as f:
            return f.read()


def _package_root():
    if os.path.isdir(os.path.join(_PACKAGE_DIR, "data")):
        return DataFile(_PACKAGE_DIR)
    from importlib import resources

    return resources.files("etom_kg")


def data_root():
    """``etom_kg/data`` of an installed wheel. In an editable install (``pip install -e .``) the
    package is the source folder, which has no ``data``: the checkout's own ``ontology/`` and
    ``queries/`` two levels up are the same files."""
    if not os.path.isdir(os.path.join(_PACKAGE_DIR, "data")):
        checkout = os.path.dirname(os.path.dirname(_PACKAGE_DIR))
        if os.path.isfile(os.path.join(checkout, "ontology", ONTOLOGY_FILE)) and os.path.isdir(os.path.join(checkout, "queries")):
            return DataFile(checkout)
    return _package_root().joinpath("data")  # reading a missing file names it (FileNotFoundError)


def ontology_file(name: str = ONTOLOGY_FILE):
    return data_root().joinpath("ontology", name)


def ontology_bytes(name: str = ONTOLOGY_FILE) -> bytes:
    return ontology_file(name).read_bytes()


def query_root():
    return data_root().joinpath("queries")


def package_file(name: str):
    return _package_root().joinpath(name)
