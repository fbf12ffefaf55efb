#!/usr/bin/env python3
"""Assemble ontology/etom.ttl, the one file users load, from the reviewable modules.

    python3 tools/assemble_ontology.py           # rewrite ontology/etom.ttl
    python3 tools/assemble_ontology.py --check   # exit 1 if etom.ttl is stale

Modules live in ontology/modules/*.ttl and are joined in file-name order. Each module is
standalone Turtle (it declares the prefixes it uses, so an editor or a validator can open it
alone); every prefix must mean what 00-header.ttl says it means. The assembled file keeps the
modules' comments and layout, so a reviewer reads the same text in both places.
Exit codes: 0 done / up to date, 1 stale (--check), 2 a module is malformed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "ontology" / "modules"
TARGET = ROOT / "ontology" / "etom.ttl"
PREFIX_LINE = re.compile(r"@prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>\s*\.\s*$")
BANNER = (
    "# This file is assembled from ontology/modules/*.ttl by tools/assemble_ontology.py.\n"
    "# Do not edit it by hand: edit a module, then run `make ontology` (a test fails when\n"
    "# this file is stale).\n"
)


class ModuleError(Exception):
    pass


def split_module(path: Path) -> tuple[dict[str, str], str]:
    """The prefixes a module declares, and its body (everything after the prefix block)."""
    prefixes: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith("@prefix")):
        if lines[i].strip():
            m = PREFIX_LINE.match(lines[i])
            if not m:
                raise ModuleError(f"{path.relative_to(ROOT)}:{i + 1}: malformed @prefix line")
            prefixes[m.group(1) or ""] = m.group(2)
        i += 1
    return prefixes, "\n".join(lines[i:]).rstrip() + "\n"


def assemble() -> str:
    modules = sorted(MODULES.glob("*.ttl"))
    if not modules or modules[0].name != "00-header.ttl":
        raise ModuleError("ontology/modules/00-header.ttl must exist and come first")
    canonical, _ = split_module(modules[0])
    header_text = modules[0].read_text(encoding="utf-8")
    prefix_block = "\n".join(l for l in header_text.splitlines() if l.startswith("@prefix"))
    parts = [BANNER, "\n", prefix_block, "\n"]
    for path in modules:
        prefixes, body = split_module(path)
        for name, iri in prefixes.items():
            if canonical.get(name) != iri:
                raise ModuleError(
                    f"{path.relative_to(ROOT)}: prefix {name}: <{iri}> differs from 00-header.ttl "
                    f"({'<' + canonical[name] + '>' if name in canonical else 'not declared there'})"
                )
        parts.append(f"\n# {'=' * 77}\n#  module {path.name}\n# {'=' * 77}\n\n{body.lstrip(chr(10))}")
    return "".join(parts)


def parse_check(text: str, name: str) -> None:
    import pyoxigraph as ox

    try:
        for _ in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE):
            pass
    except SyntaxError as e:
        raise ModuleError(f"{name}: {e}") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report whether etom.ttl is current")
    args = ap.parse_args(argv)
    try:
        for path in sorted(MODULES.glob("*.ttl")):
            parse_check(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
        text = assemble()
        parse_check(text, "assembled etom.ttl")
    except (ModuleError, OSError) as e:
        print(f"assemble_ontology: {e}", file=sys.stderr)
        return 2
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if args.check:
        if current != text:
            print("ontology/etom.ttl is stale: run `make ontology`", file=sys.stderr)
            return 1
        return 0
    if current != text:
        fd, tmp = tempfile.mkstemp(dir=TARGET.parent, prefix=".etom.ttl.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main())
