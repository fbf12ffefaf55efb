"""The term resolver: free text -> the resources a person meant, ranked, and the keys to bind.

Two halves share :func:`etom_kg.text.fold`:

* :func:`add_search_keys` writes ``etom:searchKey`` (the folded form of every label,
  synonym and identifier) into a prepared graph, so stored queries match by equality on
  any SPARQL 1.1 engine;
* :class:`Resolver` reads the labels of the resources of a class (processes,
  responsibilities, groupings, channels …) and ranks them for a text:
  ``id`` / ``exact`` (1.0) > ``synonym`` (0.95) > ``stem`` (0.85–0.9) > ``overlap``
  (0.45–0.7, some content words in common, weighted by rarity) > ``fuzzy`` (0.65 × the
  score of the text with its unknown words corrected to the closest known word by edit
  distance). Synonyms are SKOS labels in the graph.
"""

from __future__ import annotations

import json
import math
import os
from collections import namedtuple

from .namespaces import ETOM, OWL, PREFIXES, RDFS, SKOS
from .text import fold, is_identifier, stems, stop_words

SEARCH_KEY = f"{ETOM}searchKey"
# property -> kind of name; ids and preferred labels rank above synonyms
NAME_PROPERTIES = {
    f"{RDFS}label": "label",
    f"{SKOS}prefLabel": "label",
    f"{SKOS}altLabel": "synonym",
    f"{SKOS}hiddenLabel": "synonym",
    f"{ETOM}classicId": "id",
    f"{ETOM}r16Id": "id",
    f"{ETOM}v21Id": "id",
    f"{ETOM}tmfId": "id",  # TMF622, CCM: TM Forum identifiers of Open APIs, blocks and flows
}
TIER_ORDER = ("id", "exact", "synonym", "stem", "overlap", "fuzzy")
FUZZY_FACTOR = 0.65


# --------------------------------------------------------------------------- graph side


def search_keys(store):
    """``(subject, key)`` once for every IRI with a name in ``store``'s default graph:
    the subject a pyoxigraph ``NamedNode``, the key the :func:`fold` of the name."""
    import pyoxigraph as ox

    seen = set()
    graph = ox.DefaultGraph()
    for prop in NAME_PROPERTIES:
        for q in store.quads_for_pattern(None, ox.NamedNode(prop), None, graph):
            subject, name = q.subject, q.object
            if isinstance(subject, ox.NamedNode) and isinstance(name, ox.Literal):
                key = fold(name.value)
                if key and (subject.value, key) not in seen:
                    seen.add((subject.value, key))
                    yield subject, key


def search_key_quads(store):
    """The ``etom:searchKey`` quads for every IRI with a name in ``store``'s default graph."""
    import pyoxigraph as ox

    key_property, graph = ox.NamedNode(SEARCH_KEY), ox.DefaultGraph()
    for subject, key in search_keys(store):
        yield ox.Quad(subject, key_property, ox.Literal(key), graph)


def add_search_keys(store) -> int:
    """Add the search keys to a pyoxigraph store (the last step of preparing any graph for
    queries: the embedded one, a ``load``-ed store, the site's). Returns how many."""
    quads = list(search_key_quads(store))
    store.extend(quads)
    return len(quads)


def add_search_keys_rdflib(graph):
    """The same keys in an rdflib graph (in place)."""
    import rdflib

    key_property = rdflib.URIRef(SEARCH_KEY)
    for prop in NAME_PROPERTIES:
        for s, o in list(graph.subject_objects(rdflib.URIRef(prop))):
            if isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.Literal):
                key = fold(str(o))
                if key:
                    graph.add((s, key_property, rdflib.Literal(key)))
    return graph


# --------------------------------------------------------------------------- entries


class Name(namedtuple("Name", "iri kind lang text deprecated", defaults=(False,))):
    """A name of a resource: ``kind`` is label, synonym or id."""

    __slots__ = ()


class Match(namedtuple("Match", "iri label key tier score why covers", defaults=("", 1.0))):
    """A resource found for a text: ``label`` is the name that matched, ``covers`` the share
    of the user's words that name matched. (collections.namedtuple, not typing.NamedTuple:
    importing typing costs every cold query 2 ms.)"""

    __slots__ = ()

    def as_dict(self) -> dict:
        return {"iri": self.iri, "name": self.label, "key": self.key, "tier": self.tier,
                "score": round(self.score, 3), "why": self.why}


_NAMES_QUERY = """
SELECT ?s ?p ?text ?dep WHERE {
  ?s a <%s> ; ?p ?text .
  VALUES ?p { %s }
  FILTER(isIRI(?s) && isLiteral(?text))
  OPTIONAL { ?s <%sdeprecated> ?dep }
}"""


def read_names(backend, cls: str) -> list[Name]:
    """The names (labels, synonyms, ids) of every resource of class ``cls``."""
    text = _NAMES_QUERY % (cls, " ".join(f"<{p}>" for p in NAME_PROPERTIES), OWL)
    out = []
    for s, p, t, dep in backend.run(text).rows:
        out.append(Name(s.value, NAME_PROPERTIES[p.value], t.lang or "", t.value,
                        dep is not None and dep.value in ("true", "1")))
    out.sort()
    return out


def expand_class(name: str) -> str:
    prefix, _, local = name.partition(":")
    if prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return name


# --------------------------------------------------------------------------- resolver


class Resolver:
    """Ranks the resources of one class for a text. Build with :func:`resolver_for`."""

    STATE = ("keys", "entry_stems", "by_key", "by_iri", "stem_index", "idf", "vocabulary")

    def __init__(self, cls: str, names: list[Name], state: dict | None = None, path: str | None = None):
        """``state``: the index as :meth:`state` returned it, or each part's JSON text (read
        from the names cache at ``path``, decoded when first used)."""
        self.cls = cls
        self.names = names
        if state is not None:
            self._state, self._path = dict(state), path
            for attr in self.STATE:
                if not isinstance(state[attr], str):
                    setattr(self, attr, state[attr])
            return
        self._index()

    def _index(self) -> None:
        names = self.names
        self.keys = [fold(n.text) for n in names]
        self.entry_stems = [[] if n.kind == "id" else list(stems(n.text, n.lang if n.lang in ("en", "es") else "en"))
                            for n in names]
        self.by_key: dict[str, list[int]] = {}
        self.by_iri: dict[str, list[int]] = {}
        self.stem_index: dict[str, list[int]] = {}
        self.vocabulary: dict[str, int] = {}
        for i, (n, key, st) in enumerate(zip(names, self.keys, self.entry_stems)):
            self.by_key.setdefault(key, []).append(i)
            self.by_iri.setdefault(n.iri, []).append(i)
            for s in sorted(set(st)):
                self.stem_index.setdefault(s, []).append(i)
            for w in key.split():
                self.vocabulary[w] = self.vocabulary.get(w, 0) + 1
        total = max(1, len(names))
        self.idf = {s: math.log(1 + total / len(found)) for s, found in self.stem_index.items()}

    def __getattr__(self, name: str):
        # Only for attributes not set yet: a part of the index read from the names cache (an
        # exact match uses three of its seven parts; decoding all cost a cold query 2 ms). A
        # part that does not decode to what it should rebuilds the index from the names, and
        # the damaged file is removed (the next process writes it again).
        state = self.__dict__.get("_state")
        if state is None or name not in self.STATE:
            raise AttributeError(name)
        try:
            value = json.loads(state[name])
        except ValueError:
            value = None
        if not isinstance(value, list if name in ("keys", "entry_stems") else dict):
            self.__dict__.pop("_state")
            self._index()
            try:
                os.unlink(self._path)
            except (OSError, TypeError):
                pass
            return getattr(self, name)
        setattr(self, name, value)
        return value

    def state(self) -> dict:
        return {attr: getattr(self, attr) for attr in self.STATE}

    # -- helpers
    def label_of(self, iri: str, lang: str = "en") -> str:
        best = None
        for i in self.by_iri.get(iri, ()):
            n = self.names[i]
            if n.kind == "label" and (best is None or n.lang == lang):
                best = n.text
        return best or iri

    def key_for(self, iri: str) -> str:
        """A search key that names ``iri`` and no other resource of the class."""
        ranked = sorted(self.by_iri.get(iri, ()), key=lambda i: (TIER_ORDER.index(self.names[i].kind if self.names[i].kind != "label" else "exact"), i))
        for i in ranked:
            key = self.keys[i]
            if {self.names[j].iri for j in self.by_key.get(key, ())} == {iri}:
                return key
        return self.keys[ranked[0]] if ranked else ""

    def _best(self, found: dict, iri: str, match: Match) -> None:
        old = found.get(iri)
        if old is None or (match.score, -len(match.label)) > (old.score, -len(old.label)):
            found[iri] = match

    # -- ranking
    def rank(self, text: str, *, fuzzy: bool = True) -> list[Match]:
        """Every resource that ``text`` may name, best first (ties: preferred label order)."""
        found: dict[str, Match] = {}
        raw = text.strip()
        iri = self._as_iri(raw)
        if iri in self.by_iri:
            return [Match(iri, self.label_of(iri), self.key_for(iri), "exact", 1.0, "IRI")]
        key = fold(raw)
        if not key:
            return []
        for i in self.by_key.get(key, ()):
            n = self.names[i]
            tier = {"id": "id", "label": "exact", "synonym": "synonym"}[n.kind]
            score = 1.0 if n.kind != "synonym" else 0.95
            self._best(found, n.iri, Match(n.iri, n.text, key, tier, score - 0.01 * n.deprecated, f"{n.kind} {n.text!r}"))
        if found:
            return self._sorted(found)
        qstems = stems(raw)
        if not qstems:
            return []
        self._stem_and_overlap(qstems, found)
        if not fuzzy:
            return self._sorted(found)
        # A word the names never use may be a typo: read it as the closest word they use
        # (edit distance). Such a reading ranks below every match of the words as typed
        # that covers them all.
        # Only a reading whose every word a name uses counts: a guessed typo and some of
        # the words are two doubts ("cambio de tarifa" read as "campo ...": field work).
        corrected = self.correct(raw)
        if corrected and fold(corrected) != key:
            for m in self.rank(corrected, fuzzy=False):
                if m.covers < 1.0:
                    continue
                self._best(found, m.iri, m._replace(tier="fuzzy", score=FUZZY_FACTOR * m.score,
                                                    why=f"read as {corrected!r}: {m.why}"))
        return self._sorted(found)

    def _stem_and_overlap(self, qstems: tuple, found: dict) -> None:
        """Stem matches, then word overlap. A resource's overlap counts the user's words any
        of its names use ("network alarms": "network faults" and "alarms" of one resource)."""
        candidates: set = set()
        for options in qstems:
            for s in options:
                candidates.update(self.stem_index.get(s, ()))
        # A word no name uses ("password" in "password resets") is as rare as a word can
        # be: it weighs as much as the rarest word of the names, so the words it comes with
        # cannot bind a name by overlap on their own.
        rarest = self.__dict__.get("_rarest")
        if rarest is None:
            rarest = self.__dict__["_rarest"] = max(self.idf.values(), default=1.0)
        qweight = [max((self.idf.get(s, 0.0) for s in options), default=0.0) or rarest for options in qstems]
        words_of: dict = {}  # iri -> indexes of the user's words its names use
        partial = []
        for i in sorted(candidates):
            n, est = self.names[i], self.entry_stems[i]
            if not est:
                continue
            matched_q = [k for k, options in enumerate(qstems) if options & set(est)]
            matched_e = [s for s in est if any(s in options for options in qstems)]
            if len(matched_q) == len(qstems) and len(matched_e) == len(est) and len(est) == len(qstems):
                score = 0.9 if n.kind == "label" else 0.85
                self._best(found, n.iri, Match(n.iri, n.text, self.keys[i], "stem", score - 0.01 * n.deprecated,
                                               f"same word stems as {n.kind} {n.text!r}"))
                continue
            words_of.setdefault(n.iri, set()).update(matched_q)
            partial.append((i, len(matched_e) / len(est)))
        for i, e_cov in partial:
            n = self.names[i]
            matched_q = sorted(words_of[n.iri])
            q_cov = sum(qweight[k] for k in matched_q) / sum(qweight)
            if q_cov < 0.5:
                continue
            score = 0.3 + 0.3 * q_cov + 0.1 * e_cov - 0.01 * (n.kind == "synonym") - 0.01 * n.deprecated
            self._best(found, n.iri, Match(n.iri, n.text, self.keys[i], "overlap", score,
                                           f"{len(matched_q)} of {len(qstems)} words in the names of {n.text!r}",
                                           len(matched_q) / len(qstems)))

    def correct(self, text: str) -> str:
        """``text`` with each unknown word replaced by the closest known word (edit distance:
        1 for words of up to 5 letters, 2 for longer ones; ties go to the commoner word)."""
        stops = stop_words()
        words = fold(text).split()
        unknown = [w for w in words if w not in self.vocabulary and w not in stops and len(w) >= 4 and not is_identifier(w)]
        if not unknown:
            return ""
        from rapidfuzz import process  # only when a word is unknown
        from rapidfuzz.distance import Levenshtein

        if not hasattr(self, "_vocab_list"):
            self._vocab_list = sorted(self.vocabulary, key=lambda v: (-self.vocabulary[v], v))
        out, changed = [], False
        for w in words:
            if w not in unknown:
                out.append(w)
                continue
            limit = 1 if len(w) <= 5 else 2
            hits = process.extract(w, self._vocab_list, scorer=Levenshtein.distance, score_cutoff=limit, limit=20)
            if hits:
                best = min(hits, key=lambda h: (h[1], h[2]))  # distance, then commoner (list order)
                out.append(best[0])
                changed = True
            else:
                out.append(w)
        return " ".join(out) if changed else ""

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        """Names close to ``text`` (for "did you mean"), when nothing matched."""
        from rapidfuzz import fuzz, process

        choices = {}
        for n in self.names:
            if n.kind != "id" and not n.deprecated:
                choices.setdefault(fold(n.text), n.text)
        picked = process.extract(fold(text), list(choices), scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=50)
        out = []
        for key, _score, _ in sorted(picked, key=lambda x: (-x[1], x[0])):
            name = choices[key]
            if name not in out:
                out.append(name)
        return out[:limit]

    def _sorted(self, found: dict) -> list[Match]:
        return sorted(found.values(), key=lambda m: (-m.score, self.label_of(m.iri), m.iri))

    @staticmethod
    def _as_iri(raw: str) -> str:
        if raw.startswith("<") and raw.endswith(">"):
            return raw[1:-1]
        return expand_class(raw) if ":" in raw and " " not in raw else raw


def chosen(matches: list[Match], many: bool) -> list[Match]:
    """The matches a parameter binds: the best one, or (``many``) the best tier's, with an
    overlap tier cut to the matches covering as many of the words as the best does."""
    if not matches:
        return []
    if not many:
        return matches[:1]
    best = matches[0]
    same = [m for m in matches if m.tier == best.tier or (best.tier in ("id", "exact", "synonym") and m.tier in ("id", "exact", "synonym"))]
    if best.tier in ("overlap", "fuzzy"):
        # An overlap score is 0.3 + 0.3 * (share of the user's words matched, by rarity)
        # + 0.1 * (share of the name's words matched): keep the names within that last
        # share of the best, i.e. those matching (about) as many of the user's words.
        scale = 1.0 if best.tier == "overlap" else FUZZY_FACTOR
        same = [m for m in same if m.score >= best.score - 0.1 * scale + 1e-9]
    return same


_DEFINITIONS_QUERY = """
SELECT ?p ?label ?id ?definition WHERE {
  ?p a <%sProcess> ; <%slabel> ?label ; <%sdefinition> ?definition .
  FILTER(lang(?label) = "en")
  OPTIONAL { ?p <%sclassicId> ?id }
  FILTER NOT EXISTS { ?p <%sdeprecated> true }
}"""


def definition_hints(text: str, backend, limit: int = 5) -> list[str]:
    """Processes whose definitions use every content word of ``text`` (by stem): a hint
    when no name matches ("fraud" is named by no responsibility, but three definitions of
    reporting processes mention it). Read only when nothing matched."""
    wanted = stems(text)
    if not wanted:
        return []
    rows = backend.run(_DEFINITIONS_QUERY % (ETOM, RDFS, SKOS, ETOM, OWL)).rows
    found = {}
    for p, label, pid, definition in rows:
        used = set(stems(definition.value, definition.lang if definition.lang in ("en", "es") else "en"))
        if all(options & used for options in wanted):
            found[p.value] = (pid.value if pid else "", label.value)
    return [f"{label} ({pid})" if pid else label for pid, label in sorted(found.values())][:limit]


# --------------------------------------------------------------------------- cache


_RESOLVERS: dict = {}


def resolver_for(backend, cls: str) -> Resolver:
    """The resolver of class ``cls`` (IRI or prefixed name) over ``backend``.

    The embedded graph's names are cached on disk next to the reasoned graph; other
    backends (a loaded store, a remote endpoint) are read once per process.
    """
    cls = expand_class(cls)
    memo = (id(backend), cls)
    if memo in _RESOLVERS:
        return _RESOLVERS[memo][1]
    resolver = None
    path = _names_cache(backend, cls)
    if path is not None and os.path.isfile(path):  # a regular file: never wait on a FIFO
        resolver = _read_names_cache(path, cls)
    if resolver is None:
        resolver = Resolver(cls, read_names(backend, cls))
        if path is not None:
            from .store import write_atomically

            # one JSON text a line: the names, then each part of the index (read when used)
            lines = [json.dumps([list(n) for n in resolver.names], ensure_ascii=False)]
            lines += [json.dumps(getattr(resolver, attr), ensure_ascii=False) for attr in Resolver.STATE]
            try:
                write_atomically(path, ("\n".join([NAMES_CACHE_FORMAT, *lines]) + "\n").encode("utf-8"))
            except OSError:
                pass
    _RESOLVERS[memo] = (backend, resolver)  # keep the backend alive so its id stays unique
    return resolver


NAMES_CACHE_FORMAT = "etom-kg names v2"


def _read_names_cache(path: str, cls: str) -> Resolver | None:
    """The resolver cached at ``path``, or None when the file is not one (damaged, older):
    its index parts are checked to be JSON lists or objects but decoded only when used."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines[0] != NAMES_CACHE_FORMAT or len(lines) != len(Resolver.STATE) + 3 or lines[-1]:
            return None
        state = dict(zip(Resolver.STATE, lines[2:-1]))
        if not all(text[:1] + text[-1:] in ("[]", "{}") for text in state.values()):
            return None
        return Resolver(cls, [Name(*row) for row in json.loads(lines[1])], state, path)
    except (OSError, ValueError, TypeError):
        return None


def _names_cache(backend, cls: str):
    if not getattr(backend, "embedded", False):
        return None
    from .store import _reasoned_cache_file, checksum_key

    # a str: pathlib and hashlib would cost a cold query 4-8 ms; the backend's own path spares
    # computing the cache key again (2 ms)
    base = getattr(backend, "cache_path", None) or _reasoned_cache_file()
    if base is None:
        return None
    return f"{os.path.splitext(base)[0]}-names-{checksum_key([cls.encode()])}.json"
