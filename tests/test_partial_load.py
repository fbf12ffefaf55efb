"""A cold query parses only the cached segments of the predicates it reads
(etom_kg.predicates, etom_kg.store.EmbeddedBackend): its answers must be the full graph's."""

import pytest

from etom_kg import cache
from etom_kg import store as store_module
from etom_kg.api import bindings_for
from etom_kg.predicates import RDF_TYPE, query_predicates
from etom_kg.queries import catalog
from remote_catalogue import EXAMPLES  # the example values of every other parameter

# Values for the required parameters, and for optional ones whose default hides rows.
PARAMS = {
    "process": ["1.1.1.6", "Customer Relationship Management", "1.1.3"],
    "topic": ["complaints", "reclamaciones", "billing"],
    "vertical": ["Assurance", "Fulfillment"],
    "horizontal": ["Customer Relationship Management"],
    "text": ["problem", "1.1.1.6"],
    "domain": ["Customer Domain", "1.5"],
    "include_deprecated": [False, True],
    "direct_only": [False, True],
}


def _cases():
    for folder in ("cq", "reports", "checks"):
        for q in catalog(folder):
            variants = [{}]
            for p in q.params:
                values = PARAMS.get(p.name) or list(EXAMPLES.get(p.name, ()))
                if values:
                    variants = [dict(v, **{p.name: x}) for v in variants for x in values]
                elif p.required:
                    raise AssertionError(f"no test value for the required parameter {p.name} of {q.id}")
            for params in variants[:6]:
                yield pytest.param(q, params, id=f"{q.id}-{'-'.join(map(str, params.values())) or 'default'}")


@pytest.fixture(scope="module")
def cached_file(tmp_path_factory):
    import pyoxigraph as ox

    path = tmp_path_factory.mktemp("partial") / "reasoned.nt"
    cache.save(path, store_module.default_store().store)
    full = ox.Store()
    assert cache.load(path, full)  # the whole file, as before segments existed
    return path, store_module.OxigraphBackend(full)


@pytest.mark.parametrize("q,params", list(_cases()))
def test_partial_graph_answers_like_the_full_graph(cached_file, q, params):
    path, full = cached_file
    partial = store_module.EmbeddedBackend(cache.open_cache(path))
    bindings = bindings_for(q, params)
    expected = full.run(q.text, bindings)
    got = partial.run(q.text, bindings)
    assert got.variables == expected.variables
    assert sorted(map(repr, got.rows)) == sorted(map(repr, expected.rows))
    assert got.boolean == expected.boolean
    if query_predicates(q.text) is not None:
        assert len(partial._store) < len(full.store)  # really partial


def test_processes_for_topic_reads_a_fraction_of_the_graph(cached_file):
    path, full = cached_file
    partial = store_module.EmbeddedBackend(cache.open_cache(path))
    q = catalog("cq").get("processes-for-topic")
    assert len(partial.run(q.text, bindings_for(q, {"topic": "complaints"})).rows) > 0
    assert len(partial._store) < 0.6 * len(full.store)
    assert len(partial) == len(full.store)  # len() and .store parse the rest


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { ?s ?p ?o }",
    "PREFIX e: <urn:e#> SELECT * WHERE { ?s e:a ?o ; ?p ?x }",
    "PREFIX e: <urn:e#> SELECT * WHERE { ?s e:a [ ?p ?x ] }",
    "PREFIX e: <urn:e#> SELECT * WHERE { ?s e:a/!e:b ?o }",
    "PREFIX e: <urn:e#> SELECT * WHERE { ?s !(e:a|e:b) ?o }",
    "PREFIX e: <urn:e#> SELECT * WHERE { (?a ?b) ?p ?x }",
    "PREFIX e: <urn:e#> SELECT * WHERE { { SELECT ?a ?b WHERE { ?a e:p ?b } GROUP BY ?a ?b } ?s ?p ?o }",
    "PREFIX e: <urn:e#> SELECT * WHERE { ?s e:p ?o FILTER(?o > 1) ?o ?q ?z }",
    "DESCRIBE <urn:x>",
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s <urn:p> ?o } }",
    "BASE <urn:b/> SELECT * WHERE { ?s <p> ?o }",
    "SELECT * WHERE { ?s undeclared:p ?o }",
])
def test_unsure_scans_read_everything(text):
    assert query_predicates(text) is None


@pytest.mark.parametrize("text,expected", [
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s a e:C ; e:p ?o , ?x }", {RDF_TYPE, "urn:e#C", "urn:e#p", "urn:e#"}),
    ("PREFIX e: <urn:e#> SELECT ?a ?b ?c WHERE { ?a e:p+/^e:q ?b FILTER(!BOUND(?c)) } ORDER BY ?a ?b",
     {"urn:e#p", "urn:e#q", "urn:e#"}),
    ("SELECT * WHERE { ?s <urn:p> \"?x ?y ?z\" # ?s ?p ?o\n }", {"urn:p"}),
    ("PREFIX e: <urn:e#> SELECT * WHERE { BIND(STR(?x) AS ?y) ?s e:p ?y }", {"urn:e#p", "urn:e#"}),
])
def test_scans_find_every_predicate(text, expected):
    assert query_predicates(text) == expected


def test_a_prefetched_query_answers_like_the_full_graph(cached_file):
    """run_stored starts parsing what a query reads while its words are resolved; the answer
    is the full graph's, and prefetching a graph already complete does nothing."""
    from etom_kg.api import run_stored

    path, full = cached_file
    q = catalog("cq").get("processes-for-topic")
    partial = store_module.EmbeddedBackend(cache.open_cache(path))
    started = []
    prefetch = partial.prefetch
    partial.prefetch = lambda text, prefixes=None, **kw: (started.append(text), prefetch(text, prefixes, **kw))
    got = run_stored(q, partial, {"topic": "complaints"})
    expected = full.run(q.text, bindings_for(q, {"topic": "complaints"}))
    assert started == [q.text]
    assert got.rows and sorted(map(repr, got.rows)) == sorted(map(repr, expected.rows))
    assert len(partial.store) == len(full.store)  # parses the rest
    partial.prefetch(q.text)  # nothing left to parse: returns at once
    assert partial.run(q.text, bindings_for(q, {"topic": "complaints"})).rows == got.rows


# ---- lookups by bound strings: only their buckets of the cache are parsed


@pytest.mark.parametrize("text,expected", [
    # plain `subject P ?var` forms, with object lists and ; abbreviations
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s e:k ?a , ?b ; e:l ?c }", {"urn:e#k": {"a", "b"}, "urn:e#l": {"c"}}),
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s e:k ?a FILTER(?a != 'x') OPTIONAL { ?t e:k ?b } }", {"urn:e#k": {"a", "b"}}),
    ("PREFIX e: <urn:e#> SELECT * WHERE { [ e:k ?a ] e:l ?b . }", {"urn:e#k": {"a"}, "urn:e#l": {"b"}}),
    # any other use of P: every triple of P may be read
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s e:k ?a . ?t e:k 'x' }", {}),
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s e:k ?a . ?t e:k ?b, 'x' }", {}),
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s e:k ?a . ?t e:k/e:l ?b }", {}),  # paths: not looked into
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s e:k ?a . ?t ^e:k ?b }", {}),
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s e:k ?a . ?t e:k+ ?b }", {}),
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s e:k ?a . ?t (e:k|e:l) ?b }", {}),
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s e:k ?a . ?p e:l e:k }", {}),
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s e:k ?a FILTER(?p = e:k) }", {}),
    ("PREFIX e: <urn:e#> SELECT * WHERE { ?s e:k [ e:l ?a ] }", {"urn:e#l": {"a"}}),
])
def test_scans_find_the_plain_lookups(text, expected):
    from etom_kg.predicates import scan

    iris, lookups = scan(text)
    assert iris is not None
    assert {k: set(v) for k, v in lookups.items() if k.startswith("urn:e#") and k != "urn:e#"} == expected


def test_a_bound_topic_parses_only_its_buckets_of_search_keys(cached_file):
    path, full = cached_file
    key = "https://w3id.org/etom-kg/ontology#searchKey"
    graph = cache.open_cache(path)
    buckets = [k for k in graph.keys_for([key]) if " " in k]
    assert len(buckets) >= 8  # search keys are cut into buckets
    partial = store_module.EmbeddedBackend(graph)
    q = catalog("cq").get("processes-for-topic")
    bindings = bindings_for(q, {"topic": "complaints"})
    assert partial.run(q.text, bindings).rows == full.run(q.text, bindings).rows
    pattern = (None, __import__("pyoxigraph").NamedNode(key), None, None)
    parsed, total = len(list(partial._store.quads_for_pattern(*pattern))), len(list(full.store.quads_for_pattern(*pattern)))
    assert 0 < parsed < total / 4


def test_bound_strings_find_what_the_full_graph_holds(cached_file):
    """Every string-valued predicate cut into buckets, looked up by a sample of its own
    objects (accents, quotes, new lines, language tags) and by strings it does not hold."""
    import random

    import pyoxigraph as ox

    from etom_kg.results import Term

    path, full = cached_file
    graph = cache.open_cache(path)
    cut = sorted({k.split(" ")[0] for k in graph.keys_for(None) if " " in k})
    assert len(cut) >= 4
    rng = random.Random(7)
    text = "SELECT ?s WHERE { ?s <%s> ?v }"
    for predicate in cut:
        objects = [q.object for q in full.store.quads_for_pattern(None, ox.NamedNode(predicate), None, None)]
        odd = [o for o in objects if any(c in o.value for c in '"\n\\') or not o.value.isascii()]
        sample = rng.sample(objects, 15) + odd[:10]
        partial = store_module.EmbeddedBackend(cache.open_cache(path))
        for o in sample:
            bound = {"v": Term.literal(o.value, None if o.language else o.datatype.value, o.language)}
            assert sorted(map(repr, partial.run(text % predicate, bound).rows)) == \
                sorted(map(repr, full.run(text % predicate, bound).rows)) != []
        several = {"v": [Term.literal(o.value, None, o.language) for o in sample[:5]] + [Term.literal("no such value")]}
        assert sorted(map(repr, partial.run(text % predicate, several).rows)) == \
            sorted(map(repr, full.run(text % predicate, several).rows))
        assert len(partial._store) < len(full.store)


def test_more_blank_node_segments_are_parsed_into_a_new_store(cached_file):
    """Blank-node labels are renamed on every parse: a query that needs blank-node triples
    of another predicate parses every blank-node segment again, into a new store, and a
    query still running on the old store is undisturbed."""
    path, full = cached_file
    partial = store_module.EmbeddedBackend(cache.open_cache(path))
    first = "SELECT ?r WHERE { ?r a <http://www.w3.org/2002/07/owl#Restriction> }"
    second = ("SELECT ?r ?p ?c WHERE { ?r a <http://www.w3.org/2002/07/owl#Restriction> ; "
              "<http://www.w3.org/2002/07/owl#onProperty> ?p ; <http://www.w3.org/2002/07/owl#someValuesFrom> ?c }")
    assert len(partial.run(first).rows) == len(full.run(first).rows) > 0
    old = partial._store
    before = len(old)
    got, expected = partial.run(second), full.run(second)
    assert partial._store is not old and len(old) == before
    assert len(got.rows) == len(expected.rows) > 0
    strip = lambda rows: sorted(repr(r[1:]) for r in rows)  # noqa: E731 - blank-node labels differ
    assert strip(got.rows) == strip(expected.rows)
