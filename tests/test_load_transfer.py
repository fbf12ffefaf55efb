"""`etom-kg load` writes the reasoned memory store to disk through a named pipe (or a file):
every quad arrives, nothing is left next to the store, and no failure hangs or half-loads."""

from __future__ import annotations

import os
import threading

import pyoxigraph as ox
import pytest

from etom_kg.loading import transfer


def _memory(n: int = 2000) -> ox.Store:
    store = ox.Store()
    store.extend(ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal(f"v{i}"), ox.DefaultGraph())
                 for i in range(n))
    store.add(ox.Quad(ox.BlankNode("b"), ox.NamedNode("urn:p"), ox.NamedNode("urn:o"), ox.NamedNode("urn:g")))
    return store


def _dump(store: ox.Store) -> set[str]:
    return set(store.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines())


@pytest.mark.parametrize("pipe", [True, False], ids=["named-pipe", "file"])
def test_every_quad_arrives_and_nothing_is_left_behind(tmp_path, monkeypatch, pipe):
    if not pipe:
        monkeypatch.delattr(os, "mkfifo", raising=False)
    elif not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    memory, disk = _memory(), ox.Store(str(tmp_path / "disk"))
    transfer(memory, disk, tmp_path / ".disk.loading-1.nq")
    assert len(disk) == len(memory) == 2001
    # blank-node labels are renamed by bulk_load: compare the ground part, and the shape of the rest
    assert {q for q in _dump(disk) if not q.startswith("_:")} == {q for q in _dump(memory) if not q.startswith("_:")}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["disk"]


class _BrokenDump:
    """A memory store whose dump stops half-way (disk full, a bug): the load must fail."""

    def dump(self, out, format):
        out.write(b"<urn:a> <urn:p> <urn:c> .\n" * 1000)
        raise OSError("no space left on device")


def test_a_dump_that_breaks_off_fails_the_transfer(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    disk = ox.Store(str(tmp_path / "disk"))
    with pytest.raises(OSError, match="no space left"):
        transfer(_BrokenDump(), disk, tmp_path / ".disk.loading-1.nq")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["disk"]


def test_a_load_that_stops_early_does_not_leave_the_writer_blocked(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    path = tmp_path / "ro"
    ox.Store(str(path)).flush()
    read_only = ox.Store.read_only(str(path))  # refuses the bulk load before it opens the pipe
    before = threading.active_count()
    with pytest.raises((OSError, RuntimeError)):  # pyoxigraph: "SST creation is only possible on read-write instances"
        transfer(_memory(), read_only, tmp_path / ".ro.loading-1.nq")
    assert threading.active_count() == before  # the dump thread ended
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro"]
