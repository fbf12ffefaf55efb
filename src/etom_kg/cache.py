"""The on-disk cache of the reasoned embedded graph: verified, and read in parts.

One N-Triples file. Its first line (an N-Triples comment) records the number of triples
and a CRC-32 of the index that follows (more comments), one line per *segment* with its
triple count, size and own CRC-32::

    # etom-kg reasoned graph v3 triples=41651 index-bytes=21337 index-crc32=89abcdef
    # segment 807 120211 1a2b3c4d _:http://www.w3.org/1999/02/22-rdf-syntax-ns#type
    # segment 3178 522480 5e6f7a8b http://www.w3.org/1999/02/22-rdf-syntax-ns#type
    # segment 170 22871 9c0d1e2f https://w3id.org/etom-kg/ontology#searchKey 3/32
    …
    <s> <p> <o> .

A segment holds the triples of one predicate that mention no blank node (``P``), those
that do (``_:P``), or, for a predicate whose objects are all strings, one *bucket* of
them chosen by the CRC-32 of the string (``P b/B``): a query that looks a predicate up by
bound values (a stored query's ``etom:searchKey ?topic`` once the topic's keys are known)
reads only their buckets (see :mod:`etom_kg.predicates`).

Header, index and body are written together (temporary file + rename), so they always
belong together. A reader checks the index's checksum and that the segments add up to
the file's size, and each segment's checksum when it reads it; a truncated, edited or
replaced file, or anything that is not a regular file (a FIFO, a directory, a device), is
treated as missing (or, met later, as :class:`CacheError`) and the caller rebuilds it.
The checksums detect damage, not tampering: whoever can write the cache can write its
index too. The triple count is checked again after every parse.

Blank-node labels are renamed on every parse, so the blank-node segments a store holds
are always parsed together: a query that needs one more of them parses all of them again
into a new store (queries running on the old one are not disturbed).
"""

from __future__ import annotations

import os
import stat
import zlib

import pyoxigraph as ox

MAGIC = b"# etom-kg reasoned graph v3 "
BLANK = "_:"
MAX_BYTES = 1 << 30  # refuse to read anything larger: the real file is a few MB
INDEX_READ = 1 << 16  # the first read: header and index (about 20 KB) and then some
BUCKETED_MIN = 512  # a string-valued predicate with this many triples is cut into buckets
BUCKET_SIZE = 128  # about this many triples a bucket (a power of two buckets, at most 64)


def bucket(value: str, buckets: int) -> int:
    """The bucket of a string object's lexical form (the same when written and read)."""
    return zlib.crc32(value.encode("utf-8")) % buckets


class CacheError(Exception):
    """The cached graph did not parse to what its header promised."""


def _pread(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes at ``offset`` (os.pread where the system has it)."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _open_regular(path: str):
    """(fd, size) of the file, or None when it is missing, too large or not a regular file.

    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer.
    """
    try:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_BYTES:
            return fd, info.st_size
    except OSError:
        pass
    os.close(fd)
    return None


class CachedGraph:
    """A cache file whose index was verified: its segments, read and parsed into a store
    on demand. The file stays open until every segment has been read (or :meth:`close`)."""

    def __init__(self, fd: int, segments: dict, head: bytes = b"", path: str | None = None):
        self.path = path  # where it was read from (written again there when found damaged)
        self._fd = None  # owned (closed by close()) only once the index below is accepted
        self._segments = segments  # key -> (offset in the file, size, triples, crc32)
        self._head = head  # the file's first bytes, already read (the index, and then some)
        self._loaded: set = set()
        self._plain: dict = {}  # predicate -> its segment of triples without blank nodes
        self._blank: dict = {}  # predicate -> its segment of triples with blank nodes
        self._buckets: dict = {}  # predicate -> (number of buckets, {bucket: key})
        for key in segments:
            if key.startswith(BLANK):
                self._blank[key[2:]] = key
            elif " " in key:
                predicate, _, part = key.partition(" ")
                b, _, n = part.partition("/")
                count, parts = self._buckets.setdefault(predicate, (int(n), {}))
                if count != int(n):
                    raise ValueError(f"{predicate}: buckets of {count} and of {n}")
                parts[int(b)] = key
            else:
                self._plain[key] = key
        self._fd = fd

    @property
    def triples(self) -> int:
        return sum(s[2] for s in self._segments.values())

    def complete(self) -> bool:
        return len(self._loaded) == len(self._segments)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        self._head = b""
        if fd is not None:
            os.close(fd)

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def keys_for(self, predicates=None, values=None) -> list:
        """The segments that hold the triples of ``predicates`` (IRIs; None: every segment).
        ``values`` maps a predicate to the strings its object is bound to: of a predicate cut
        into buckets only those values' buckets are needed (none for an empty set)."""
        if predicates is None:
            return list(self._segments)
        values = values or {}
        keys = []
        for p in predicates:
            for table in (self._blank, self._plain):
                if p in table:
                    keys.append(table[p])
            if p in self._buckets:
                n, parts = self._buckets[p]
                wanted = parts if values.get(p) is None else {bucket(v, n) for v in values[p]}
                keys += [parts[b] for b in wanted if b in parts]
        return keys

    def load(self, store: ox.Store, predicates=None, values=None) -> ox.Store:
        """Parse into ``store`` the segments of ``predicates`` (see :meth:`keys_for`) that it
        does not hold yet, and return the store that now holds them: ``store``, or a new one
        when more blank-node segments were needed after some had been parsed. Raises
        CacheError if a segment's bytes or triples disagree with the index."""
        return self.parse(self.read(store, predicates, values))

    def read(self, store: ox.Store, predicates=None, values=None) -> tuple:
        """The first half of :meth:`load`: read and check the segments (a few hundred
        microseconds, holding the GIL), so that :meth:`parse`, which releases it, can run in
        another thread."""
        keys = [k for k in dict.fromkeys(self.keys_for(predicates, values)) if k not in self._loaded]
        if not keys:
            return store, keys, b"", len(store)
        if any(k.startswith(BLANK) for k in keys) and any(k.startswith(BLANK) for k in self._loaded):
            store, keys = ox.Store(), sorted(self._loaded | set(keys))  # one parse names blank nodes once
            self._loaded = set()
        expected = len(store) + sum(self._segments[k][2] for k in keys)
        return store, keys, b"".join(self._read(k) for k in keys), expected

    def parse(self, batch: tuple) -> ox.Store:
        """The second half of :meth:`load`: parse what :meth:`read` returned."""
        store, keys, data, expected = batch
        if not keys:
            return store
        try:
            # Our own file, checksum verified: skip IRI/language-tag validation (25 % faster).
            store.load(data, format=ox.RdfFormat.N_TRIPLES, lenient=True)
        except (SyntaxError, OSError, ValueError) as e:
            raise CacheError(str(e)) from None
        self._loaded.update(keys)
        if len(store) != expected:
            raise CacheError(f"parsed {len(store)} triples, the index promises {expected}")
        if self.complete():
            self.close()
        return store

    def _read(self, key: str) -> bytes:
        offset, size, _, crc = self._segments[key]
        if offset + size <= len(self._head):
            data = self._head[offset: offset + size]
        else:
            if self._fd is None:
                raise CacheError("the cache file is closed")
            try:
                data = _pread(self._fd, size, offset)
            except (OSError, ValueError, OverflowError) as e:
                raise CacheError(str(e)) from None
        if len(data) != size or zlib.crc32(data) != crc:
            raise CacheError(f"segment {key} does not match its checksum")
        return data


def open_cache(path) -> CachedGraph | None:
    """The cache at ``path`` with its index verified; None when it is missing, not a
    regular file, or its header, index and size disagree."""
    opened = _open_regular(os.fspath(path))
    if opened is None:
        return None
    fd, size = opened
    graph = None
    try:
        graph = _index(fd, size, os.fspath(path))
    except (OSError, ValueError, KeyError, OverflowError):
        graph = None
    finally:
        if graph is None:
            os.close(fd)
    return graph


def _index(fd: int, size: int, path: str) -> CachedGraph | None:
    data = _pread(fd, min(size, INDEX_READ), 0)
    end = data.find(b"\n")
    if not data.startswith(MAGIC) or end < 0:
        return None
    fields = dict(f.split(b"=", 1) for f in data[len(MAGIC): end].split(b" "))
    triples, index_size, crc = int(fields[b"triples"]), int(fields[b"index-bytes"]), int(fields[b"index-crc32"], 16)
    start = end + 1
    if start + index_size > len(data):  # an index larger than the first read
        data = data[:start] + _pread(fd, min(index_size, size - start), start)
    index = data[start: start + index_size]
    if len(index) != index_size or zlib.crc32(index) != crc:
        return None
    segments = {}
    offset = start + index_size
    for line in index.decode("utf-8").splitlines():
        if not line.startswith("# segment "):
            return None
        count, length, checksum, key = line[10:].split(" ", 3)
        count, length, checksum = int(count), int(length), int(checksum, 16)
        if key in segments or count < 0 or length < 0 or not _valid_key(key):
            return None
        segments[key] = (offset, length, count, checksum)
        offset += length
    if offset != size or sum(s[2] for s in segments.values()) != triples:
        return None
    return CachedGraph(fd, segments, data, path)


def _valid_key(key: str) -> bool:
    """``IRI``, ``_:IRI`` or ``IRI b/n`` with 0 <= b < n <= 64."""
    predicate, _, part = key.partition(" ")
    if not predicate or " " in part:
        return False
    if not part:
        return True
    b, _, n = part.partition("/")
    return b.isdigit() and n.isdigit() and 0 <= int(b) < int(n) <= 64


def load(path, store: ox.Store) -> bool:
    """Load the whole cached graph into the empty ``store``; False (store left empty) when
    the cache is missing or damaged."""
    graph = open_cache(path)
    if graph is None:
        return False
    try:
        graph.load(store)
    except CacheError:
        store.clear()
        return False
    finally:
        graph.close()
    return True


def _segments(body: bytes) -> list[tuple[str, bytes, int]]:
    """N-Triples lines grouped by predicate into segments (see the module's docstring)."""
    groups: dict = {}
    for line in body.splitlines(keepends=True):
        subject, predicate, rest = line.split(b" ", 2)
        p = predicate[1:-1].decode("utf-8")
        key = BLANK + p if subject.startswith(b"_:") or rest.startswith(b"_:") else p
        groups.setdefault(key, []).append(line)
    out = []
    for key in sorted(groups):
        lines = groups[key]
        literals = all(line.split(b" ", 2)[2].startswith(b'"') for line in lines)
        if key.startswith(BLANK) or len(lines) < BUCKETED_MIN or not literals:
            out.append((key, b"".join(lines), len(lines)))
            continue
        data = b"".join(lines)
        objects = [t.object for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]
        if len(objects) != len(lines) or any(not _is_string(o) for o in objects):
            out.append((key, data, len(lines)))
            continue
        n = 1 << min(6, max(0, (len(lines) // BUCKET_SIZE).bit_length() - 1))
        parts: dict = {}
        for line, o in zip(lines, objects):
            parts.setdefault(bucket(o.value, n), []).append(line)
        out += [(f"{key} {b}/{n}", b"".join(parts[b]), len(parts[b])) for b in sorted(parts)]
    return out


_STRINGS = ("http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString")


def _is_string(term) -> bool:
    """A string literal: its lexical form is its value (oxigraph stores numbers, dates and
    booleans by value, so "01" and "1" may be one term; strings never are)."""
    return isinstance(term, ox.Literal) and term.datatype.value in _STRINGS


def save(path, store: ox.Store) -> None:
    """Write the store's default graph to ``path`` atomically. Never raises OSError: an
    unwritable cache only costs the next run the time to reason again.

    The rename also replaces whatever non-regular file sits at ``path`` (a FIFO would
    otherwise block the writer until someone reads it).
    """
    import tempfile

    body = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    segments = _segments(body)
    index = b"".join(b"# segment %d %d %08x %s\n" % (n, len(data), zlib.crc32(data), key.encode("utf-8"))
                     for key, data, n in segments)
    header = MAGIC + b"triples=%d index-bytes=%d index-crc32=%08x\n" % (
        sum(n for _, _, n in segments), len(index), zlib.crc32(index))
    rest = index + b"".join(data for _, data, _ in segments)
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(header)
            f.write(rest)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
