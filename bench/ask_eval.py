"""Evaluate `etom-kg ask` on bench/ask_eval.jsonl: precision and recall per language, and
top-answer accuracy.

    python bench/ask_eval.py [--file FILE] [--show-misses] [--json]

For each phrasing, the answer is the classic ids of the processes `ask` returns.

* **recall**: share of the expected ids (those the graph holds) that the answer lists, itself
  or through one of its parts (a Level-3 process of an expected Level-2 one);
* **precision**: share of the answer that an expert would accept: an expected process, or a
  process above or below one in the hierarchy (its classic id is a prefix of, or extends, an
  expected id: the Level-1 grouping of an expected Level-2 process is context, not noise);
* **top answer**: the answer lists the expert's first-named process or one of its parts (or,
  when the graph does not hold it yet, the next one it holds). Questions with no expected ids (about groupings or
  responsibilities) count as right when `ask` answers them with rows.

Expected ids the graph does not hold yet (Level-3/4 processes of GB921 v21) are counted and
reported apart. Nothing here is tuned to single phrasings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--file", default=str(HERE / "ask_eval.jsonl"))
    p.add_argument("--show-misses", action="store_true")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)

    from etom_kg.api import get_backend, query
    from etom_kg.ask import ask
    from etom_kg.errors import QueryError

    backend = get_backend()
    known = {r["id"] for r in query("processes", backend, include_deprecated=True).records() if r.get("id")}
    items = [json.loads(line) for line in Path(args.file).read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [i for i in items if "q" in i]
    stats: dict = {}
    misses = []
    missing_ids: set = set()
    for item in items:
        s = stats.setdefault(item["lang"], {"n": 0, "top": 0, "p": 0.0, "r": 0.0, "scored": 0, "unmapped": 0})
        s["n"] += 1
        expected = [e for e in item["expect"] if e in known]
        missing_ids.update(e for e in item["expect"] if e not in known)
        try:
            answer = ask(item["q"], backend)
        except QueryError:
            s["unmapped"] += 1
            misses.append((item, "cannot map", []))
            if expected:
                s["scored"] += 1
            continue
        got = []
        for row in answer.result.records():
            for col in ("id",):
                if row.get(col) and row[col] not in got:
                    got.append(str(row[col]))
        if "query" in item and answer.query.id != item["query"]:
            misses.append((item, f"query {answer.query.id}", got))
            continue
        if not item["expect"]:
            ok = bool(answer.result.rows)
        else:
            primary = item["expect"][0] if item["expect"][0] in known else (expected[0] if expected else None)
            ok = primary is not None and any(g == primary or g.startswith(primary + ".") for g in got)
        if expected:
            s["scored"] += 1
            hit = [e for e in expected if any(g == e or g.startswith(e + ".") for g in got)]
            s["r"] += len(hit) / len(expected)
            s["p"] += (sum(1 for g in got if any(related(g, e) for e in expected)) / len(got)) if got else 0.0
        if ok:
            s["top"] += 1
        else:
            misses.append((item, f"{answer.query.id} {answer.params}", got))

    report = {}
    for lang, s in sorted(stats.items()):
        report[lang] = {
            "phrasings": s["n"],
            "top_answer_accuracy": round(s["top"] / s["n"], 3),
            "precision": round(s["p"] / s["scored"], 3) if s["scored"] else None,
            "recall": round(s["r"] / s["scored"], 3) if s["scored"] else None,
            "unmapped": s["unmapped"],
        }
    total = sum(s["n"] for s in stats.values())
    report["all"] = {"phrasings": total, "top_answer_accuracy": round(sum(s["top"] for s in stats.values()) / total, 3),
                     "expected_ids_not_in_graph_yet": sorted(missing_ids)}
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(f"{'lang':4}  {'n':>4}  {'top-answer':>10}  {'precision':>9}  {'recall':>6}  {'unmapped':>8}")
        for lang in sorted(stats):
            r = report[lang]
            print(f"{lang:4}  {r['phrasings']:4}  {r['top_answer_accuracy']:10.1%}  {r['precision']:9.1%}  {r['recall']:6.1%}  {r['unmapped']:8}")
        print(f"all   {total:4}  {report['all']['top_answer_accuracy']:10.1%}")
        if missing_ids:
            print(f"expected ids the graph does not hold yet: {len(missing_ids)}")
    if args.show_misses:
        for item, why, got in misses:
            print(f"MISS [{item['lang']}] {item['q']!r}: {why} -> {got[:8]} expected {item['expect'][:5]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
