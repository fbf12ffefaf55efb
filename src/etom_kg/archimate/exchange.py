"""The Open Group ArchiMate Model Exchange File Format (3.1): write, validate, read.

:func:`to_bytes` validates the document against ``archimate3_Diagram.xsd`` (and ``dc.xsd``
for the metadata) before returning it, so invalid output is never handed to a writer.
Validation is offline: the schemas are package data and their remote imports of
``xml.xsd`` are mapped to the local copy.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import InputError
from .model import PROPERTY_TYPES, Element, Folder, Model, Relationship, Text

NS = "http://www.opengroup.org/xsd/archimate/3.0/"
OLD_NS = "http://www.opengroup.org/xsd/archimate"  # ArchiMate 2.x, not supported
XSI = "http://www.w3.org/2001/XMLSchema-instance"
DC = "http://purl.org/dc/elements/1.1/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
LANG = f"{{{XML_NS}}}lang"
ARCHIMATE_XSD_URL = "http://www.opengroup.org/xsd/archimate/3.1/archimate3_Diagram.xsd"
DC_XSD_URL = "http://dublincore.org/schemas/xmls/qdc/2008/02/11/dc.xsd"
# One pair per namespace the document uses, as Archi writes them: a validator driven by
# xsi:schemaLocation alone (Xerces, xmlschema without a given schema) needs the DC pair
# for the dc:* metadata, which the ArchiMate schema admits with processContents="strict".
SCHEMA_LOCATION = f"{NS} {ARCHIMATE_XSD_URL} {DC} {DC_XSD_URL}"
REMOTE_XML_XSD = ("http://www.w3.org/2001/xml.xsd", "http://www.w3.org/2001/03/xml.xsd")


class ExchangeValidationError(InputError):
    """The document does not validate against the ArchiMate exchange schema."""


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


# --------------------------------------------------------------------------- writing


def to_bytes(model: Model) -> bytes:
    """The exchange document of ``model``, validated; raises ExchangeValidationError."""
    data = render(model)
    validate(data)
    return data


def render(model: Model) -> bytes:
    """Serialise without validating (see :func:`to_bytes`)."""
    root = ET.Element(_q("model"), {"identifier": model.id, f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION})
    _texts(root, "name", model.names)
    _texts(root, "documentation", model.documentation)
    definitions = _property_definitions(model)
    _properties(root, model.properties, definitions)
    if model.metadata:
        meta = ET.SubElement(root, _q("metadata"))
        ET.SubElement(meta, _q("schema")).text = "Dublin Core"
        ET.SubElement(meta, _q("schemaversion")).text = "1.1"
        for term, value in model.metadata:
            ET.SubElement(meta, f"{{{DC}}}{term}").text = value
    if model.elements:
        container = ET.SubElement(root, _q("elements"))
        for e in model.elements:
            node = ET.SubElement(container, _q("element"), {"identifier": e.id, f"{{{XSI}}}type": e.type})
            _concept_body(node, e, definitions)
    if model.relationships:
        container = ET.SubElement(root, _q("relationships"))
        for r in model.relationships:
            node = ET.SubElement(container, _q("relationship"), {
                "identifier": r.id, "source": r.source, "target": r.target, f"{{{XSI}}}type": r.type})
            _concept_body(node, r, definitions)
    if model.folders:
        organizations = ET.SubElement(root, _q("organizations"))
        for folder in model.folders:
            _folder(organizations, folder)
    if definitions:
        container = ET.SubElement(root, _q("propertyDefinitions"))
        for name, identifier in definitions.items():
            node = ET.SubElement(container, _q("propertyDefinition"),
                                 {"identifier": identifier, "type": PROPERTY_TYPES.get(name, "string")})
            ET.SubElement(node, _q("name"), {LANG: "en"}).text = name
    return _serialize(root)


PREFIXES = {NS: "", XSI: "xsi", DC: "dc", XML_NS: "xml"}


def _serialize(root) -> bytes:
    """XML text with ArchiMate as the default namespace. (ElementTree refuses a default
    namespace when attributes are unqualified, which every exchange attribute is.)"""
    from xml.sax.saxutils import escape, quoteattr

    def name(qname: str) -> str:
        if not qname.startswith("{"):
            return qname
        uri, local = qname[1:].split("}", 1)
        prefix = PREFIXES[uri]
        return f"{prefix}:{local}" if prefix else local

    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']

    def write(node, depth: int) -> None:
        pad = "  " * depth
        attrs = "".join(f" {name(k)}={quoteattr(v)}" for k, v in node.attrib.items())
        if node is root:
            attrs = f' xmlns="{NS}" xmlns:xsi="{XSI}" xmlns:dc="{DC}"' + attrs
        tag = name(node.tag)
        children = list(node)
        if children:
            out.append(f"{pad}<{tag}{attrs}>\n")
            for child in children:
                write(child, depth + 1)
            out.append(f"{pad}</{tag}>\n")
        elif node.text:
            out.append(f"{pad}<{tag}{attrs}>{escape(node.text)}</{tag}>\n")
        else:
            out.append(f"{pad}<{tag}{attrs}/>\n")

    write(root, 0)
    return "".join(out).encode("utf-8")


def _texts(parent, tag: str, texts) -> None:
    for t in texts:
        attrs = {LANG: t.lang} if t.lang else {}
        ET.SubElement(parent, _q(tag), attrs).text = t.value


def _concept_body(node, concept, definitions: dict) -> None:
    _texts(node, "name", concept.names)
    _texts(node, "documentation", concept.documentation)
    _properties(node, concept.properties, definitions)


def _properties(node, properties, definitions: dict) -> None:
    if not properties:
        return
    container = ET.SubElement(node, _q("properties"))
    for key, value in properties:
        prop = ET.SubElement(container, _q("property"), {"propertyDefinitionRef": definitions[key]})
        ET.SubElement(prop, _q("value")).text = value


def _property_definitions(model: Model) -> dict:
    """{property name: definition id}, in first-use order."""
    names: dict = {}
    for owner in (model, *model.elements, *model.relationships):
        for key, _ in owner.properties:
            names.setdefault(key, None)
    out, used = {}, set()
    for name in names:
        base = "propid-" + (re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "p")
        identifier, n = base, 1
        while identifier in used:
            n += 1
            identifier = f"{base}-{n}"
        used.add(identifier)
        out[name] = identifier
    return out


def _folder(parent, folder: Folder) -> None:
    item = ET.SubElement(parent, _q("item"))
    _texts(item, "label", folder.labels)
    for member in folder.members:
        ET.SubElement(item, _q("item"), {"identifierRef": member})
    for sub in folder.folders:
        _folder(item, sub)


# --------------------------------------------------------------------------- validation


@lru_cache(maxsize=1)
def _schema():
    import xmlschema

    class FrozenSchema(xmlschema.XMLSchema10):
        """Remembers its validity once it is fully built and valid.

        xmlschema 4.x recomputes ``validity`` (a walk over every component) for each
        identity-constraint field it checks; the exchange schema has a dozen keys and
        keyrefs, which made validating a 130-element model take ~12 s instead of ~1 s.
        A built schema never changes, so the answer can be kept.
        """

        @property
        def validity(self) -> str:
            cached = self.__dict__.get("_frozen_validity")
            if cached is not None:
                return cached
            value = super().validity
            if value == "valid" and self.validation_attempted == "full":
                self.__dict__["_frozen_validity"] = value
            return value

    # The package is installed as files (a wheel), so the schema folder is a real folder
    # and the xs:include/xs:redefine links between the three ArchiMate files resolve.
    with resources.as_file(resources.files(__package__).joinpath("xsd", "archimate3_Diagram.xsd")) as diagram:
        folder = Path(diagram).parent
        local_xml = str(folder / "xml.xsd")
        return FrozenSchema(
            [str(folder / "archimate3_Diagram.xsd"), str(folder / "dc.xsd")],
            allow="local",  # never fetch: every import resolves to a packaged file
            uri_mapper={remote: local_xml for remote in REMOTE_XML_XSD},
        )


def validate(data: bytes, source: str = "ArchiMate exchange document") -> None:
    """Raise ExchangeValidationError (with the first problems and their paths) unless
    ``data`` is valid against the ArchiMate 3.1 exchange schema."""
    import xmlschema

    try:
        errors = list(_schema().iter_errors(data.decode("utf-8") if isinstance(data, bytes) else data))
    except xmlschema.XMLSchemaException as e:  # unknown xsi:type raises rather than reporting
        raise ExchangeValidationError(f"{source}: not valid against archimate3_Diagram.xsd 3.1: {_first_line(e)}") from None
    except ET.ParseError as e:
        raise ExchangeValidationError(f"{source}: not well-formed XML: {e}") from None
    if errors:
        shown = "; ".join(f"{err.path or '/'}: {err.reason or _first_line(err)}" for err in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise ExchangeValidationError(f"{source}: not valid against archimate3_Diagram.xsd 3.1: {shown}{more}")


def _first_line(e) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


# --------------------------------------------------------------------------- reading


def read(path) -> Model:
    """Read an exchange file (ours or an EA tool's) into a Model; elements and
    relationships carry the line they start on. Not validated: tools such as Sparx EA
    write files that fail the XSD but are still worth reading."""
    path = Path(path)
    root = _parse_with_lines(path)
    tag = root.tag
    if tag == f"{{{OLD_NS}}}model":
        raise InputError(f"{path}: ArchiMate 2.x exchange files ({OLD_NS}) are not supported; export as ArchiMate 3.x")
    if tag != _q("model"):
        raise InputError(f"{path}:{root.line}: not an ArchiMate exchange file (root element {tag!r}, expected {{{NS}}}model)")
    definitions = {d.get("identifier"): _read_texts(d, "name")
                   for d in root.findall(f"{_q('propertyDefinitions')}/{_q('propertyDefinition')}")}

    def props(node) -> tuple:
        return _read_properties(node, definitions)

    elements = []
    for e in root.findall(f"{_q('elements')}/{_q('element')}"):
        elements.append(Element(e.get("identifier") or "", _local_type(e.get(f"{{{XSI}}}type")), _read_texts(e, "name"),
                                _read_texts(e, "documentation"), props(e), line=e.line))
    relationships = []
    for r in root.findall(f"{_q('relationships')}/{_q('relationship')}"):
        relationships.append(Relationship(r.get("identifier") or "", _local_type(r.get(f"{{{XSI}}}type")),
                                          r.get("source") or "", r.get("target") or "", _read_texts(r, "name"),
                                          _read_texts(r, "documentation"), props(r), line=r.line))
    folders = tuple(_read_folder(item) for item in root.findall(f"{_q('organizations')}/{_q('item')}"))
    metadata = tuple((child.tag.split("}")[-1], child.text or "")
                     for child in root.findall(f"{_q('metadata')}/*") if child.tag.startswith(f"{{{DC}}}"))
    return Model(root.get("identifier") or "", _read_texts(root, "name"), _read_texts(root, "documentation"),
                 tuple(elements), tuple(relationships), folders, props(root), metadata)


def _read_properties(node, definitions: dict) -> tuple:
    """((property name, value), ...), the name taken from the property definition."""
    out = []
    for prop in node.findall(f"{_q('properties')}/{_q('property')}"):
        names = definitions.get(prop.get("propertyDefinitionRef"), ())
        out.append((_pick(names) or prop.get("propertyDefinitionRef") or "", _pick(_read_texts(prop, "value"))))
    return tuple(out)


def _local_type(value: str | None) -> str:
    return (value or "").split(":")[-1]


def _read_texts(node, tag: str) -> tuple:
    # Names are normalised as Archi does; documentation keeps its whitespace (xml:space preserve).
    keep = tag == "documentation"
    return tuple(Text(child.get(LANG) or "", (child.text or "") if keep else " ".join((child.text or "").split()))
                 for child in node.findall(_q(tag)))


def _pick(texts) -> str:
    from .model import text_in

    return text_in(texts, "en")


def _read_folder(item) -> Folder:
    members = tuple(child.get("identifierRef") for child in item.findall(_q("item"))
                    if child.get("identifierRef") and not child.findall(_q("item")))
    subs = tuple(_read_folder(child) for child in item.findall(_q("item"))
                 if not (child.get("identifierRef") and not child.findall(_q("item"))))
    return Folder(_read_texts(item, "label"), members, subs)


class _Node:
    """A minimal element tree node that remembers its line (ElementTree's does not)."""

    __slots__ = ("tag", "attrib", "children", "text", "line")

    def __init__(self, tag, attrib, line):
        self.tag, self.attrib, self.children, self.text, self.line = tag, attrib, [], None, line

    def get(self, key, default=None):
        return self.attrib.get(key, default)

    def findall(self, path: str) -> list:
        nodes = [self]
        for step in _split_path(path):
            nodes = [c for n in nodes for c in n.children if step == "*" or c.tag == step]
        return nodes


def _split_path(path: str) -> list:
    steps, depth, current = [], 0, ""
    for ch in path:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "/" and depth == 0:
            steps.append(current)
            current = ""
        else:
            current += ch
    steps.append(current)
    return steps


def _parse_with_lines(path: Path) -> _Node:
    """Parse with expat (no DTDs fetched, no external entities), keeping line numbers."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    stack: list = []
    root: list = []
    texts: list = []

    def qualify(name: str) -> str:
        return "{" + name if "}" in name else name

    from ..limits import MAX_NESTING

    def start(name, attrs):
        if len(stack) >= MAX_NESTING:  # later steps recurse over the tree
            raise InputError(f"{path}:{parser.CurrentLineNumber}: refused: elements nested more than {MAX_NESTING} deep")
        node = _Node(qualify(name), {qualify(k): v for k, v in attrs.items()}, parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)
        texts.append([])

    def end(_name):
        node = stack.pop()
        node.text = "".join(texts.pop())

    def data(text):
        if texts:
            texts[-1].append(text)

    def refuse_entities(*_args):
        raise InputError(f"{path}: external entities are not allowed")

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
    parser.ExternalEntityRefHandler = refuse_entities
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        with open(path, "rb") as f:
            parser.ParseFile(f)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    except xml.parsers.expat.ExpatError as e:
        raise InputError(f"{path}:{e.lineno}: not well-formed XML: {xml.parsers.expat.ErrorString(e.code)}") from None
    if not root:
        raise InputError(f"{path}: empty document")
    return root[0]
