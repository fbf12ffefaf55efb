"""The stored competency queries as test cases, and how remote and local answers are compared.

Used by test_remote_oxigraph.py and test_remote_virtuoso.py: every query of the catalogue
runs with example parameters (and with its optional switches turned on), on the embedded
store and on the server, and the answers must be equal as sets of rows.
"""

from __future__ import annotations

import re

from etom_kg.api import run_stored
from etom_kg.queries import catalog

# Example values for parameters; the first one is used when a query needs the parameter.
EXAMPLES = {
    "process": ("1.1.1.6", "Customer Relationship Management"),
    "topic": ("complaints", "reclamaciones"),
    "text": ("problem",),
    "vertical": ("Assurance",),
    "horizontal": ("1.1.1",),
    "type": ("any", "vertical"),
    "channel": ("telephone", "teléfono"),
    "domain": ("Customer Domain", "1.5"),
    "api": ("TMF622", "trouble ticket api"),
    "block": ("CCM", "Production"),  # an accented name hits Virtuoso 7.2's byte-wise LCASE (see topic-index)
    "flow": ("Trouble Ticket-to-Solution", "Del Pedido al Pago"),
}
SWITCHES = ("include_deprecated", "direct_only", "include_parts")  # booleans worth running as true too


def catalogue_cases() -> list[tuple[str, dict]]:
    """(query id, parameters) for every competency query: required ones filled in, then
    each alternative example value and each boolean switch turned on, one at a time."""
    cases = []
    for q in catalog("cq"):
        names = {p.name for p in q.params}
        missing = [p.name for p in q.params if p.required and p.name not in EXAMPLES]
        assert not missing, f"add example values for {missing} of query {q.id!r} to EXAMPLES in {__file__}"
        base = {p.name: EXAMPLES[p.name][0] for p in q.params if p.required}
        cases.append((q.id, base))
        for name in sorted(names & set(EXAMPLES)):
            for value in EXAMPLES[name][1:]:
                cases.append((q.id, {**base, name: value}))
        for name in SWITCHES:
            if name in names:
                cases.append((q.id, {**base, name: "true"}))
    return cases


def case_id(case) -> str:
    qid, params = case
    return qid + "".join(f"[{k}={v}]" for k, v in sorted(params.items()))


# SPARQL 1.1 leaves the order of GROUP_CONCAT unspecified (section 18.5.1.7), and engines do
# differ, so a GROUP_CONCAT column is compared as the sorted list of its parts. Nothing else
# is relaxed.
_GROUP_CONCAT = re.compile(
    r'GROUP_CONCAT\s*\((?:[^()"]|"(?:[^"\\]|\\.)*"|\([^()]*\))*?'
    r'(?:;\s*separator\s*=\s*"((?:[^"\\]|\\.)*)")?\s*\)\s*AS\s+\?(\w+)',
    re.IGNORECASE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'"}


def group_concat_columns(text: str) -> dict[str, str]:
    """{column: separator} for the columns a query builds with GROUP_CONCAT."""
    out = {}
    for separator, name in _GROUP_CONCAT.findall(text):
        out[name] = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), separator) if separator else " "
    return out


def comparable(result, query_text: str) -> list[tuple]:
    """Result.comparable(), with GROUP_CONCAT columns made order-insensitive."""
    concat = group_concat_columns(query_text)
    if not concat:
        return result.comparable()
    indexes = {result.variables.index(v): sep for v, sep in concat.items() if v in result.variables}
    rows = []
    for row in result.comparable():
        row = list(row)
        for i, sep in indexes.items():
            kind, value, datatype, lang = row[i]
            if kind == "literal":
                row[i] = (kind, sep.join(sorted(value.split(sep))), datatype, lang)
        rows.append(tuple(row))
    return sorted(rows)


def differences(local, remote, query_text: str, limit: int = 3) -> str:
    """A short description of how two answers differ ('' when they are equal)."""
    a, b = comparable(local, query_text), comparable(remote, query_text)
    if a == b and local.boolean == remote.boolean:
        return ""
    only_local = [r for r in a if r not in b][:limit]
    only_remote = [r for r in b if r not in a][:limit]
    return (
        f"local {len(a)} rows, remote {len(b)} rows\n  only local: {only_local}\n  only remote: {only_remote}"
    )


def assert_same_answers(case, remote, local) -> None:
    """Run one catalogue case on both backends; the answers must be equal."""
    qid, params = case
    q = catalog("cq").get(qid)
    a, b = run_stored(q, local, params), run_stored(q, remote, params)
    assert a.variables == b.variables
    problem = differences(a, b, q.text)
    assert not problem, problem

