"""The README's site section shows a picture of the map (issue 14): the file is a real PNG
of a desktop-sized page, small enough for the repository, and the README links it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_shows_the_map_screenshot():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    site_section = readme[readme.index("## The browsable Operations map"):]
    site_section = site_section[:site_section.index("\n## ", 1)]
    images = re.findall(r"!\[[^\]]+\]\(([^)]+\.png)\)", site_section)
    assert images, "the README's site section shows no screenshot"
    for rel in images:
        data = (ROOT / rel).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", rel
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width >= 1200 and height >= 600, (rel, width, height)  # a desktop page, not a thumbnail
        assert 20_000 < len(data) < 300_000, (rel, len(data))
