"""The reasoned embedded graph is prepared once and cached by content hash."""

import pytest
import pyoxigraph as ox

from etom_kg import store as store_module


def test_cache_is_written_then_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("ETOM_KG_CACHE_DIR", str(tmp_path))
    path = store_module.reasoned_cache_path()
    assert path.parent == tmp_path and not path.exists()
    first = store_module.default_store()
    assert not path.exists()  # made by the first query, not by opening the store
    assert len(first) > 6000
    assert path.is_file()
    stamp = path.stat().st_mtime_ns
    second = store_module.default_store()
    assert path.stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert len(first) == len(second) > 6000


def _copy_of(monkeypatch, tmp_path, attr: str):
    """Point etom_kg.resources.<attr> (ontology_file or package_file) at copies in
    ``tmp_path``, as an edited install would have them; returns the copies' folder."""
    import shutil

    import etom_kg.resources as resources

    real = getattr(resources, attr)
    copies = tmp_path / attr
    copies.mkdir()

    def copy(*args):
        source = real(*args)
        target = copies / (args[0].replace("/", "_") if args else source.name)
        if not target.exists():
            shutil.copyfile(source, target)
        return resources.DataFile(str(target))

    monkeypatch.setattr(resources, attr, copy)
    return copies


def test_cache_key_follows_the_ontology_and_the_rules(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("ETOM_KG_CACHE_DIR", str(tmp_path / "cache"))
    key = store_module.cache_key()
    ontology = _copy_of(monkeypatch, tmp_path, "ontology_file")
    copied = store_module.cache_key()  # another file: another key
    assert copied == store_module.cache_key()  # the same file, unchanged: the same key
    target = next(ontology.iterdir())
    with open(target, "ab") as f:
        f.write(b"\n# edited\n")
    edited_ontology = store_module.cache_key()
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # the same size, later: edited again
    touched = store_module.cache_key()
    modules = _copy_of(monkeypatch, tmp_path, "package_file")
    store_module.cache_key()
    rules = modules / "rules.py"
    rules.write_bytes(rules.read_bytes() + b"\n# a rule changed\n")
    edited_rules = store_module.cache_key()
    assert len({key, copied, edited_ontology, touched, edited_rules}) == 5


def test_edited_ontology_is_reasoned_again(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ETOM_KG_CACHE_DIR", str(cache))
    len(store_module.default_store())
    ontology = _copy_of(monkeypatch, tmp_path, "ontology_file")
    store_module.cache_key()
    extra = (b"\n<https://w3id.org/etom-kg/process/Extra> "
             b"<https://w3id.org/etom-kg/ontology#directlyPartOf> <https://w3id.org/etom-kg/process/ProblemHandling> .\n")
    with open(next(ontology.iterdir()), "ab") as f:
        f.write(extra)
    backend = store_module.default_store()
    assert backend.store.query(
        "ASK { <https://w3id.org/etom-kg/process/Extra> a <https://w3id.org/etom-kg/ontology#Level3Process> }")
    assert len(list(cache.iterdir())) == 2  # a second cache file for the new content


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
    len(store_module.default_store())
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
    count = data.split(b" index-bytes=", 1)[0]
    assert path.read_bytes().startswith(count + b" index-bytes=")  # rewritten whole


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


def test_d2_cache_records_its_triple_count_and_checksums(tmp_path, monkeypatch):
    import zlib

    path = _built_cache(tmp_path, monkeypatch)
    data = path.read_bytes()
    header, rest = data.split(b"\n", 1)
    triples = sum(1 for line in rest.splitlines() if not line.startswith(b"#"))
    fields = dict(f.split(b"=") for f in header.split(b" ")[5:])
    assert header.startswith(b"# etom-kg reasoned graph v3 triples=%d index-bytes=" % triples)
    index = rest[: int(fields[b"index-bytes"])]
    assert zlib.crc32(index) == int(fields[b"index-crc32"], 16)
    body = rest[len(index):]
    offset = 0
    for line in index.decode().splitlines():  # every segment: its triple count, size and checksum
        count, size, crc, _ = line[len("# segment "):].split(" ", 3)
        segment = body[offset: offset + int(size)]
        assert segment.count(b"\n") == int(count) and zlib.crc32(segment) == int(crc, 16)
        offset += int(size)
    assert offset == len(body)
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES)  # still plain N-Triples
    assert len(store) == triples == len(store_module.default_store())


def test_d2_damage_met_after_the_first_query_is_reasoned_again(tmp_path, monkeypatch):
    """A segment is checked when it is read: damage in one that the first query does not
    read is met by a later query, which then answers from a graph reasoned again (and the
    cache is written again)."""
    from etom_kg.api import query, sparql

    path = _built_cache(tmp_path, monkeypatch)
    data = path.read_bytes()
    at = data.index(b"@es .\n", data.index(b"core#definition>"))  # a Spanish definition, same size
    damaged = data[:at - 2] + (b"X" if data[at - 2: at - 1] != b"X" else b"Y") + data[at - 1:]
    assert len(damaged) == len(data)
    path.write_bytes(damaged)
    backend = store_module.default_store()
    assert query("processes-for-topic", backend, topic="complaints").rows  # reads no definition
    counted = sparql("SELECT (COUNT(*) AS ?n) WHERE { ?p <http://www.w3.org/2004/02/skos/core#definition> ?d }", backend)
    monkeypatch.setenv("ETOM_KG_CACHE_DIR", "off")
    fresh = sparql("SELECT (COUNT(*) AS ?n) WHERE { ?p <http://www.w3.org/2004/02/skos/core#definition> ?d }")
    assert counted.rows == fresh.rows
    assert path.read_bytes() != damaged  # written again


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


def test_names_cache_is_decoded_in_parts_and_a_damaged_part_is_rebuilt(tmp_path, monkeypatch):
    """The names table of a class is cached one JSON text a line; an exact match decodes
    only the parts it uses, and a part that does not decode rebuilds the index in memory
    (same answers) and removes the file, which the next process writes again."""
    from etom_kg import search
    from etom_kg.api import query

    monkeypatch.setenv("ETOM_KG_CACHE_DIR", str(tmp_path))
    expected = {"complaints": query("processes-for-topic", topic="complaints").rows,
                "complants handlng": query("processes-for-topic", topic="complants handlng").rows}
    assert all(expected.values())
    [names] = tmp_path.glob("*-names-*.json")  # the responsibilities' table
    lines = names.read_text(encoding="utf-8").split("\n")
    assert lines[0] == search.NAMES_CACHE_FORMAT and len(lines) == len(search.Resolver.STATE) + 3

    backend = store_module.default_store()
    resolver = search.resolver_for(backend, "etom:Responsibility")
    assert resolver.rank("complaints")[0].tier in ("exact", "synonym")
    assert {"by_key", "by_iri"} <= set(vars(resolver)) and "stem_index" not in vars(resolver)

    lines[2 + search.Resolver.STATE.index("stem_index")] = '{"damaged": }'
    names.write_text("\n".join(lines), encoding="utf-8")
    for topic, rows in expected.items():
        assert query("processes-for-topic", topic=topic).rows == rows
    assert not names.exists()  # removed when the damaged part was met
    assert query("processes-for-topic", topic="complaints").rows == expected["complaints"]
    assert names.is_file()  # and written again


@pytest.mark.parametrize("edit", ["negative size", "zero buckets", "bucket out of range", "same key twice",
                                  "not a number", "two bucket counts", "sizes moved between segments"])
def test_d2_an_index_that_lies_under_a_valid_checksum_is_never_used(tmp_path, monkeypatch, edit):
    """Whoever rewrites the index can fix its checksum too: the index is also checked for
    what it claims (sizes, counts, bucket numbers), and each segment's own checksum is
    checked when it is read, so such a file is rebuilt, never answered from."""
    import re
    import zlib

    from etom_kg import cache

    expected = _fresh_answer(monkeypatch)
    path = _built_cache(tmp_path, monkeypatch)
    header, rest = path.read_bytes().split(b"\n", 1)
    size = int(re.search(rb"index-bytes=(\d+)", header).group(1))
    lines, body = rest[:size].decode().splitlines(), rest[size:]
    bucketed = next(i for i, line in enumerate(lines) if line.count(" ") == 6)
    if edit == "negative size":
        fields = lines[0].split(" ")
        fields[3] = "-" + fields[3]
        lines[0] = " ".join(fields)
    elif edit == "zero buckets":
        lines[bucketed] = re.sub(r" \d+/\d+$", " 0/0", lines[bucketed])
    elif edit == "bucket out of range":
        lines[bucketed] = re.sub(r" \d+/(\d+)$", r" 99/\1", lines[bucketed])
    elif edit == "two bucket counts":
        lines[bucketed] = re.sub(r" (\d+)/(\d+)$", lambda m: f" {m[1]}/{int(m[2]) * 2}", lines[bucketed])
    elif edit == "same key twice":
        lines[1] = " ".join(lines[1].split(" ")[:5] + [lines[0].split(" ", 5)[5]])
    elif edit == "not a number":
        lines[0] = lines[0].replace("# segment ", "# segment x", 1)
    else:  # sizes add up, but each segment's bytes are not what its checksum says
        a, b = lines[0].split(" "), lines[1].split(" ")
        a[3], b[3] = str(int(a[3]) + 1), str(int(b[3]) - 1)
        lines[0], lines[1] = " ".join(a), " ".join(b)
    index = ("\n".join(lines) + "\n").encode()
    head = re.sub(rb"index-bytes=\d+ index-crc32=[0-9a-f]+",
                  b"index-bytes=%d index-crc32=%08x" % (len(index), zlib.crc32(index)), header)
    path.write_bytes(head + b"\n" + index + body)
    graph = cache.open_cache(path)
    if edit != "sizes moved between segments":
        assert graph is None
    else:
        with pytest.raises(cache.CacheError):
            graph.load(ox.Store())
        graph.close()
    assert _complaint_rows() == expected
