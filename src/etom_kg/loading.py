"""Building a persistent local store from users' files plus eTOM (``etom-kg load``).

The files are parsed and reasoned in memory, then written to a new on-disk oxigraph store
next to the target, which replaces the target only when complete: an interrupted or
failed load leaves an existing store as it was.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from . import __version__
from .errors import InputError

META_FILE = "etom-kg-store.json"


class Progress:
    """A one-line progress display on stderr (only when it is a terminal, or when asked)."""

    def __init__(self, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._last = 0.0

    def update(self, label: str, done: int, total: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        frac = 0 if total <= 0 else min(1.0, done / total)
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        self.stream.write(f"\r{label[:40]:40} [{bar}] {frac * 100:5.1f}%")
        self.stream.flush()

    def done(self, message: str) -> None:
        if self.enabled:
            self.stream.write(f"\r{message:80}\n")
            self.stream.flush()


class _CountingReader:
    """Wraps a binary file so the parser's reads drive the progress bar."""

    def __init__(self, f, label: str, total: int, progress: Progress):
        self.f, self.label, self.total, self.progress, self.read_bytes = f, label, total, progress, 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.read_bytes += len(data)
        self.progress.update(self.label, self.read_bytes, self.total)
        return data

    def readinto(self, buffer) -> int:
        n = self.f.readinto(buffer)
        self.read_bytes += n or 0
        self.progress.update(self.label, self.read_bytes, self.total)
        return n


def parse_files(store: ox.Store, files, progress: Progress) -> int:
    """Parse every file into ``store``'s default graph (named graphs kept for TriG/N-Quads)."""
    from .graph import _too_large, input_format

    for path in map(Path, files):
        fmt = input_format(path)
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        from .limits import check_rdf_file

        check_rdf_file(path, fmt)
        size = path.stat().st_size
        try:
            with open(path, "rb") as f:
                reader = _CountingReader(f, f"parsing {path.name}", size, progress)
                store.bulk_load(reader, format=fmt, base_iri=path.resolve().as_uri(),
                                to_graph=None if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS) else ox.DefaultGraph())
        except SyntaxError as e:
            raise InputError(f"{path}: malformed {fmt.name}: {str(e).split(' (', 1)[0]}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{path}: cannot read: {e}") from None
        except MemoryError as e:
            raise InputError(f"{path}: {_too_large(e)}") from None
        progress.update(f"parsing {path.name}", size, size, force=True)
    return len(store)


def build_store(files, target: str | Path, *, reasoner: str = "rules", progress: Progress | None = None) -> dict:
    """Load eTOM plus ``files``, reason, and write an on-disk store at ``target``.

    Returns the store's metadata (also saved as etom-kg-store.json inside it).
    """
    from .rules import materialize
    from .store import load_embedded

    progress = progress or Progress(False)
    target = Path(target)
    if target.exists() and not (target / META_FILE).is_file():
        raise InputError(f"{target}: exists and is not an etom-kg store; choose a new directory")
    started = time.perf_counter()
    memory = ox.Store()
    spilled: list = []
    load_embedded(memory)
    parse_files(memory, files, progress)
    asserted = len(memory)
    progress.update("reasoning", 0, 1, force=True)
    if reasoner == "owlrl":
        memory = _owlrl_store(memory)
    elif reasoner == "rules":
        from .search import NAME_PROPERTIES, SEARCH_KEY

        # What no rule reads is written straight into the dump below instead of being
        # inserted here first (names stay: the search keys are found in this store).
        spilled = materialize(memory, spill=lambda p: p not in NAME_PROPERTIES and p != SEARCH_KEY).spilled
    else:
        raise InputError(f"unknown reasoner {reasoner!r}; valid: rules, owlrl")
    progress.update("reasoning", 1, 1, force=True)

    from .files import remove_leftovers

    remove_leftovers(target)  # what a killed load left behind: staging folders, N-Quads dumps
    staging = target.with_name(f".{target.name}.loading-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        progress.update("writing store", 0, 1, force=True)
        # Stream through a file: bulk-loading N-Quads is far cheaper in time and memory
        # than passing millions of quads through Python (bench/README.md, "load").
        dump = staging.with_name(staging.name + ".nq")
        try:
            reasoned = _dump_with_search_keys(memory, dump, spilled)
            disk = ox.Store(str(staging))
            failed: list = []

            def bulk_load() -> None:
                try:
                    disk.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
                except BaseException as e:  # re-raised below, in the loading thread
                    failed.append(e)

            # The bulk load runs in a second thread (natively, without the GIL) while this
            # one frees the memory store: dropping it holds the GIL for about a second at
            # 10^6, so freeing it in a background thread made this one wait instead.
            loader = _in_background(bulk_load)
            try:
                del memory
            finally:
                loader.join()
            if failed:
                raise failed[0]
        finally:
            dump.unlink(missing_ok=True)
        counted: list = []

        def count() -> None:
            try:
                counted.append(len(disk))
            except BaseException as e:  # re-raised below, in the loading thread
                counted.append(e)

        # spilled triples may repeat others: count what was stored, beside the compaction
        counter = _in_background(count) if reasoned is None else None
        try:
            disk.flush()
            disk.optimize()
        finally:
            if counter is not None:
                counter.join()
        if counter is not None:
            if isinstance(counted[0], BaseException):
                raise counted[0]
            reasoned = counted[0]
        meta = {
            "etom_kg_version": __version__,
            "sources": [str(Path(f).resolve()) for f in files],
            "asserted_triples": asserted,
            "reasoned_triples": reasoned,
            "reasoner": reasoner,
            "seconds": round(time.perf_counter() - started, 3),
        }
        del disk  # close before moving
        (staging / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        _replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress.done(f"loaded {meta['reasoned_triples']} triples into {target}")
    return meta


def _in_background(work) -> "threading.Thread":
    import threading

    thread = threading.Thread(target=work, name="etom-kg-load", daemon=True)
    thread.start()
    return thread


def _dump_with_search_keys(memory: ox.Store, dump: Path, spilled=()) -> int | None:
    """Write ``memory``, the results of the ``spilled`` CONSTRUCT queries (see
    :func:`etom_kg.rules.materialize`) and the search keys (:func:`etom_kg.search.search_keys`)
    to ``dump`` as N-Quads; returns how many quads that is, or None when spilled results
    were written (they may repeat each other or the store, so only the loaded store can
    count them).

    The keys (one thread) and the spilled results (two) are found while ``dump`` runs
    (pyoxigraph releases the GIL while it writes or evaluates) and appended after it, so the
    file stays one document: pyoxigraph gives each file's blank-node labels their own nodes. At 10^6 input
    the dump and the keys took 4.0 + 3.6 s one after the other. The key lines are written as
    text: a folded key holds only word characters, spaces and dots, and the subject is an
    IRI the store already holds, so neither needs escaping (a key that did would go through
    the serializer).
    """
    from .search import SEARCH_KEY, search_keys

    found: list = []
    failed: list = []
    side = dump.with_name(dump.name + ".spilled")

    def find() -> None:
        try:
            key_node = ox.NamedNode(SEARCH_KEY)
            held = {(q.subject.value, q.object.value) for q in memory.quads_for_pattern(None, key_node, None, ox.DefaultGraph())
                    if isinstance(q.object, ox.Literal) and q.object.datatype.value == _XSD_STRING}
            lines, odd = [], []
            for subject, key in search_keys(memory):
                if (subject.value, key) in held:
                    continue
                if _PLAIN_KEY.fullmatch(key):
                    lines.append(f'<{subject.value}> <{SEARCH_KEY}> "{key}" .\n')
                else:
                    odd.append(ox.Quad(subject, key_node, ox.Literal(key), ox.DefaultGraph()))
            found.append("".join(lines).encode("utf-8") + ox.serialize(odd, format=ox.RdfFormat.N_QUADS))
            found.append(len(lines) + len(odd))
            found.append(0 if spilled else len(memory))  # with spilled results the store counts
        except BaseException as e:  # re-raised below, in the loading thread
            failed.append(e)

    todo = list(enumerate(spilled))

    def spill() -> None:
        try:
            while not failed:
                try:
                    k, query = todo.pop(0)
                except IndexError:
                    return
                # to a path: evaluated and written natively, without the GIL
                memory.query(query).serialize(f"{side}.{k}", format=ox.RdfFormat.N_TRIPLES)
        except BaseException as e:
            failed.append(e)

    # two spillers: the chain alone (1 M triples at 10^6) takes longer than the dump
    workers = [_in_background(find)] + [_in_background(spill) for _ in range(min(2, len(spilled)))]
    try:
        try:
            memory.dump(str(dump), format=ox.RdfFormat.N_QUADS)
        finally:
            for worker in workers:
                worker.join()
        if failed:
            raise failed[0]
        text, keys, size = found
        with open(dump, "ab") as out:
            out.write(text)
            for k in range(len(spilled)):
                with open(f"{side}.{k}", "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 22)
    finally:
        for k in range(len(spilled)):
            Path(f"{side}.{k}").unlink(missing_ok=True)
    return None if spilled else size + keys


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# what a key may hold to be written between quotes as it is (fold leaves word characters,
# spaces and dots; N-Triples forbids only '"', '\\', LF and CR there)
_PLAIN_KEY = re.compile(r'[^"\\\r\n]*')


def _replace_dir(new: Path, target: Path) -> None:
    """Swap ``new`` into place with no moment where ``target`` is missing (see etom_kg.files)."""
    from .files import swap_directory

    swap_directory(new, target)


def _owlrl_store(memory: ox.Store) -> ox.Store:
    from .graph import store_to_rdflib
    from .reasoning import expand

    import rdflib

    closed = expand(store_to_rdflib(memory), reasoner="owlrl")
    # owlrl writes generalised RDF (literal subjects); such triples cannot be stored.
    lines = [f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in closed if not isinstance(s, rdflib.Literal)]
    out = ox.Store()
    out.load("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return out


def store_metadata(path: str | Path) -> dict:
    meta = Path(path) / META_FILE
    if not meta.is_file():
        raise InputError(f"{path}: not an etom-kg store (no {META_FILE})")
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{meta}: damaged store metadata ({e}); rebuild the store with 'etom-kg load'") from None
    needed = ("etom_kg_version", "sources", "asserted_triples", "reasoner")
    if not isinstance(data, dict) or any(k not in data for k in needed) or not isinstance(data["sources"], list):
        raise InputError(f"{meta}: damaged store metadata (expected the keys {', '.join(needed)}); "
                         "rebuild the store with 'etom-kg load'")
    return data
