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
