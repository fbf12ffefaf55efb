"""``etom-kg ask``: a plain question in English or Spanish -> one stored query and its parameters.

The questions a stored query answers are data in its header::

    #+ ask:
    #+   en: which processes handle {topic} | who deals with {topic}
    #+   es: qué procesos gestionan {topic} | quién se encarga de {topic}
    #+   weight: 0.95        (optional: trust in these patterns when several fit equally)

A pattern's words are aligned in order with the question's words (same word, same Snowball
stem, or one typo away); the words between them fill the ``{slots}``, and each slot's words go
through the term resolver of its parameter's class (:mod:`etom_kg.search`). The score of a
pattern is how well its slots resolve, times how many of its own words the question used,
times how much of the question the pattern explains. The best-scoring pattern wins; ties go
to the query listed first by id. Nothing here knows any particular phrasing; the only words
it treats specially are data: the stop word lists and the words of the patterns themselves
(a slot's edges drop them: "who handles | fraud").
"""

from __future__ import annotations

import re
from collections import namedtuple
from functools import lru_cache

from .errors import QueryError
from .limits import MAX_QUESTION_WORDS
from .text import fold, is_identifier, stop_words, tagged

MIN_SCORE = 0.3
BARE_COVERAGE = 0.6
NEAR = 0.1  # readings this close to the best are tried in turn when it finds nothing
EQUIVALENT = 0.9  # a pattern word matched by a word of its group (words/ask-words.txt)


# collections.namedtuple, not typing.NamedTuple: importing typing costs every question 2.5 ms.
class Candidate(namedtuple("Candidate", "score query pattern params slots matched complete", defaults=(False,))):
    """A reading of a question: ``query`` is the AskEntry of a stored query, ``params`` maps a
    parameter to its slot's text, ``slots`` to its best Match (or None), ``matched`` lists the
    pattern words the question used, and ``complete`` says every word was used but the slot's
    words name nothing."""

    __slots__ = ()


class Answer(namedtuple("Answer", "question query params result resolutions candidates passed", defaults=((),))):
    """What ``ask`` chose, its result, and why (``explain()``). ``passed``: the readings
    scored as high (within ``NEAR``) that were run first and found nothing."""

    __slots__ = ()

    def explain(self) -> str:
        best = self.candidates[0]
        lines = [f"passed over: {c.query.id} {c.score:.2f} ({c.pattern!r}): no rows" for c in self.passed]
        lines += [f"query: {self.query.id} (score {best.score:.2f})",
                 f"pattern: {best.pattern!r}" + (f" (words used: {', '.join(best.matched)})" if best.matched else "")]
        for name, value in sorted(self.params.items()):
            lines.append(f"param {name} = {value!r}")
        for r in self.resolutions:
            if r.chosen:
                picked = "; ".join(f"{m.label} [{m.tier} {m.score:.2f}: {m.why}]" for m in r.chosen[:8])
                lines.append(f"  {r.param}: {r.text!r} -> {picked}" + (f" (+{len(r.chosen) - 8} more)" if len(r.chosen) > 8 else ""))
                others = [m for m in r.matches if m not in r.chosen][:5]
                if others:
                    lines.append("    also considered: " + "; ".join(f"{m.label} [{m.tier} {m.score:.2f}]" for m in others))
            else:
                lines.append(f"  {r.param}: {r.text!r} -> nothing matched")
        runners = [c for c in self.candidates[1:] if c.query.id != self.query.id][:3]
        if runners:
            lines.append("other readings: " + "; ".join(f"{c.query.id} {c.score:.2f} ({c.pattern!r})" for c in runners))
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict:
        return {"question": self.question, "query": self.query.id, "params": dict(self.params),
                "score": round(self.candidates[0].score, 3), "pattern": self.candidates[0].pattern,
                "resolutions": [r.as_dict() for r in self.resolutions],
                "passed_over": [{"query": c.query.id, "score": round(c.score, 3), "pattern": c.pattern} for c in self.passed]}


# --------------------------------------------------------------------------- the table of patterns


_Param = namedtuple("_Param", "name match many")


class AskEntry(namedtuple("AskEntry", "id ask params")):
    """What ``ask`` needs of a stored query: its id, patterns and matched parameters."""

    __slots__ = ()

    def param(self, name: str) -> _Param:
        return next(p for p in self.params if p.name == name)


# What the cached table knows of the patterns' own words (their parts and stems), so a
# question stems only its own words: stemming the ~600 pattern words cost every question 5 ms.
_SEEDED_PARTS: dict = {}
_SEEDED_STEMS: dict = {}
_TABLES: dict = {}
ASK_CACHE_FORMAT = 2


def ask_table() -> list[AskEntry]:
    """The ask patterns of the stored queries. Parsing every header costs more than the rest
    of a question, so the table is cached next to the reasoned graph, with each pattern's
    words and their stems, keyed by the query files, the word-handling code, the stop
    lists and the stemmer library (name, size and modification time; their bytes when they
    are not plain files)."""
    import json
    import os

    from . import __version__
    from .queries import catalog
    from .resources import package_file, query_root
    from .store import _cache_dir_name, checksum_key, write_atomically

    folder = query_root().joinpath("cq")
    nodes = sorted((n for n in folder.iterdir() if n.name.endswith(".rq")), key=lambda n: n.name)
    nodes += [package_file(n) for n in ("ask.py", "text.py", "words/stopwords-en.txt", "words/stopwords-es.txt",
                                        "words/ask-words.txt", "words/negations.txt")]
    parts = [__version__.encode(), _stemmer_file().encode()]
    for node in nodes:
        try:  # a file on disk (the usual install): its size and time stand for its bytes
            st = os.stat(node)
            parts.append(f"{node}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        except TypeError:
            parts.append(node.name.encode() + b"\0" + node.read_bytes() + b"\0")
    key = checksum_key(parts)
    if key in _TABLES:  # read already by this process (ask reads it early, then to answer)
        return _TABLES[key]
    where = _cache_dir_name()  # a str: pathlib would cost every question 3 ms
    path = None if where is None else os.path.join(where, f"etom-ask-{key}.json")
    if path is not None and os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                cached = json.loads(f.read())
            if cached["format"] != ASK_CACHE_FORMAT:
                raise ValueError("another format")
            table = [AskEntry(r[0], {k: tuple(v) for k, v in r[1].items()}, tuple(_Param(*p) for p in r[2]))
                     for r in cached["table"]]
            seeded_parts = {k: tuple(tuple(p) if isinstance(p, list) else p for p in v)
                            for k, v in cached["parts"].items()}
            seeded_stems = {k: frozenset(v) for k, v in cached["stems"].items()}
            if not all(isinstance(v, list) and all(isinstance(w, str) for w in v) for v in cached["stems"].values()) \
                    or not all(isinstance(w, str) or (isinstance(w, tuple) and len(w) == 1 and isinstance(w[0], str))
                               for v in seeded_parts.values() for w in v):
                raise ValueError("damaged words")
            _SEEDED_PARTS.update(seeded_parts)
            _SEEDED_STEMS.update(seeded_stems)
            _TABLES[key] = table
            return table
        except (OSError, ValueError, TypeError, IndexError, KeyError, AttributeError):
            pass
    table = [AskEntry(q.id, dict(q.ask), tuple(_Param(p.name, p.match, p.many) for p in q.params))
             for q in catalog("cq") if q.ask]
    if path is not None:
        patterns = sorted({p for e in table for lang, ps in e.ask.items() if lang != "weight" for p in ps})
        words = sorted({w for p in patterns for w in _parts(p) if not isinstance(w, tuple)}
                       | {w for group in _groups() for w in group})
        cached = {"format": ASK_CACHE_FORMAT,
                  "table": [[e.id, e.ask, [list(p) for p in e.params]] for e in table],
                  "parts": {p: [list(w) if isinstance(w, tuple) else w for w in _parts(p)] for p in patterns},
                  "stems": {w: sorted(_stems(w)) for w in words}}
        try:
            write_atomically(path, json.dumps(cached, ensure_ascii=False).encode("utf-8"))
        except OSError:
            pass
    _TABLES[key] = table
    return table


def _stemmer_file() -> str:
    """The stemmer library's file (its path, size and time key the cached stems)."""
    import os

    import Stemmer

    try:
        st = os.stat(Stemmer.__file__)
        return f"{Stemmer.__file__}\0{st.st_size}\0{st.st_mtime_ns}"
    except (OSError, TypeError, AttributeError):
        return "Stemmer"


_SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@lru_cache(maxsize=None)
def _parts(pattern: str) -> tuple:
    """``"who supports {process}"`` -> ``["who", "supports", ("process",)]``."""
    if pattern in _SEEDED_PARTS:
        return _SEEDED_PARTS[pattern]
    out = []
    for i, piece in enumerate(_SLOT.split(pattern)):
        if i % 2:
            out.append((piece,))
        else:
            out.extend(fold(piece).split())
    return tuple(out)


@lru_cache(maxsize=None)
def _cues(pattern: str) -> tuple:
    """A pattern's own content words (not its stop words, not its slots)."""
    stops = stop_words()
    return tuple(p for p in _parts(pattern) if not isinstance(p, tuple) and p not in stops)


@lru_cache(maxsize=1)
def _groups() -> tuple:
    """The groups of words/ask-words.txt, each a tuple of folded words."""
    from .resources import package_file

    text = package_file("words/ask-words.txt").read_text(encoding="utf-8")
    return tuple(tuple(fold(line).split()) for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def _equivalents() -> dict:
    """stem -> the stems of every word of its group in words/ask-words.txt."""
    out: dict = {}
    for group in _groups():
        stems = frozenset().union(*(_stems(w) for w in group))
        for stem in stems:
            out[stem] = out.get(stem, frozenset()) | stems
    return out


@lru_cache(maxsize=None)
def _literal_stems(literal: str) -> frozenset:
    """What a pattern's word matches: its stems and those of the words of its group (a word
    of a group matches the group through any of its forms: "calls" -> "call")."""
    mine = _stems(literal)
    groups = _equivalents()
    return mine.union(*(groups.get(stem, ()) for stem in mine))


@lru_cache(maxsize=4096)
def _stems(word: str) -> frozenset:
    """The word itself and its tagged English and Spanish stems."""
    if word in _SEEDED_STEMS:
        return _SEEDED_STEMS[word]
    return frozenset((word, tagged(word, "en"), tagged(word, "es")))


def _same(word: str, wstems: frozenset, literal: str, lstems: frozenset, typos: bool) -> bool:
    if word == literal or wstems & lstems:
        return True
    if typos and len(literal) >= 5 and abs(len(word) - len(literal)) <= 1:
        from rapidfuzz.distance import Levenshtein

        return Levenshtein.distance(word, literal, score_cutoff=1) <= 1
    return False


def _align(parts: list, words: list, wstems: list, typos: bool = False, stops: frozenset = frozenset()):
    """In-order alignment of the pattern's words with the question's, the heaviest there is
    (a content word weighs 1, a stop word 0.25, a word of the group in words/ask-words.txt
    said in place of the pattern's own EQUIVALENT of that). A stop word of the pattern said
    late in the question ("to which verticals does X belong" asked as "which verticals does
    X belong to") must not push the pattern's other words out of reach. Between alignments
    of equal weight, a word is placed as early as it can be, or, right after a slot, as late.
    A pattern without slots is a set of words, in any order ("obsolete processes", "which
    processes are obsolete").

    Returns (matched literal indexes, slot spans, used word indexes, the matched literals
    that a word of their group stood for). The spans are None when a word of the pattern
    between two slots was not said: where one slot ends and the next begins is unknown."""
    literals = [k for k, part in enumerate(parts) if not isinstance(part, tuple)]
    n = len(words)
    if typos:
        hits = {k: [j for j in range(n) if _same(words[j], wstems[j], parts[k], _literal_stems(parts[k]), True)]
                for k in literals}
    else:  # a word matches when it shares a stem with the literal or its group (each holds itself)
        where = _positions(tuple(wstems))
        hits = {k: sorted({j for stem in _literal_stems(parts[k]) for j in where.get(stem, ())}) for k in literals}
    # the pattern's own word, said, weighs more than a word of its group said in its place
    own = {(k, j) for k in literals for j in hits[k] if words[j] == parts[k] or wstems[j] & _stems(parts[k])}
    if len(literals) == len(parts):  # no slot: the pattern's words may come in any order
        taken: set = set()
        matched, widened = [], set()
        for k in literals:
            j = min((j for j in hits[k] if j not in taken), key=lambda j: ((k, j) not in own, j), default=None)
            if j is not None:
                taken.add(j)
                matched.append(k)
                if (k, j) not in own:
                    widened.add(k)
        return matched, {}, taken, widened
    # best[i][j]: heaviest alignment of literals[i:] using words j.. (weight, chosen positions)
    best = [[(0.0, (None,) * (len(literals) - i))] * (n + 2) for i in range(len(literals) + 1)]
    for i in range(len(literals) - 1, -1, -1):
        k = literals[i]
        w = 0.25 if parts[k] in stops else 1.0
        row, below = best[i], best[i + 1]
        for j in range(n, -1, -1):
            choice = best[i + 1][j]  # leave this literal out
            choice = (choice[0], (None,) + choice[1])
            # after a slot, the latest of equally good places: the slot's name may hold the
            # word itself ("what does Customer Support & Readiness support")
            for h in (reversed(hits[k]) if k and isinstance(parts[k - 1], tuple) else hits[k]):
                if h >= j:
                    take = (w * (1.0 if (k, h) in own else EQUIVALENT) + below[h + 1][0], (h,) + below[h + 1][1])
                    if take[0] > choice[0] + 1e-9:
                        choice = take
            if row[j + 1][0] > choice[0] + 1e-9:
                choice = row[j + 1]  # the alignment may also start later
            row[j] = choice
    chosen = dict(zip(literals, best[0][0][1]))
    widened = {k for k, j in chosen.items() if j is not None and (k, j) not in own}
    pos, matched, used, spans = 0, [], set(), {}
    pending = []  # slots waiting for the next matched literal (or the end) to close
    gap = blurred = False  # a word between two slots was not said: where one ends is a guess
    for k, part in enumerate(parts):
        if isinstance(part, tuple):
            blurred = blurred or (gap and bool(pending))
            pending.append((part[0], pos))
            continue
        j = chosen.get(k)
        if j is None:
            gap = gap or bool(pending)
            continue
        if pending:
            _close(pending, pos, j, spans)
            pending = []
        gap = False
        matched.append(k)
        used.add(j)
        pos = j + 1
    if pending:
        _close(pending, pos, len(words), spans)
    if blurred:
        spans = None
    return matched, spans, used, widened


@lru_cache(maxsize=1)
def _negations() -> frozenset:
    """The words of words/negations.txt, folded."""
    from .resources import package_file

    text = package_file("words/negations.txt").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in fold(line).split())


def _negated(words) -> bool:
    """Whether the words say one of words/negations.txt."""
    negations = _negations()
    return any(w in negations for w in words)


@lru_cache(maxsize=4)
def _positions(wstems: tuple) -> dict:
    """stem -> the indexes of the question's words that have it (one question at a time)."""
    where: dict = {}
    for j, stems in enumerate(wstems):
        for stem in stems:
            where.setdefault(stem, []).append(j)
    return where


def _close(pending: list, start: int, end: int, spans: dict) -> None:
    """Give the words start..end to the waiting slots (several slots: split at a stop word)."""
    if len(pending) == 1:
        spans[pending[0][0]] = (start, end)
        return
    # two adjacent slots with no literal between: split evenly (rare; patterns avoid it)
    size = max(1, (end - start) // len(pending))
    for i, (name, _) in enumerate(pending):
        a = start + i * size
        b = end if i == len(pending) - 1 else min(end, a + size)
        spans[name] = (a, b)


# --------------------------------------------------------------------------- choosing


def _reading(question: str) -> tuple | None:
    """What every reading of ``question`` starts from: its words, their stems, the words
    said (as stems), the indexes of its content words and the stop words; None if empty."""
    words = fold(question).split()
    if not words or len(words) > MAX_QUESTION_WORDS:
        return None  # ask() says why a question is too long
    wstems = [_stems(w) for w in words]
    heard = frozenset().union(*wstems)
    stops = stop_words()
    content = [i for i, w in enumerate(words) if w not in stops] or list(range(len(words)))
    return words, wstems, heard, content, stops


_PLANS: dict = {}  # the last question's plans: `ask` finds its likeliest reading first


def _plans(cat, reading: tuple, fuzzy: bool) -> list:
    """Every pattern's alignment with the question, best bound first."""
    words, wstems, heard, content, stops = reading
    key = (id(cat), tuple(words), fuzzy)
    if key in _PLANS:
        return _PLANS[key][1]
    said: dict = {}  # cue word -> whether the question said it (many patterns share a word)
    plans = []
    for q in cat:
        weight = float(q.ask.get("weight", ("1",))[0])
        for lang, patterns in sorted(q.ask.items()):
            if lang == "weight":
                continue
            for pattern in patterns:
                cues = _cues(pattern)
                if cues and not fuzzy:
                    for w in cues:
                        if w not in said:
                            said[w] = bool(_literal_stems(w) & heard)
                        if said[w]:
                            break
                    else:
                        continue  # none of the pattern's own words (exactly, as a stem, or its group's) was said
                plan = _plan(q, pattern, words, wstems, content, stops, fuzzy, weight)
                if plan is not None:
                    plans.append(plan)
    plans.sort(key=lambda p: (-p[0], p[1].id))
    _PLANS.clear()
    _PLANS[key] = (cat, plans)  # holding ``cat`` keeps its id from naming another catalogue
    return plans


def likeliest(question: str) -> str | None:
    """The stored query of the best-bound reading of ``question`` (words only, no names
    resolved): what ``etom-kg ask`` starts parsing the graph for before anything else."""
    cat = ask_table()
    reading = _reading(question)
    plans = _plans(cat, reading, False) if reading else []
    return plans[0][1].id if plans else None


def candidates(question: str, backend, catalog=None) -> list[Candidate]:
    """Every stored query's best reading of ``question``, best first."""
    from .search import resolver_for

    cat = ask_table() if catalog is None else [q for q in catalog if q.ask]
    reading = _reading(question)
    if reading is None:
        return []
    words, wstems, heard, content, stops = reading
    asking = frozenset().union(*(_query_cues(q) for q in cat))  # the catalogue's question words
    cache: dict = {}

    def resolve(param, text, fuzzy):
        key = (param.match, text, fuzzy)
        if key not in cache:
            ranked = resolver_for(backend, param.match).rank(text, fuzzy=fuzzy)
            cache[key] = ranked[0] if ranked else None
        return cache[key]

    def unknown(param, word) -> bool:
        """No name of the slot's class uses ``word`` (nor is it an id or a short word)."""
        return len(word) >= 4 and not is_identifier(word) and word not in resolver_for(backend, param.match).vocabulary

    resolve.unknown = unknown

    out = []
    for fuzzy in (False, True):  # typos (in the question's own words, then in names) only if needed
        # Best bound first; a reading whose bound is below the best score so far cannot win,
        # and is not resolved (names of a class are read only when some reading needs them).
        plans = _plans(cat, reading, fuzzy)
        if plans and not fuzzy and catalog is None and hasattr(backend, "prefetch"):
            # the likeliest query's graph is parsed while the readings are resolved (if
            # another wins, its own fill parses what is still missing)
            from .queries import catalog as stored

            likely = stored("cq").get(plans[0][1].id)
            backend.prefetch(likely.text, bound=[p.name for p in likely.params])
        best: dict = {}
        top = -1.0
        for plan in plans:
            if plan[0] < top - 1e-9:
                break
            c = _score(plan, words, content, stops, resolve, fuzzy, asking)
            if c is not None:
                if c.query.id not in best or c.score > best[c.query.id].score:
                    best[c.query.id] = c
                top = max(top, c.score)
        # equal scores: the reading whose pattern said more of the question's own words
        # ("which processes are invoked *by* X" against "which processes invoke X")
        out = sorted(best.values(), key=lambda c: (-round(c.score, 9), -len(c.matched), c.query.id))
        if out and out[0].score >= MIN_SCORE:
            break
    return out


def _plan(q, pattern, words, wstems, content, stops, fuzzy, weight):
    """The alignment of a pattern with the question, and the best score it could reach
    (every slot resolved exactly): (bound, query, pattern, …) or None."""
    parts = _parts(pattern)
    literals = [(k, p) for k, p in enumerate(parts) if not isinstance(p, tuple)]
    matched, spans, used, widened = _align(parts, words, wstems, fuzzy, stops)
    if spans is None:
        return None  # "{vertical} y {horizontal}" without the "y": the slots cannot be told apart
    lit_weight = sum(0.25 if p in stops else 1.0 for _, p in literals)
    got_weight = sum((0.25 if parts[k] in stops else 1.0) * (EQUIVALENT if k in widened else 1.0) for k in matched)
    # A pattern with no words of its own ("{topic}") fits any question: it counts as a
    # pattern whose words were partly missing, so one that does use its words wins.
    coverage = got_weight / lit_weight if lit_weight else BARE_COVERAGE
    if literals and not any(parts[k] not in stops for k in matched) and lit_weight >= 1:
        return None  # none of the pattern's own content words: not this question
    slotted = any(isinstance(p, tuple) for p in parts)
    if not slotted and any(p not in stops for k, p in literals if k not in matched):
        return None  # with no slot, the pattern's content words are the question: all of them
    if not slotted and _negated(words) != _negated(p for _, p in literals):
        return None  # "which processes have no applications" is not "which applications ..."
    reachable = set(used).union(*(range(a, b) for a, b in spans.values()))
    q_cov = len([i for i in content if i in reachable]) / len(content)
    bound = weight * (1.0 if slotted else 0.8) * (0.5 + 0.5 * coverage) * (0.4 + 0.6 * q_cov)
    return bound, q, pattern, parts, literals, matched, spans, used, coverage, weight


def _score(plan, words, content, stops, resolve, fuzzy, cues=frozenset()):
    _, q, pattern, parts, literals, matched, spans, used, coverage, weight = plan
    params, slots, quality = {}, {}, []
    slot_words = set()
    edge = stops | cues  # a slot's edges drop stop words and the words questions are asked with
    unresolved = False
    for part in parts:
        if not isinstance(part, tuple):
            continue
        name = part[0]
        param = q.param(name)
        a, b = spans.get(name, (0, 0))
        # a pattern of a slot alone ("{topic}") takes names whose words were all said, not some
        found = _fill(param, words, a, b, edge, resolve, fuzzy, whole=not literals)
        if found is None:
            # Every word of the pattern was said and only the slot's words name nothing
            # ("who handles fraud?"): kept, scored 0, so that when nothing else fits the
            # question still runs this query and the user hears "no match; did you mean".
            text = _edge_trimmed(words, a, b, edge)
            if not (literals and coverage == 1.0 and text and param.match):
                return None
            found, unresolved = (a, b, text, None), True
        a, b, text, match = found
        slot_words.update(range(a, b))
        params[name] = text
        slots[name] = match
        quality.append(match.score if match is not None else (0.0 if param.match else 0.5))
    explained = [i for i in content if i in used or i in slot_words]
    q_cov = len(explained) / len(content)
    slot_q = sum(quality) / len(quality) if quality else 0.8
    score = 0.0 if unresolved else weight * slot_q * (0.5 + 0.5 * coverage) * (0.4 + 0.6 * q_cov)
    return Candidate(score, q, pattern, params, slots, [parts[k] for k in matched], unresolved and q_cov == 1.0)


def _query_cues(q) -> frozenset:
    """The words of all of a query's patterns: ways of asking, never what is asked about."""
    return frozenset(w for lang, patterns in q.ask.items() if lang != "weight" for pattern in patterns
                     for w in _parts(pattern) if not isinstance(w, tuple))


def _edge_trimmed(words, a, b, edge) -> str:
    while a < b and _is_edge(words[a], edge):
        a += 1
    while b > a and _is_edge(words[b - 1], edge):
        b -= 1
    return " ".join(words[a:b])


def _is_edge(word: str, edge: frozenset) -> bool:
    return word in edge or bool(_stems(word) & _edge_stems(edge))


@lru_cache(maxsize=64)
def _edge_stems(edge: frozenset) -> frozenset:
    """The stems of the words of ``edge`` that are not stop words (those count as written)."""
    stops = stop_words()
    return frozenset().union(*(_stems(w) for w in edge if w not in stops))


def _fill(param, words, a, b, edge, resolve, fuzzy, whole=False):
    """The words a..b for a slot: (start, end, text, best match), or None.

    The slot's core drops, at its edges, stop words and the words the catalogue's questions
    are asked with ("who handles | fraud"). Leading or trailing words of the core may be left out too ("who is in charge
    of | overdue payments"): each shorter span is tried, its match score scaled by the share
    of the core's content words it keeps, so leaving words out must buy a much better match.
    The whole slot, edge words included, counts only when it is a name as it stands (exact,
    synonym or stem: "customer care"), never by word overlap. With ``whole``, a match must
    use every word of its span (no partial overlap)."""
    stops = stop_words()
    while a < b and words[a] in stops:
        a += 1
    while b > a and words[b - 1] in stops:
        b -= 1
    x0, y0 = a, b
    while a < b and _is_edge(words[a], edge):
        a += 1
    while b > a and _is_edge(words[b - 1], edge):
        b -= 1
    content = [i for i in range(a, b) if words[i] not in stops]
    if not content:
        return None
    if not param.match:
        return a, b, " ".join(words[a:b]), None
    spans = {(a, b)} | {(i, b) for i in content} | {(a, j + 1) for j in content}
    best = _best_span(param, words, spans, (x0, y0), content, resolve, fuzzy, whole)
    unknown = getattr(resolve, "unknown", None)
    if best is not None and unknown is not None and not all(best[1] <= i < best[2] for i in content):
        # a word no name uses is what the question is about ("password resets"): a shorter
        # span may leave out the words around a name, never such a word
        must = [i for i in content if unknown(param, words[i])]
        if not all(best[1] <= i < best[2] for i in must):
            spans = {(x, y) for x, y in spans if all(x <= i < y for i in must)}
            best = _best_span(param, words, spans, (x0, y0), content, resolve, fuzzy, whole)
    if best is None:
        return None
    _, x, y, match = best
    return x, y, " ".join(words[x:y]), match


def _best_span(param, words, spans, whole_slot, content, resolve, fuzzy, whole):
    """(value, start, end, match) of the span whose name scores best, scaled by the share of
    the content words it keeps; None when no span names anything."""
    best = None
    for x, y in sorted(spans | {whole_slot}):
        kept = [i for i in content if x <= i < y]
        match = resolve(param, " ".join(words[x:y]), fuzzy) if kept else None
        if match is None or ((x, y) not in spans and match.tier not in ("id", "exact", "synonym", "stem")):
            continue
        if whole and match.covers < 1.0:
            continue
        value = match.score * len(kept) / len(content)
        if best is None or value > best[0] + 1e-9:
            best = (value, x, y, match)
    return best


def examples(catalog=None) -> list[str]:
    from .queries import catalog as load_catalog

    cat = catalog or load_catalog("cq")
    return [f"{q.question['en']}  /  {q.question['es']}" for q in cat if q.ask]


def ask(question: str, backend=None, *, params: dict | None = None) -> Answer:
    """Answer a plain question: choose a stored query and its parameters, run it.

    Raises :class:`etom_kg.errors.QueryError` (exit 2) when no stored query fits.
    """
    from .api import get_backend

    n = len(fold(question).split())
    if n > MAX_QUESTION_WORDS:
        raise QueryError(f"the question has {n} words; ask it in at most {MAX_QUESTION_WORDS}")
    backend = get_backend(backend)
    found = candidates(question, backend)
    if found and found[0].score < MIN_SCORE:
        # nothing resolves, but a pattern fits word for word: run it, to say what is missing
        fitting = [c for c in found if c.complete]
        if fitting:
            found = fitting[:1] + [c for c in found if c is not fitting[0]]
    if not found or (found[0].score < MIN_SCORE and not found[0].complete):
        shown = "\n  ".join(examples())
        raise QueryError(
            f"cannot map the question {question!r} to a stored query. Ask about processes, "
            f"topics, groupings or ids, for example:\n  {shown}\n(etom-kg queries lists them all)"
        )
    # Readings scored within NEAR of the best are about as likely as it, from the words
    # alone ("processes under Assurance": the descendants of a process, or the members of a
    # vertical?). When the best finds nothing, the next of them that finds rows answers.
    run = _run(found[0], backend, params)
    passed: list = []
    if not run.result.rows and run.result.boolean is None:
        tried = [found[0]]
        for other in found[1:]:
            if other.score <= 0 or other.score < max(MIN_SCORE, found[0].score - NEAR):
                break
            try:
                alternative = _run(other, backend, params)
            except QueryError:
                continue  # its names resolve to nothing usable: not a better reading
            if alternative.result.rows:
                run, passed = alternative, tried
                break
            tried.append(other)
    order = [run.reading] + [c for c in found if c is not run.reading]
    return Answer(question, run.query, run.values, run.result, run.resolutions, order, tuple(passed))


_Run = namedtuple("_Run", "reading query values result resolutions")


def _run(reading: Candidate, backend, params: dict | None) -> _Run:
    """Run one reading of a question."""
    from .api import run_stored
    from .queries import catalog

    chosen = catalog("cq").get(reading.query.id)
    values = dict(reading.params)
    values.update(params or {})
    resolutions: list = []
    result = run_stored(chosen, backend, values, resolutions=resolutions)
    return _Run(reading, chosen, values, result, resolutions)
