"""The wheel carries the knowledge (ontology, queries) and the console script works anywhere."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, cwd=out)
    (path,) = out.glob("etom_kg-*.whl")
    return path


def test_wheel_contains_the_ontology_and_every_query(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "etom_kg/data/ontology/etom.ttl" in names
    for rq in (ROOT / "queries").rglob("*.rq"):
        assert f"etom_kg/data/queries/{rq.relative_to(ROOT / 'queries').as_posix()}" in names
    assert "etom_kg/cli.py" in names and "etom_kg/rules.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "etom-kg = etom_kg.cli:console" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_console_script_runs_outside_the_source_tree(tmp_path):
    script = Path(sys.executable).with_name("etom-kg")
    assert script.exists(), "the package is installed with its console script"
    env = {"PATH": str(script.parent), "ETOM_KG_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    done = subprocess.run([str(script), "query", "processes-for-topic", "--param", "topic=reclamaciones", "--format", "csv"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "https://w3id.org/etom-kg/process/ProblemHandling,1.1.1.6,Problem Handling,2" in done.stdout
    where = subprocess.run([sys.executable, "-c", "import etom_kg; print(etom_kg.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert not where.startswith(str(ROOT / "src")), "tests run against the installed package"


def test_exit_code_of_a_bad_invocation(tmp_path):
    script = Path(sys.executable).with_name("etom-kg")
    done = subprocess.run([str(script), "query", "nope"], cwd=tmp_path, capture_output=True, text=True,
                          env={"ETOM_KG_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.startswith("etom-kg: error: unknown query 'nope'; valid:")


def test_one_version_source():
    import etom_kg

    text = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and 'path = "src/etom_kg/__init__.py"' in text
    from importlib.metadata import version

    assert version("etom-kg") == etom_kg.__version__
