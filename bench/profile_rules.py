"""Where the fast rules spend their time: CPU seconds of every SPARQL update of one run.

Usage: python bench/profile_rules.py FILE.nt [FILE.nt ...]

Each file is parsed with the embedded ontology into a fresh pyoxigraph memory store and
reasoned once; the updates are timed in CPU seconds of this process (``time.process_time``),
which a machine shared with other jobs disturbs far less than wall time. Comparing two sizes
(e.g. the 10^5 and 10^6 landscapes ``bench/run.py`` writes into its ``--workdir``) shows which
steps grow faster than the input.
"""

from __future__ import annotations

import re
import sys
import time


class _TimedStore:
    """The store, with every ``update`` timed; everything else passes through."""

    def __init__(self, store):
        self._store, self.updates = store, []

    def __getattr__(self, name):
        return getattr(self._store, name)

    def __len__(self):
        return len(self._store)

    def __iter__(self):
        return iter(self._store)

    def update(self, text: str) -> None:
        start = time.process_time()
        self._store.update(text)
        self.updates.append((time.process_time() - start, text))


def _short(update: str, width: int = 110) -> str:
    text = re.sub(r"<[^<>]*[#/]([^<>#/]+)>", r":\1", update)  # IRIs by their local names
    return re.sub(r"\s+", " ", text)[:width]


def profile(path: str, top: int = 8) -> dict:
    import pyoxigraph as ox

    from etom_kg.rules import materialize
    from etom_kg.store import load_embedded

    store = ox.Store()
    load_embedded(store)
    start = time.process_time()
    store.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES)
    parse = time.process_time() - start
    timed = _TimedStore(store)
    start = time.process_time()
    materialize(timed)
    reason = time.process_time() - start
    print(f"{path}: parse {parse:.2f} s CPU, rules {reason:.2f} s CPU "
          f"({sum(s for s, _ in timed.updates):.2f} s in {len(timed.updates)} updates), {len(store):,} triples")
    for seconds, text in sorted(timed.updates, key=lambda u: -u[0])[:top]:
        print(f"  {seconds:7.2f} s  {_short(text)}")
    return {"parse": parse, "reason": reason, "steps": {text: seconds for seconds, text in timed.updates}}


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    runs = [profile(path) for path in sys.argv[1:]]
    if len(runs) > 1:
        first, last = runs[0], runs[-1]
        print(f"\nlast / first: parse {last['parse'] / first['parse']:.1f}x, rules {last['reason'] / first['reason']:.1f}x")
        shared = sorted(set(first["steps"]) & set(last["steps"]), key=lambda t: -last["steps"][t])[:8]
        for text in shared:
            a, b = first["steps"][text], last["steps"][text]
            print(f"  {b / a if a else float('inf'):6.1f}x  {a:6.2f} -> {b:6.2f} s  {_short(text, 90)}")


if __name__ == "__main__":
    main()
