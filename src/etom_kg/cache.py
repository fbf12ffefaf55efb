"""The on-disk cache of the reasoned embedded graph, verified before it is used.

One file, N-Triples, whose first line (an N-Triples comment) records how many triples
follow and a CRC-32 of them::

    # etom-kg reasoned graph v1 triples=22657 crc32=89abcdef

Header and body are written together (temporary file + rename), so they always belong
together; a reader that finds a truncated, edited or replaced body, or any file that is
not a regular file (a FIFO, a directory, a device), treats the cache as missing and the
caller rebuilds it. The checksum detects damage, not tampering: whoever can write the
cache can write its header too. CRC-32 costs under 1 ms for the ~4 MB file (SHA-256: 4 ms
of a ~40 ms cold query); the triple count is checked again after parsing.
"""

from __future__ import annotations

import os
import stat
import zlib

import pyoxigraph as ox

MAGIC = b"# etom-kg reasoned graph v1 "
MAX_BYTES = 1 << 30  # refuse to read anything larger: the real file is a few MB


def _header(body: bytes) -> bytes:
    return MAGIC + b"triples=%d crc32=%08x\n" % (body.count(b"\n"), zlib.crc32(body))


def _read_regular(path: str) -> bytes | None:
    """The file's bytes, or None when it is missing or not a regular file.

    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            return None
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1 << 22)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_BYTES:
                return None
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def load(path, store: ox.Store) -> bool:
    """Load the cached graph into the empty ``store``; False (store left empty) when the
    file is missing, not a regular file, or does not match its header."""
    data = _read_regular(os.fspath(path))
    if data is None or not data.startswith(MAGIC):
        return False
    end = data.find(b"\n")
    if end < 0:
        return False
    header, body = data[: end + 1], data[end + 1:]
    if header != _header(body):
        return False
    try:
        # Our own file, checksum verified: skip IRI/language-tag validation (25 % faster).
        store.load(body, format=ox.RdfFormat.N_TRIPLES, lenient=True)
    except (SyntaxError, OSError, ValueError):
        store.clear()
        return False
    if len(store) != body.count(b"\n"):
        store.clear()
        return False
    return True


def save(path, store: ox.Store) -> None:
    """Write the store's default graph to ``path`` atomically. Never raises OSError: an
    unwritable cache only costs the next run the time to reason again.

    The rename also replaces whatever non-regular file sits at ``path`` (a FIFO would
    otherwise block the writer until someone reads it).
    """
    import tempfile

    body = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(_header(body))
            f.write(body)
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
