"""The README's promises: its commands exist and its query catalogue is current."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_catalogue_in_readme_is_generated_from_the_headers():
    from etom_kg.cli import catalogue_markdown
    from etom_kg.queries import catalog

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- queries:start -->\n", "<!-- queries:end -->"
    current = readme[readme.index(start) + len(start):readme.index(end)]
    assert current == catalogue_markdown(catalog("cq")), "run: etom-kg queries --format markdown, paste into README"


def test_two_commands_and_ci_use_the_same_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().endswith("make test")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "run: install\n\t$(BIN)/etom-kg query processes-for-topic --param topic=$(TOPIC)" in makefile
