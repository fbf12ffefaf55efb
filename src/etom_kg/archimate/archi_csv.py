"""Archi's CSV format: ``elements.csv``, ``relations.csv``, ``properties.csv``.

Headers are Archi's, every field is quoted, rows are in the model's (deterministic) order,
UTF-8 with an optional byte-order mark. CSV holds one name and one documentation per
concept: the English ones go in the columns, the others become properties ``name:es``,
``documentation:es``, and the model row carries ``Language`` = ``en`` so a reader knows
which language the columns are in.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..errors import InputError
from .model import PROP_LANGUAGE, Element, Model, Relationship, Text, text_in

ELEMENTS_HEADER = ("ID", "Type", "Name", "Documentation", "Specialization")
RELATIONS_HEADER = ("ID", "Type", "Name", "Documentation", "Source", "Target", "Specialization")
PROPERTIES_HEADER = ("ID", "Key", "Value")
LEGACY_ELEMENTS_HEADER = ELEMENTS_HEADER[:4]
FILES = ("elements", "relations", "properties")
ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")
PRIMARY = "en"
BOM = "\ufeff"
VALUE_SEPARATOR = " | "  # several values of one property (e.g. "Replaced by") in one cell


def to_files(model: Model, prefix: str = "", bom: bool = False) -> dict:
    """{file name: bytes}; ``prefix`` is prepended to each of the three file names."""
    if prefix and not re.fullmatch(r"[A-Za-z0-9._-]+", prefix):
        raise InputError(f"Archi CSV prefix {prefix!r}: use letters, digits, '.', '_' or '-' only")
    elements = [ELEMENTS_HEADER, (model.id, "ArchimateModel", _name(model.names), _doc(model.documentation), "")]
    properties = [PROPERTIES_HEADER, (model.id, PROP_LANGUAGE, PRIMARY), *_concept_properties(model)]
    for e in model.elements:
        elements.append((e.id, e.type, _name(e.names), _doc(e.documentation), ""))
        properties += _concept_properties(e)
    relations = [RELATIONS_HEADER]
    for r in model.relationships:
        relations.append((r.id, f"{r.type}Relationship", _name(r.names), _doc(r.documentation), r.source, r.target, ""))
        properties += _concept_properties(r)
    for rows in (elements, relations, properties):
        for row in rows[1:]:
            if not ID_PATTERN.match(row[0]):  # pragma: no cover - model ids are built safe
                raise InputError(f"Archi CSV id {row[0]!r} does not match [A-Za-z0-9._-]+")
    return {f"{prefix}{name}.csv": _encode(rows, bom) for name, rows in zip(FILES, (elements, relations, properties))}


def _name(texts) -> str:
    # Archi turns newlines in names into spaces on import; do it here so a round trip agrees.
    return " ".join(text_in(texts, PRIMARY).split())


def _doc(texts) -> str:
    return text_in(texts, PRIMARY)


def _concept_properties(concept) -> list:
    # One row per property name: Archi keeps only the last of several rows with one name.
    joined: dict = {}
    for k, v in concept.properties:
        joined.setdefault(k, []).append(v)
    rows = [(concept.id, k, VALUE_SEPARATOR.join(vs)) for k, vs in joined.items()]
    primary_name = _primary_lang(concept.names)
    primary_doc = _primary_lang(concept.documentation)
    rows += [(concept.id, f"name:{t.lang}", t.value) for t in concept.names if t.lang and t.lang != primary_name]
    rows += [(concept.id, f"documentation:{t.lang}", t.value) for t in concept.documentation
             if t.lang and t.lang != primary_doc]
    return rows


def _primary_lang(texts) -> str | None:
    value = text_in(texts, PRIMARY)
    return next((t.lang for t in texts if t.value == value), None)


def _encode(rows, bom: bool) -> bytes:
    from ..results import safe_cell

    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows([tuple(safe_cell(c) for c in row) for row in rows])
    return ((BOM if bom else "") + buffer.getvalue()).encode("utf-8")


# --------------------------------------------------------------------------- reading


def csv_files(path) -> dict:
    """{"elements"|"relations"|"properties": Path} for a directory or any one of the files;
    the files share a prefix, as Archi requires ("<prefix>elements.csv")."""
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("*elements.csv"))
        if len(found) != 1:
            raise InputError(f"{path}: expected exactly one *elements.csv, found {len(found)}")
        path = found[0]
    name = path.name
    for kind in FILES:
        if name.lower().endswith(f"{kind}.csv"):
            prefix = name[: -len(f"{kind}.csv")]
            return {k: path.with_name(f"{prefix}{k}.csv") for k in FILES}
    raise InputError(f"{path}: an Archi CSV file name ends with elements.csv, relations.csv or properties.csv")


def read(path) -> Model:
    """Read Archi CSV files (the three, or just elements.csv) into a Model with line numbers."""
    files = csv_files(path)
    if not files["elements"].is_file():
        raise InputError(f"{files['elements']}: no such file")
    props: dict = {}
    if files["properties"].is_file():
        for line, row in _rows(files["properties"], (PROPERTIES_HEADER,)):
            key, value = row["key"], row["value"]
            translation = key.startswith(("name:", "documentation:"))
            for part in [value] if translation else value.split(VALUE_SEPARATOR):
                props.setdefault(row["id"], []).append((key, part, line))
    model_id, model_names, model_docs, language = "", (), (), ""
    elements = []
    for line, row in _rows(files["elements"], (ELEMENTS_HEADER, LEGACY_ELEMENTS_HEADER)):
        if row["type"] == "ArchimateModel":
            model_id = row["id"]
            language = next((v for k, v, _ in props.get(model_id, []) if k == PROP_LANGUAGE), "")
            model_names, model_docs = _column_texts(row, language)
            model_names, model_docs, _ = _split_translations(props.get(model_id, []), model_names, model_docs)
            continue
        names, docs = _column_texts(row, language)
        names, docs, rest = _split_translations(props.get(row["id"], []), names, docs)
        elements.append(Element(row["id"], row["type"], names, docs, rest, line=line))
    relationships = []
    if files["relations"].is_file():
        for line, row in _rows(files["relations"], (RELATIONS_HEADER,)):
            names, docs = _column_texts(row, language)
            names, docs, rest = _split_translations(props.get(row["id"], []), names, docs)
            kind = row["type"][: -len("Relationship")] if row["type"].endswith("Relationship") else row["type"]
            relationships.append(Relationship(row["id"], kind, row["source"], row["target"], names, docs, rest, line=line))
    model_props = _split_translations([p for p in props.get(model_id, []) if p[0] != PROP_LANGUAGE], (), ())[2]
    return Model(model_id, model_names, model_docs, tuple(elements), tuple(relationships), (), model_props)


def _column_texts(row, language: str):
    names = (Text(language, row["name"]),) if row.get("name") else ()
    docs = (Text(language, row["documentation"]),) if row.get("documentation") else ()
    return names, docs


def _split_translations(props, names, docs):
    names, docs, rest = list(names), list(docs), []
    for key, value, _line in props:
        if key.startswith("name:"):
            names.append(Text(key[5:], value))
        elif key.startswith("documentation:"):
            docs.append(Text(key[14:], value))
        else:
            rest.append((key, value))
    return tuple(names), tuple(docs), tuple(rest)


def read_text(path: Path) -> str:
    """A UTF-8 text file (byte-order mark allowed), or an InputError naming the file."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None


def numbered_records(text: str, delimiter: str, where: str = "CSV"):
    """(line where the record starts, fields) for each CSV record; quoted newlines count.
    Cells that :func:`etom_kg.results.safe_cell` protected against formula injection are
    read back as they were. A field over csv's limit (128 KiB) is an InputError."""
    from ..results import unsafe_cell

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise InputError(f"{where}:{previous + 1}: malformed CSV: {e}") from None
        yield previous + 1, [unsafe_cell(c) for c in record]
        previous = reader.line_num


def _rows(path: Path, headers):
    """(line, {lower-case header: value}) per record; a wrong header or field count is an
    error naming the file and line, as in Archi ("Incorrect record size")."""
    text = read_text(path)
    header = None
    for start, record in numbered_records(text, _delimiter(text.split("\n", 1)[0]), str(path)):
        if not record or (record[0].startswith("#") and header is not None):
            continue
        if header is None:
            header = tuple(h.strip() for h in record)
            if not any(tuple(h.lower() for h in header) == tuple(x.lower() for x in expected) for expected in headers):
                raise InputError(f"{path}:{start}: header {list(header)} is not Archi's; expected "
                                 + " or ".join(str(list(h)) for h in headers))
            keys = [h.lower() for h in header]
            continue
        if len(record) != len(header):
            raise InputError(f"{path}:{start}: {len(record)} fields, the header has {len(header)}")
        yield start, dict(zip(keys, record))
    if header is None:
        raise InputError(f"{path}: empty file (no header)")


def _delimiter(first_line: str) -> str:
    # Archi's rule: comma, then semicolon, then tab, whichever the header uses.
    for candidate in (",", ";", "\t"):
        if candidate in first_line:
            return candidate
    return ","
