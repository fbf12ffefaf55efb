"""Atomic replacement of a named graph on a SPARQL server (``etom-kg push``).

The target graph is written by exactly one request, so a failure at any earlier step leaves
it exactly as it was; the error says what is on the server. Which request depends on the
server (``swap="auto"``, the rule in :func:`push`):

* **PUT**: one Graph Store ``PUT`` of the whole graph straight onto the target, streamed, on
  servers whose ``PUT`` is all-or-nothing: the product is in :data:`ATOMIC_PUT_SERVERS` *and*
  a probe on a scratch graph shows that a ``PUT`` which fails part-way leaves the graph as it
  was (:meth:`_Attempt.put_is_atomic`). Oxigraph's server source (``cli/src/main.rs``, 0.5.9
  and main) clears the graph before it reads the body, but the released 0.5.13 measurably
  keeps the old graph when the body breaks off or fails to parse: behaviour is what counts,
  so it is probed on every push rather than assumed.
* **MOVE**: everywhere else (Virtuoso, unknown servers, ``swap="move"``), an upload into a
  temporary graph, a count, then ``MOVE`` onto the target (``COPY`` + ``DROP`` where MOVE is
  unknown). See :func:`plan_chunks` for why every upload step may be retried.
"""

from __future__ import annotations

import re
import sys
import uuid
from dataclasses import dataclass
from typing import NamedTuple

from .errors import InputError, RemoteError
from .remote import DEFAULT_CHUNK_SIZE, DEFAULT_GRAPH, EndpointError, RemoteBackend, check_iri, redact
from .results import Term

NO_GRAPH_STORE = (404, 405, 501)  # the Graph Store URL is absent or refuses PUT/POST
NO_MOVE = (400, 501)  # the update endpoint does not understand MOVE
ATOMIC_PUT_SERVERS = ("oxigraph/",)  # Server header prefixes (lower case) whose Graph Store PUT may be all-or-nothing
SWAPS = ("auto", "move")  # how the target is replaced: see push()
UPDATE_CHUNK = 1000  # most triples per INSERT DATA: Virtuoso's parser runs out of memory near 5000
BLANK_CHUNK = 200  # most triples per INSERT template with blank nodes: Virtuoso caps its generated SQL


class _NoGraphStore(Exception):
    """The Graph Store URL refused the first chunk as unknown: use SPARQL Update instead."""


class PushError(RemoteError):
    """A push failed; the message says what is on the server now."""


@dataclass(frozen=True)
class PushReport:
    endpoint: str
    graph: str
    triples: int
    previous: int  # triples the target graph held before
    chunks: int
    protocol: str  # "Graph Store Protocol" or "SPARQL Update"
    swap: str  # "PUT" (one request onto the target), "MOVE" or "COPY+DROP"

    def summary(self) -> str:
        if self.swap == "PUT":
            return (
                f"pushed {self.triples} triples to <{self.graph}> at {redact(self.endpoint)} "
                f"(one all-or-nothing Graph Store PUT onto the target, streamed in {self.chunks} "
                f"piece{'s' if self.chunks != 1 else ''}; the graph held {self.previous} triples before)"
            )
        return (
            f"pushed {self.triples} triples to <{self.graph}> at {redact(self.endpoint)} "
            f"({self.chunks} chunk{'s' if self.chunks != 1 else ''} by {self.protocol}, swapped in with {self.swap}; "
            f"the graph held {self.previous} triples before)"
        )


def embedded_triples(reasoned: bool = True) -> list:
    """The embedded eTOM graph (reasoned by default: remote servers do not run our rules)."""
    from .store import default_store

    return store_triples(default_store(reasoned=reasoned))


def store_triples(backend) -> list:
    """The triples in the default graph of an :class:`etom_kg.store.OxigraphBackend`."""
    import pyoxigraph as ox

    return [q.triple for q in backend.store.quads_for_pattern(None, None, None, ox.DefaultGraph())]


class Chunk(NamedTuple):
    data: bytes  # N-Triples
    triples: int
    blank_nodes: bool


def plan_chunks(triples, chunk_size: int) -> list[Chunk]:
    """N-Triples chunks; every triple that mentions a blank node travels in the first one.

    A blank node label only means the same node within one request, so triples sharing a
    blank node (OWL lists, restrictions) must be sent together. The first chunk replaces
    the temporary graph (GSP PUT, or DROP + INSERT), so repeating it changes nothing; every
    later chunk holds only ground triples, and appending a set of ground triples twice adds
    nothing either. That is what makes every upload step idempotent, hence retryable.
    """
    import pyoxigraph as ox

    if chunk_size < 1:
        raise InputError(f"--chunk-size must be at least 1, got {chunk_size}")

    def mentions_blank_node(t) -> bool:
        return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)

    unique = sorted(set(triples), key=str)
    with_blank_nodes = [t for t in unique if mentions_blank_node(t)]
    ground = [t for t in unique if not mentions_blank_node(t)]
    groups = [ground[i: i + chunk_size] for i in range(0, len(ground), chunk_size)]
    if with_blank_nodes:
        groups.insert(0, with_blank_nodes)  # on its own: Virtuoso caps the size of an INSERT template
    return [Chunk(ox.serialize(g, format=ox.RdfFormat.N_TRIPLES), len(g), g is with_blank_nodes) for g in groups]


def _split(chunk: Chunk, size: int) -> list[Chunk]:
    """Smaller pieces of a chunk (one triple per N-Triples line). Triples that share a blank
    node, directly or through others (an OWL list, an axiom annotation), stay in one piece."""
    if chunk.triples <= size:
        return [chunk]
    lines = chunk.data.splitlines(keepends=True)
    if not chunk.blank_nodes:
        return [Chunk(b"".join(lines[i: i + size]), len(lines[i: i + size]), False) for i in range(0, len(lines), size)]
    parent: dict[bytes, bytes] = {}

    def find(x: bytes) -> bytes:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    labels = [re.findall(rb"(?:^|\s)(_:[^\s]+)", line) for line in lines]
    for found in labels:
        for label in found[1:]:
            parent[find(label)] = find(found[0])
    groups: dict[bytes, list[bytes]] = {}
    for line, found in zip(lines, labels):
        groups.setdefault(find(found[0]) if found else b"", []).append(line)
    pieces: list[list[bytes]] = [[]]
    for group in groups.values():
        if pieces[-1] and len(pieces[-1]) + len(group) > size:
            pieces.append([])
        pieces[-1].extend(group)
    return [Chunk(b"".join(p), len(p), True) for p in pieces]


class _Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, enabled: bool, stream=None):
        self.total, self.enabled, self.stream = total, enabled, stream or sys.stderr

    def show(self, done: int, chunk: int, chunks: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // self.total if self.total else width
        self.stream.write(f"\rpush [{'#' * filled}{'-' * (width - filled)}] {done}/{self.total} triples, chunk {chunk}/{chunks}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def push(
    remote: RemoteBackend,
    triples=None,
    *,
    graph: str = DEFAULT_GRAPH,
    reasoned: bool = True,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool = False,
    on_chunk=None,
    swap: str = "auto",
) -> PushReport:
    """Replace the named graph ``graph`` on the server with ``triples``, atomically.

    ``triples`` defaults to the embedded graph (reasoned unless ``reasoned=False``).

    1. Count the target (this also proves the server answers and names its product).

    With ``swap="auto"`` on a server listed in :data:`ATOMIC_PUT_SERVERS` that has a Graph
    Store endpoint, probe a scratch graph ``urn:etom-kg:push:probe:<uuid>`` (which also
    checks write access); if its ``PUT`` proves all-or-nothing:

    2. ``PUT`` the whole graph onto the target in one request, its body streamed chunk by
       chunk (``on_chunk`` is called as each chunk goes out). The server replaces the graph
       only once the body is complete and parsed, so a failure leaves the target as it was.
    3. Verify the target's count.

    Otherwise (``swap="move"``, another server, or a probe that fails):

    2. Check write access with ``DROP SILENT GRAPH`` on a fresh temporary graph
       ``urn:etom-kg:push:<uuid>``, and upload the chunks (:func:`plan_chunks`) into it with
       the Graph Store Protocol, or with SPARQL Update where there is no Graph Store endpoint.
    3. Verify the temporary graph holds exactly the expected number of triples.
    4. Swap: ``MOVE <tmp> TO <target>``, one update request (``COPY`` then ``DROP`` where
       the server does not know MOVE). MOVE moves the verified graph whole, so the target
       is not counted again; a swap whose answer is lost is settled by counting both graphs.

    Until the single replacing request the target graph is not written, so any failure
    leaves it exactly as it was; the temporary graph is dropped when the server still
    answers, and the error says whether it is left behind. ``on_chunk(done, total)`` is
    called after each chunk.
    """
    check_iri(graph, "--graph")
    if swap not in SWAPS:
        raise InputError(f"unknown swap {swap!r}; valid: {', '.join(SWAPS)}")
    if chunk_size < 1:
        raise InputError(f"--chunk-size must be at least 1, got {chunk_size}")
    unique = list(dict.fromkeys(embedded_triples(reasoned) if triples is None else triples))
    if not unique:
        raise InputError("nothing to push: the graph is empty")
    attempt = _Attempt(remote, graph, len(unique))
    bar = _Progress(attempt.expected, progress)
    if swap == "auto" and attempt.put_is_atomic():
        sent = attempt.put_target(_StreamedBody(unique, chunk_size, bar, on_chunk))
        attempt.verify_put()
        return PushReport(remote.endpoint, graph, attempt.expected, attempt.previous, sent, "Graph Store Protocol", "PUT")
    attempt.check_write_access()
    attempt.chunks = plan_chunks(unique, chunk_size)
    protocol, sent = attempt.upload(bar, on_chunk)
    attempt.verify_upload()
    swapped = attempt.swap()
    return PushReport(remote.endpoint, graph, attempt.expected, attempt.previous, sent, protocol, swapped)


class _Attempt:
    """One push: the temporary graph, what the target held, and honest failure messages."""

    def __init__(self, remote: RemoteBackend, graph: str, expected: int):
        self.remote, self.graph, self.expected = remote, graph, expected
        self.chunks: list[Chunk] = []  # the temporary graph's uploads (plan_chunks)
        self.temporary = f"urn:etom-kg:push:{uuid.uuid4().hex}"
        self.target_term, self.temporary_term = Term.uri(graph).n3(), Term.uri(self.temporary).n3()
        self.drop_temporary = f"DROP SILENT GRAPH {self.temporary_term}"
        try:
            self.previous = remote.count(graph)
        except RemoteError as e:
            raise PushError(f"push failed before writing anything: {e}") from None

    def check_write_access(self) -> None:
        try:
            self.remote.update(self.drop_temporary, idempotent=True, what="check write access")
        except RemoteError as e:
            raise PushError(f"push failed: {e}. {self.untouched()}; nothing was written") from None

    def untouched(self) -> str:
        return f"Target graph {self.target_term} untouched ({self.previous} triples)"

    def abandon(self, error: Exception) -> PushError:
        """The target was never written: drop the temporary graph if possible, and say so."""
        return PushError(f"push failed: {error}. {self.untouched()}; {self.cleanup()}")

    def cleanup(self) -> str:
        try:
            self.remote.update(self.drop_temporary, idempotent=True, what="drop the temporary graph")
            return f"temporary graph {self.temporary_term} dropped"
        except RemoteError:
            return f"temporary graph {self.temporary_term} left behind (remove it with: {self.drop_temporary})"

    # ---- steps

    def upload(self, bar: _Progress, on_chunk) -> tuple[str, int]:
        """Send every chunk into the temporary graph; returns (protocol, requests sent)."""
        try:
            if self.remote.store_endpoint:
                try:
                    return "Graph Store Protocol", self._send(self.chunks, self._put_or_post, bar, on_chunk)
                except _NoGraphStore:
                    pass  # refused at the first chunk, so nothing was written: fall back
            chunks = [piece for chunk in self.chunks
                      for piece in _split(chunk, BLANK_CHUNK if chunk.blank_nodes else UPDATE_CHUNK)]
            return "SPARQL Update", self._send(chunks, self._insert, bar, on_chunk)
        finally:
            bar.close()

    def _send(self, chunks: list[Chunk], send_one, bar: _Progress, on_chunk) -> int:
        done, total = 0, len(chunks)
        for number, chunk in enumerate(chunks, start=1):
            try:
                send_one(chunk, number, f"upload chunk {number}/{total}")
            except RemoteError as e:
                raise self.abandon(e) from None
            done += chunk.triples
            bar.show(done, number, total)
            if on_chunk is not None:
                on_chunk(number, total)
        return total

    def _put_or_post(self, chunk: Chunk, number: int, what: str) -> None:
        try:
            self.remote.graph_store("PUT" if number == 1 else "POST", self.temporary, chunk.data, what=what)
        except EndpointError as e:
            if number == 1 and e.status in NO_GRAPH_STORE:
                raise _NoGraphStore() from None
            raise

    def _insert(self, chunk: Chunk, number: int, what: str) -> None:
        # A later piece with blank nodes would add a second copy of them if sent twice: no retry.
        retry = number == 1 or not chunk.blank_nodes
        self.remote.update(self.insert(chunk, first=number == 1), idempotent=retry, what=what)

    def insert(self, chunk: Chunk, first: bool) -> str:
        """SPARQL Update for one chunk; the first also empties the temporary graph.

        INSERT DATA may not hold blank nodes on some servers (Virtuoso), so the blank-node
        chunk is a template with an empty WHERE, which mints each label once per request.
        """
        graph, triples = self.temporary_term, chunk.data.decode("utf-8")
        insert = (
            f"INSERT {{ GRAPH {graph} {{\n{triples}}} }} WHERE {{}}" if chunk.blank_nodes
            else f"INSERT DATA {{ GRAPH {graph} {{\n{triples}}} }}"
        )
        return f"{self.drop_temporary} ;\n{insert}" if first else insert

    def verify_upload(self) -> None:
        try:
            loaded = self.remote.count(self.temporary, what="count the temporary graph")
        except RemoteError as e:
            raise self.abandon(e) from None
        if loaded != self.expected:
            raise self.abandon(RemoteError(f"the temporary graph holds {loaded} triples, expected {self.expected}"))

    def swap(self) -> str:
        """MOVE the temporary graph onto the target; COPY + DROP where MOVE is unknown."""
        source, target = self.temporary_term, self.target_term
        try:
            # Not retried: if the answer is lost, a second MOVE would find no source graph.
            self.remote.update(f"MOVE {source} TO {target}", idempotent=False, what="swap in the new graph")
            return "MOVE"
        except EndpointError as e:
            if e.status not in NO_MOVE:
                self.settle(e, moved=True)
                return "MOVE"
        try:
            self.remote.update(f"COPY {source} TO {target}", idempotent=True, what="swap in the new graph (COPY)")
        except RemoteError as e:
            self.settle(e, moved=False)
        self.cleanup()  # the target is replaced already; a leftover temporary graph is harmless
        return "COPY+DROP"

    def settle(self, error: Exception, moved: bool) -> None:
        """The swap request failed: ask the server what happened. Returns only if it was applied.

        After a MOVE the temporary graph tells: gone means applied, complete means not.
        A COPY leaves it in place, so only a change of the target's count can tell.
        """
        try:
            now, left = self.remote.count(self.graph), self.remote.count(self.temporary)
        except RemoteError:
            raise PushError(
                f"push failed: {error}. The server could not be asked what happened: target graph {self.target_term} "
                f"holds either its previous {self.previous} triples or the new {self.expected}; temporary graph "
                f"{self.temporary_term} may be left behind (remove it with: {self.drop_temporary})"
            ) from None
        counts_differ = self.previous != self.expected
        if now == self.expected and (left == 0 if moved else counts_differ):
            return  # applied; only the answer was lost
        if left == self.expected and now == self.previous and (moved or counts_differ):
            raise PushError(f"push failed: {error}. {self.untouched()}; {self.cleanup()}")
        raise PushError(
            f"push failed: {error}. Target graph {self.target_term} now holds {now} triples (before: {self.previous}, "
            f"pushed: {self.expected}); temporary graph {self.temporary_term} holds {left} (remove it with: {self.drop_temporary})"
        )

    # ---- one all-or-nothing PUT onto the target

    def put_is_atomic(self) -> bool:
        """Whether this server's Graph Store PUT replaces a graph all-or-nothing.

        Only products in :data:`ATOMIC_PUT_SERVERS` are probed (the Server header, read by
        the first count). The probe PUTs one triple into a scratch graph (this checks write
        access), then PUTs a body whose last line does not parse: the server must refuse it
        with a 4xx *and* still hold exactly the first triple. A server that clears the graph
        before reading the body fails the probe and gets the temporary graph and MOVE.
        """
        remote = self.remote
        if not remote.store_endpoint or not remote.server.lower().startswith(ATOMIC_PUT_SERVERS):
            return False
        probe = f"urn:etom-kg:push:probe:{uuid.uuid4().hex}"
        subject, before = Term.uri(probe).n3(), '"before"'
        kept = f"{subject} <urn:etom-kg:push:probe#state> {before} .\n"
        broken = f"{subject} <urn:etom-kg:push:probe#state> \"after\" .\n{subject} is not N-Triples\n"
        drop = f"DROP SILENT GRAPH {Term.uri(probe).n3()}"
        try:
            remote.graph_store("PUT", probe, kept.encode(), what="check write access")
        except EndpointError as e:
            if e.status in NO_GRAPH_STORE:
                return False  # nothing written; the upload falls back to SPARQL Update
            raise PushError(f"push failed: {e}. {self.untouched()}; nothing was written") from None
        except RemoteError as e:
            raise PushError(f"push failed: {e}. {self.untouched()}; nothing was written") from None
        try:
            try:
                remote.graph_store("PUT", probe, broken.encode(), what="probe the Graph Store PUT")
                refused = False
            except EndpointError as e:
                refused = e.status is not None and 400 <= e.status < 500
            graph = Term.uri(probe).n3()
            result = remote.run(
                f"SELECT (COUNT(*) AS ?n) (SUM(IF(?o = {before}, 1, 0)) AS ?kept) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}",
                scoped=False, what="probe the Graph Store PUT")
            counts = [int(t.value) if t is not None and t.value.isdigit() else -1 for t in result.rows[0]] if result.rows else []
            return refused and counts == [1, 1]
        except RemoteError as e:
            raise PushError(f"push failed: {e}. {self.untouched()}; scratch graph <{probe}> may be left behind "
                            f"(remove it with: {drop})") from None
        finally:
            try:
                remote.update(drop, idempotent=True, what="drop the probe graph")
            except RemoteError:
                pass  # a second failure is reported by the step that needs the server

    def put_target(self, body: "_StreamedBody") -> int:
        """One PUT of the whole graph onto the target; returns the number of pieces streamed."""
        try:
            self.remote.graph_store("PUT", self.graph, body, what="upload the graph (one PUT)", streamed=True)
        except RemoteError as e:
            self.settle_put(e)
        finally:
            body.bar.close()
        return body.pieces

    def settle_put(self, error: RemoteError) -> None:
        """The PUT failed: ask the server what the target holds. Returns only if it was applied."""
        timed_out = getattr(error, "timed_out", False)
        try:
            now = self.remote.count(self.graph)
        except RemoteError:
            raise PushError(
                f"push failed: {error}. The server could not be asked what happened: target graph {self.target_term} "
                f"holds either its previous {self.previous} triples or the new {self.expected} (a PUT replaces it whole or not at all)"
            ) from None
        if now == self.expected and self.previous != self.expected and not timed_out:
            return  # applied; only the answer was lost
        if now == self.previous:
            still = (f"; the server had not answered within the timeout and may still replace it with the {self.expected} "
                     "pushed (whole or not at all)") if timed_out else "; nothing else was written"
            raise PushError(f"push failed: {error}. {self.untouched()}{still}")
        raise PushError(f"push failed: {error}. Target graph {self.target_term} now holds {now} triples "
                        f"(before: {self.previous}, pushed: {self.expected})")

    def verify_put(self) -> None:
        try:
            final = self.remote.count(self.graph, what="count the new graph")
        except RemoteError as e:
            raise PushError(f"push sent the graph but could not check it: {e}. Target graph {self.target_term} should hold {self.expected} triples") from None
        if final != self.expected:
            raise PushError(f"after the PUT target graph {self.target_term} holds {final} triples, expected {self.expected}")


class _StreamedBody:
    """The triples as one request body, serialised piece by piece while the request goes out
    (chunked transfer encoding): the server parses one piece while the next is written, and
    the whole N-Triples text is never held in memory. Re-iterable, so a retry resends it whole.
    Blank-node labels keep their meaning across pieces: it is one request."""

    def __init__(self, triples: list, chunk_size: int, bar: _Progress, on_chunk):
        self.triples, self.size, self.bar, self.on_chunk = triples, chunk_size, bar, on_chunk
        self.pieces = -(-len(triples) // chunk_size)

    def __iter__(self):
        import pyoxigraph as ox

        done = 0
        for number in range(1, self.pieces + 1):
            piece = self.triples[(number - 1) * self.size: number * self.size]
            yield ox.serialize(piece, format=ox.RdfFormat.N_TRIPLES)
            done += len(piece)
            self.bar.show(done, number, self.pieces)
            if self.on_chunk is not None:
                self.on_chunk(number, self.pieces)
