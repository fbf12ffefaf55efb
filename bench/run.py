"""etom-kg benchmarks: every target is a ratio measured side by side in one run.

    python bench/run.py            # full run (owlrl at 10^5 takes minutes)
    python bench/run.py --quick    # smaller sizes, fewer repetitions
    python bench/run.py --only cli --only reasonable   # some sections

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


def timed(cmd: list[str], env=None) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{stderr}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def worker(task: str, *args: str) -> dict:
    proc = subprocess.run([PY, str(HERE / "worker.py"), task, *args], capture_output=True, text=True)
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
    names = ("python -c pass", "python -c 'import rdflib'", "etom-kg query processes-for-topic")
    commands = dict(zip(names, ([PY, "-c", "pass"], [PY, "-c", "import rdflib"], QUERY)))
    res = interleave({k: (lambda c=c: timed(c, env)) for k, c in commands.items()}, {k: runs for k in names})
    wall = {k: [w for w, _, _ in v] for k, v in res.items()}
    cpu = {k: [c for _, _, c in v] for k, v in res.items()}
    for k in names:
        print(f"  {k:38} {summary(wall[k])} s   CPU {statistics.median(cpu[k]):.3f} s   peak RSS {max(r for _, r, _ in res[k]):.1f} MB")
    r = ratio(wall[names[2]], wall[names[1]])
    rc = ratio(cpu[names[2]], cpu[names[1]])
    print(f"  RATIO etom-kg query / import rdflib = {r:.2f}x wall, {rc:.2f}x CPU   (target <= 0.5x)")
    cold_env = dict(env, ETOM_KG_CACHE_DIR=tempfile.mkdtemp(prefix="etom-cold-"))
    first = timed(QUERY, cold_env)[0]
    print(f"  first use, empty cache (reasons the embedded graph once): {first:.3f} s")
    return {"cli_ratio": r, "cli_cpu_ratio": rc, "cli_rss_mb": max(r for _, r, _ in res[names[2]]), "first_use_s": first}


def bench_words(runs: int, env: dict) -> dict:
    print("\n## 1b. Words: ask and a fuzzy query against the exact query (cold processes)")
    for cmd in (QUERY, FUZZY, ASK):
        timed(cmd, env)  # first use fills the caches (reasoned graph, name tables)
    names = {"exact query (topic=complaints)": QUERY, "fuzzy query (typos)": FUZZY, "ask (Spanish question)": ASK}
    res = interleave({k: (lambda c=c: timed(c, env)) for k, c in names.items()}, {k: runs for k in names})
    wall = {k: [w for w, _, _ in v] for k, v in res.items()}
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


def bench_reasonable(small: int, large: int, runs: int, large_runs: int, workdir: Path) -> dict:
    print(f"\n## 3. Fast rules vs reasonable (Rust OWL 2 RL), ontology + {small:,} and {large:,} triples (parse + reason)")
    out = {}
    rules_seconds, floor_seconds = {}, {}
    for n, reps in ((small, runs), (large, large_runs)):
        nt = make_input(n, workdir)
        ttl = nt.with_suffix(".ttl")  # reasonable picks its parser by extension; N-Triples is Turtle
        if not ttl.exists():
            ttl.symlink_to(nt.name)
        # The store floor: loading the finished closure into an empty pyoxigraph memory store,
        # with no reasoning at all. Written afresh each run (the closure follows the code).
        closure = workdir / f"closure-{n}.nt"
        worker("dump-closure", str(nt), str(closure))
        res = interleave({"rules": lambda: worker("materialize-rules", str(nt)),
                          "reasonable": lambda: worker("materialize-reasonable", str(ttl)),
                          "floor": lambda: worker("bulk-load", str(closure))},
                         {"rules": reps, "reasonable": reps, "floor": reps})
        floor = res.pop("floor")
        print(f"  input {n:,}:")
        print_materialisations(res)
        floor_seconds[n] = [r["seconds"] for r in floor]
        print(f"  store floor (bulk_load of the finished closure, {floor[0]['triples']:,} triples, no reasoning):"
              f" {summary(floor_seconds[n])} s; rules = {ratio([r['seconds'] for r in res['rules']], floor_seconds[n]):.2f}x the floor")
        speed = ratio([r["seconds"] for r in res["reasonable"]], [r["seconds"] for r in res["rules"]])
        memory = max(r["rss_mb"] for r in res["rules"]) / max(r["rss_mb"] for r in res["reasonable"])
        print(f"  RATIO reasonable / rules time = {speed:.2f}x   (target >= 2.5x, aim 3x)")
        print(f"  RATIO rules / reasonable peak RSS = {memory:.2f}x   (target <= 0.5x)")
        out[f"reasonable_ratio_{n}"] = speed
        out[f"memory_ratio_{n}"] = memory
        rules_seconds[n] = [r["seconds"] for r in res["rules"]]
    scale = statistics.median(rules_seconds[large]) / statistics.median(rules_seconds[small])
    floor = statistics.median(floor_seconds[large]) / statistics.median(floor_seconds[small])
    print(f"  RATIO rules {large:,} / {small:,} = {scale:.2f}x   (target <= {10.5 * large / small / 10:.1f}x for {large // small}x data)")
    print(f"  RATIO store floor {large:,} / {small:,} = {floor:.2f}x   (loading the same closures with no reasoning:"
          " what any reasoner that leaves its closure in this store starts from)")
    out["scale_ratio"] = scale
    out["store_floor_scale_ratio"] = floor
    return out


def bench_entailments(n: int, workdir: Path) -> dict:
    print(f"\n## 3b. Entailments: fast rules vs reasonable on ontology + {n:,} triples")
    nt = make_input(n, workdir)
    ttl = nt.with_suffix(".ttl")
    if not ttl.exists():
        ttl.symlink_to(nt.name)
    r = worker("compare-reasonable", str(ttl))
    print(f"  asserted {r['asserted']:,}; closure without blank-node triples: rules {r['ours']:,}, reasonable {r['reasonable']:,}"
          f" (blank-node triples: {r['ours_blank_node_triples']} / {r['reasonable_blank_node_triples']})")
    for side, key in (("rules", "only_ours"), ("reasonable", "only_reasonable")):
        print(f"  only {side}: {r[key]:,}")
        for kind, count in r[f"{key}_by_kind"].items():
            print(f"    {count:8,}  {kind}")
    return {"only_rules": r["only_ours"], "only_reasonable": r["only_reasonable"]}


# ---------------------------------------------------------------- 4. load + query a store


def bench_store(n: int, runs: int, workdir: Path, env: dict) -> dict:
    print(f"\n## 4. etom-kg load of {n:,} triples, then queries against the store")
    data = str(make_input(n, workdir))
    target = workdir / f"store-{n}"
    shutil.rmtree(target, ignore_errors=True)
    wall, rss, _ = timed([ETOM_KG, "load", data, "--store", str(target)], env)
    print(f"  load: {wall:.2f} s, peak RSS {rss:.0f} MB")
    res = interleave({
        "embedded": lambda: timed(QUERY, env),
        "store": lambda: timed([*QUERY, "--store", str(target)], env),
        "import rdflib": lambda: timed([PY, "-c", "import rdflib"], env),
    }, {"embedded": runs, "store": runs, "import rdflib": runs})
    for k, v in res.items():
        print(f"  query ({k:13}) {summary([w for w, _, _ in v])} s   peak RSS {max(r for _, r, _ in v):.1f} MB")
    return {"load_s": wall, "load_rss_mb": rss, "store_query_s": statistics.median(w for w, _, _ in res["store"])}


def bench_load(n: int, runs: int, workdir: Path, env: dict) -> dict:
    print(f"\n## 5a. etom-kg load of {n:,} triples vs the sum of its parts (parse + reason + bulk load of the output)")
    data = str(make_input(n, workdir))
    target = workdir / f"load-{n}"

    def load():
        shutil.rmtree(target, ignore_errors=True)
        return timed([ETOM_KG, "load", data, "--store", str(target)], env)

    res = interleave({"load": load, "parts": lambda: worker("load-parts", data, str(workdir / f"parts-{n}"))},
                     {"load": runs, "parts": runs})
    walls = [w for w, _, _ in res["load"]]
    print(f"  etom-kg load      {summary(walls)} s   peak RSS {max(r for _, r, _ in res['load']):.0f} MB")
    for key in ("parse", "reason", "bulk_load", "seconds"):
        print(f"  parts: {key:10} {summary([r[key] for r in res['parts']])} s")
    r = statistics.median(walls) / statistics.median([p["seconds"] for p in res["parts"]])
    print(f"  RATIO load / (parse + reason + bulk load) = {r:.2f}x   (target <= 1.2x)")
    return {"load_ratio": r}


def bench_push(n: int, runs: int, workdir: Path, env: dict) -> dict:
    print(f"\n## 5b. push of the reasoned {n:,}-triple store to a local Oxigraph server vs curl (Graph Store PUT)")
    import socket

    data = str(make_input(n, workdir))
    target = workdir / f"push-store-{n}"
    if not target.exists():
        timed([ETOM_KG, "load", data, "--store", str(target)], env)
    dump = workdir / f"push-store-{n}.nt"
    subprocess.run([PY, "-c", "import pyoxigraph as ox, sys; ox.Store.read_only(sys.argv[1]).dump(sys.argv[2], "
                    "format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())", str(target), str(dump)], check=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server_dir = workdir / "oxigraph-server"
    shutil.rmtree(server_dir, ignore_errors=True)
    server = subprocess.Popen([str(Path(PY).with_name("oxigraph")), "serve", "--location", str(server_dir),
                               "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            if subprocess.run(["curl", "-s", "-o", "/dev/null", f"{base}/query?query=ASK%7B%7D"]).returncode == 0:
                break
            time.sleep(0.1)
        curl = ["curl", "-s", "-f", "-X", "PUT", "--data-binary", f"@{dump}", "-H", "Content-Type: application/n-triples",
                f"{base}/store?graph=urn:bench:curl"]
        res = interleave({"push": lambda: worker("push", str(target), f"{base}/query"),
                          "curl": lambda: {"seconds": timed(curl)[0]}}, {"push": runs, "curl": runs})
    finally:
        server.terminate()
        server.wait(timeout=60)
    for k, v in res.items():
        print(f"  {k:5} {summary([r['seconds'] for r in v])} s")
    print(f"  push replaced the target with: {', '.join(sorted({r['swap'] for r in res['push']}))}")
    r = ratio([x["seconds"] for x in res["push"]], [x["seconds"] for x in res["curl"]])
    print(f"  RATIO push / curl = {r:.2f}x   (target <= 1.5x)")
    return {"push_ratio": r}


def bench_linked(n: int, runs: int, workdir: Path) -> dict:
    print(f"\n## 6. OWL 2 RL beyond the common vocabulary: a linked landscape (keys, functional owner, sameAs, hasValue), {n:,} triples")
    path = workdir / f"linked-{n}.nt"
    if not path.exists():
        from etom_kg.store import default_store
        from etom_kg.synthetic import level3_processes, linked_landscape

        path.write_text(linked_landscape(n, level3_processes(default_store(reasoned=False).store)), encoding="utf-8")
    ttl = path.with_suffix(".ttl")
    if not ttl.exists():
        ttl.symlink_to(path.name)
    res = interleave({"rules": lambda: worker("materialize-rules", str(path)),
                      "reasonable": lambda: worker("materialize-reasonable", str(ttl))}, {"rules": runs, "reasonable": runs})
    print_materialisations(res)
    r = ratio([x["seconds"] for x in res["reasonable"]], [x["seconds"] for x in res["rules"]])
    print(f"  RATIO reasonable / rules = {r:.2f}x (no fallback to owlrl: the compiled rules cover these constructs)")
    return {"linked_reasonable_ratio": r}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10^4 / 10^5 sizes and fewer runs")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--owlrl-runs", type=int, default=None)
    ap.add_argument("--large-runs", type=int, default=None, help="repetitions at the large size (default 2)")
    ap.add_argument("--push-size", type=int, default=None, help="input triples for the push comparison (default 10^5)")
    sections = ("cli", "words", "owlrl", "reasonable", "entailments", "linked", "store", "load", "push")
    ap.add_argument("--only", choices=sections, action="append")
    ap.add_argument("--workdir", default=None, help="where generated inputs are kept between runs")
    args = ap.parse_args()
    small, large = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    runs = args.runs or (3 if args.quick else 5)
    owlrl_runs = args.owlrl_runs or (1 if args.quick else 3)
    large_runs = args.large_runs or (1 if args.quick else 2)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="etom-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, ETOM_KG_CACHE_DIR=str(workdir / "cache"))
    print(f"# etom-kg benchmarks  ({os.cpu_count()} cores, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M')})")
    only = set(args.only or sections)
    results = {}
    if "cli" in only:
        results.update(bench_cli(max(runs, 10), env))
    if "words" in only:
        results.update(bench_words(max(runs, 15), env))
    if "owlrl" in only:
        results.update(bench_owlrl(small, runs, owlrl_runs, workdir))
    if "reasonable" in only:
        results.update(bench_reasonable(small, large, runs, large_runs, workdir))
    if "entailments" in only:
        results.update(bench_entailments(small // 10, workdir))
    if "linked" in only:
        results.update(bench_linked(small, min(runs, 3), workdir))
    if "store" in only:
        results.update(bench_store(large, runs, workdir, env))
    if "load" in only:
        results.update(bench_load(large, large_runs, workdir, env))
    if "push" in only:
        results.update(bench_push(args.push_size or small, min(runs, 3), workdir, env))
    print("\n# summary")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
