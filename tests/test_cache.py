"""The reasoned embedded graph is prepared once and cached by content hash."""

import pyoxigraph as ox

from etom_kg import store as store_module


def test_cache_is_written_then_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("ETOM_KG_CACHE_DIR", str(tmp_path))
    path = store_module.reasoned_cache_path()
    assert path.parent == tmp_path and not path.exists()
    first = store_module.default_store()
    assert path.is_file()
    stamp = path.stat().st_mtime_ns
    second = store_module.default_store()
    assert path.stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert len(first) == len(second) > 6000


def test_cache_key_follows_the_ontology_and_the_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("ETOM_KG_CACHE_DIR", str(tmp_path))
    key = store_module.cache_key()
    import etom_kg.resources as resources

    real_bytes, real_file = resources.ontology_bytes, resources.package_file
    monkeypatch.setattr(resources, "ontology_bytes", lambda name="etom.ttl": real_bytes(name) + b"\n# edited\n")
    edited_ontology = store_module.cache_key()
    monkeypatch.setattr(resources, "ontology_bytes", real_bytes)

    class Edited:
        def __init__(self, inner):
            self.inner = inner

        def read_bytes(self):
            return self.inner.read_bytes() + b"\n# a rule changed\n"

    monkeypatch.setattr(resources, "package_file", lambda name: Edited(real_file(name)))
    edited_rules = store_module.cache_key()
    assert len({key, edited_ontology, edited_rules}) == 3


def test_edited_ontology_is_reasoned_again(tmp_path, monkeypatch):
    monkeypatch.setenv("ETOM_KG_CACHE_DIR", str(tmp_path))
    store_module.default_store()
    import etom_kg.resources as resources

    real = resources.ontology_bytes
    extra = (b"\n<https://w3id.org/etom-kg/process/Extra> "
             b"<https://w3id.org/etom-kg/ontology#directlyPartOf> <https://w3id.org/etom-kg/process/ProblemHandling> .\n")
    monkeypatch.setattr(resources, "ontology_bytes", lambda name="etom.ttl": real(name) + extra)
    backend = store_module.default_store()
    assert len(list(tmp_path.iterdir())) == 2  # a second cache file for the new content
    assert backend.store.query(
        "ASK { <https://w3id.org/etom-kg/process/Extra> a <https://w3id.org/etom-kg/ontology#Level3Process> }")


def test_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("ETOM_KG_CACHE_DIR", str(tmp_path))
    path = store_module.reasoned_cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"<broken")
    backend = store_module.default_store()
    assert len(backend) > 6000
    assert ox.Store().load(path=str(path), format=ox.RdfFormat.N_TRIPLES) is None  # valid again


def test_cache_can_be_switched_off_and_unwritable_dirs_are_tolerated(tmp_path, monkeypatch):
    monkeypatch.setenv("ETOM_KG_CACHE_DIR", "off")
    assert store_module.reasoned_cache_path() is None
    assert len(store_module.default_store()) > 6000
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ETOM_KG_CACHE_DIR", str(blocker / "cache"))
    assert len(store_module.default_store()) > 6000


# ---- issue 13 D2: a damaged cache must never answer, and must not hang a query


def _complaint_rows() -> int:
    from etom_kg.api import query

    return len(query("processes-for-topic", topic="complaints").rows)


def _fresh_answer(monkeypatch) -> int:
    monkeypatch.setenv("ETOM_KG_CACHE_DIR", "off")
    rows = _complaint_rows()
    assert rows > 0
    return rows


def _built_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ETOM_KG_CACHE_DIR", str(tmp_path))
    store_module.default_store()
    path = store_module.reasoned_cache_path()
    assert path.is_file()
    return path


def test_d2_truncated_cache_is_rebuilt(tmp_path, monkeypatch):
    expected = _fresh_answer(monkeypatch)
    path = _built_cache(tmp_path, monkeypatch)
    data = path.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 1  # still valid N-Triples, half the triples
    path.write_bytes(data[:cut])
    assert _complaint_rows() == expected
    count = data.split(b" crc32=", 1)[0]
    assert path.read_bytes().startswith(count + b" crc32=")  # rewritten whole


def test_d2_cache_replaced_by_other_valid_ntriples_is_rebuilt(tmp_path, monkeypatch):
    expected = _fresh_answer(monkeypatch)
    path = _built_cache(tmp_path, monkeypatch)
    path.write_bytes(b"<urn:a> <urn:b> <urn:c> .\n")
    assert _complaint_rows() == expected


def test_d2_cache_body_edited_under_its_header_is_rebuilt(tmp_path, monkeypatch):
    expected = _fresh_answer(monkeypatch)
    path = _built_cache(tmp_path, monkeypatch)
    header, body = path.read_bytes().split(b"\n", 1)
    lines = body.splitlines(keepends=True)
    kept = [line for line in lines if b"handles" not in line]
    assert len(kept) < len(lines)
    path.write_bytes(header + b"\n" + b"".join(kept) + lines[0] * (len(lines) - len(kept)))  # same line count
    assert _complaint_rows() == expected


def test_d2_cache_records_its_triple_count_and_checksum(tmp_path, monkeypatch):
    path = _built_cache(tmp_path, monkeypatch)
    header, rest = path.read_bytes().split(b"\n", 1)
    triples = sum(1 for line in rest.splitlines() if not line.startswith(b"#"))
    assert header.startswith(b"# etom-kg reasoned graph v2 triples=%d crc32=" % triples)
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES)  # still plain N-Triples
    assert len(store) == triples == len(store_module.default_store())


def test_d2_fifo_at_the_cache_path_does_not_hang_a_query(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, ETOM_KG_CACHE_DIR=str(tmp_path))
    code = "from etom_kg import store; print(store.reasoned_cache_path())"
    path = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip()
    os.mkfifo(path)
    etom_kg = [sys.executable, "-m", "etom_kg", "query", "processes-for-topic", "--param", "topic=complaints", "--format", "csv"]
    done = subprocess.run(etom_kg, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    off = subprocess.run(etom_kg, env=dict(env, ETOM_KG_CACHE_DIR="off"), capture_output=True, text=True, timeout=120)
    assert done.stdout == off.stdout
    import stat

    assert stat.S_ISREG(os.stat(path).st_mode)  # the FIFO was replaced by a verified cache
