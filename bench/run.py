"""etom-kg benchmarks: every target is a ratio measured side by side in one run.

    python bench/run.py            # full run (owlrl at 10^5 takes minutes)
    python bench/run.py --quick    # smaller sizes, fewer repetitions

Measurements of competing variants are interleaved round-robin, so a ratio compares runs
taken under the same machine load. Each measurement is a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
ETOM_KG = str(Path(PY).with_name("etom-kg"))
QUERY = [ETOM_KG, "query", "processes-for-topic", "--param", "topic=complaints"]
FUZZY = [ETOM_KG, "query", "processes-for-topic", "--param", "topic=complants handlng"]
ASK = [ETOM_KG, "ask", "¿quién se encarga de las reclamaciones de factura?"]


def timed(cmd: list[str], env=None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return wall, int(proc.stderr.strip().splitlines()[-1]) / 1024


def worker(task: str, arg: str) -> dict:
    proc = subprocess.run([PY, str(HERE / "worker.py"), task, arg], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"worker {task} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} [{min(values):.3f}-{max(values):.3f}] (n={len(values)})"


def interleave(variants: dict, runs: dict) -> dict:
    """Run each variant's callable round-robin; ``runs`` gives the repetitions per variant."""
    results = {name: [] for name in variants}
    for i in range(max(runs.values())):
        for name, fn in variants.items():
            if i < runs[name]:
                results[name].append(fn())
    return results


def ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(a) / statistics.median(b)


# ---------------------------------------------------------------- 1. CLI latency


def bench_cli(runs: int, env: dict) -> dict:
    print("\n## 1. CLI latency (cold process, reasoned graph prepared ahead)")
    timed(QUERY, env)  # first use builds the cache
    res = interleave({
        "python -c pass": lambda: timed([PY, "-c", "pass"], env),
        "python -c 'import rdflib'": lambda: timed([PY, "-c", "import rdflib"], env),
        "etom-kg query processes-for-topic": lambda: timed(QUERY, env),
    }, {"python -c pass": runs, "python -c 'import rdflib'": runs, "etom-kg query processes-for-topic": runs})
    wall = {k: [w for w, _ in v] for k, v in res.items()}
    rss = {k: [r for _, r in v] for k, v in res.items()}
    for k in wall:
        print(f"  {k:38} {summary(wall[k])} s   peak RSS {max(rss[k]):.1f} MB")
    r = ratio(wall["etom-kg query processes-for-topic"], wall["python -c 'import rdflib'"])
    print(f"  RATIO etom-kg query / import rdflib = {r:.2f}x   (target <= 1.0x, aim 0.5x)")
    cold_env = dict(env, ETOM_KG_CACHE_DIR=tempfile.mkdtemp(prefix="etom-cold-"))
    first = timed(QUERY, cold_env)[0]
    print(f"  first use, empty cache (reasons the embedded graph once): {first:.3f} s")
    return {"cli_ratio": r, "cli_rss_mb": max(rss["etom-kg query processes-for-topic"]), "first_use_s": first}


def bench_words(runs: int, env: dict) -> dict:
    print("\n## 1b. Words: ask and a fuzzy query against the exact query (cold processes)")
    for cmd in (QUERY, FUZZY, ASK):
        timed(cmd, env)  # first use fills the caches (reasoned graph, name tables)
    names = {"exact query (topic=complaints)": QUERY, "fuzzy query (typos)": FUZZY, "ask (Spanish question)": ASK}
    res = interleave({k: (lambda c=c: timed(c, env)) for k, c in names.items()}, {k: runs for k in names})
    wall = {k: [w for w, _ in v] for k, v in res.items()}
    for k in wall:
        print(f"  {k:38} {summary(wall[k])} s")
    exact = wall["exact query (topic=complaints)"]
    fuzzy, ask = ratio(wall["fuzzy query (typos)"], exact), ratio(wall["ask (Spanish question)"], exact)
    print(f"  RATIO fuzzy query / exact query = {fuzzy:.2f}x   (target <= 1.3x)")
    print(f"  RATIO ask / exact query = {ask:.2f}x   (target <= 1.3x)")
    return {"fuzzy_query_ratio": fuzzy, "ask_ratio": ask}


# ---------------------------------------------------------------- 2-3. materialisation


def make_input(n: int, workdir: Path) -> Path:
    from etom_kg.store import default_store
    from etom_kg.synthetic import landscape, level3_processes

    path = workdir / f"landscape-{n}.nt"
    if not path.exists():
        path.write_text(landscape(n, level3_processes(default_store(reasoned=False).store)), encoding="utf-8")
    return path


def print_materialisations(res: dict) -> None:
    for name, rows in res.items():
        print(f"  {name:6} total {summary([r['seconds'] for r in rows])} s; reason {summary([r['reason'] for r in rows])} s;"
              f" {rows[0]['input']:,} -> {rows[0]['output']:,} triples; peak RSS {max(r['rss_mb'] for r in rows):.0f} MB")


def bench_owlrl(n: int, runs: int, owlrl_runs: int, workdir: Path) -> dict:
    print(f"\n## 2. Materialisation: fast rules vs owlrl, ontology + {n:,} triples (parse + reason)")
    data = str(make_input(n, workdir))
    res = interleave({"rules": lambda: worker("materialize-rules", data),
                      "owlrl": lambda: worker("materialize-owlrl", data)},
                     {"rules": runs, "owlrl": owlrl_runs})
    print_materialisations(res)
    total = ratio([r["seconds"] for r in res["owlrl"]], [r["seconds"] for r in res["rules"]])
    reason = ratio([r["reason"] for r in res["owlrl"]], [r["reason"] for r in res["rules"]])
    print(f"  RATIO owlrl / rules = {total:.0f}x end to end, {reason:.0f}x reasoning only   (target >= 100x)")
    return {"owlrl_ratio": total, "owlrl_reason_ratio": reason}


def bench_scale(small: int, large: int, runs: int, workdir: Path) -> dict:
    print(f"\n## 3. Scaling of the fast rules: {large:,} vs {small:,} triples (parse + reason)")
    a, b = str(make_input(small, workdir)), str(make_input(large, workdir))
    res = interleave({"small": lambda: worker("materialize-rules", a), "large": lambda: worker("materialize-rules", b)},
                     {"small": runs, "large": runs})
    print_materialisations(res)
    r = ratio([x["seconds"] for x in res["large"]], [x["seconds"] for x in res["small"]])
    rr = ratio([x["reason"] for x in res["large"]], [x["reason"] for x in res["small"]])
    print(f"  RATIO large / small = {r:.1f}x end to end, {rr:.1f}x reasoning only   (target <= {12 * large // small // 10}x for 10x data)")
    return {"scale_ratio": r, "scale_reason_ratio": rr, "large_rss_mb": max(x["rss_mb"] for x in res["large"])}


# ---------------------------------------------------------------- 4. load + query a store


def bench_store(n: int, runs: int, workdir: Path, env: dict) -> dict:
    print(f"\n## 4. etom-kg load of {n:,} triples, then queries against the store")
    data = str(make_input(n, workdir))
    target = workdir / f"store-{n}"
    shutil.rmtree(target, ignore_errors=True)
    wall, rss = timed([ETOM_KG, "load", data, "--store", str(target)], env)
    print(f"  load: {wall:.2f} s, peak RSS {rss:.0f} MB")
    res = interleave({
        "embedded": lambda: timed(QUERY, env),
        "store": lambda: timed([*QUERY, "--store", str(target)], env),
        "import rdflib": lambda: timed([PY, "-c", "import rdflib"], env),
    }, {"embedded": runs, "store": runs, "import rdflib": runs})
    for k, v in res.items():
        print(f"  query ({k:13}) {summary([w for w, _ in v])} s   peak RSS {max(r for _, r in v):.1f} MB")
    return {"load_s": wall, "load_rss_mb": rss, "store_query_s": statistics.median(w for w, _ in res["store"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10^4 / 10^5 sizes and fewer runs")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--owlrl-runs", type=int, default=None)
    ap.add_argument("--only", choices=("cli", "words", "owlrl", "scale", "store"), action="append")
    ap.add_argument("--workdir", default=None, help="where generated inputs are kept between runs")
    args = ap.parse_args()
    small, large = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    runs = args.runs or (3 if args.quick else 5)
    owlrl_runs = args.owlrl_runs or (1 if args.quick else 3)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="etom-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, ETOM_KG_CACHE_DIR=str(workdir / "cache"))
    print(f"# etom-kg benchmarks  ({os.cpu_count()} cores, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M')})")
    only = set(args.only or ("cli", "words", "owlrl", "scale", "store"))
    results = {}
    if "cli" in only:
        results.update(bench_cli(max(runs, 10), env))
    if "words" in only:
        results.update(bench_words(max(runs, 15), env))
    if "owlrl" in only:
        results.update(bench_owlrl(small, runs, owlrl_runs, workdir))
    if "scale" in only:
        results.update(bench_scale(small, large, runs, workdir))
    if "store" in only:
        results.update(bench_store(large, runs, workdir, env))
    print("\n# summary")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
