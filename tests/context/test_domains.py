"""Domain detection on fixture repositories of several kinds, and on a real project from PyPI."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from hookpact.context import domains


def make(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    root.mkdir(exist_ok=True)
    return root


def names(root: Path) -> list[str]:
    return [d.name for d in domains.detect(str(root))]


FIXTURES = {
    "django-app": ({
        "pyproject.toml": '[project]\nname = "blog"\ndependencies = ["Django>=5", "psycopg[binary]"]\n',
        "manage.py": "", "blog/models.py": "", "blog/migrations/0001_initial.py": "", "tests/test_models.py": "",
        ".github/workflows/ci.yml": "on: push\n", "Dockerfile": "FROM python:3.12-slim\n",
    }, ["django", "python", "web", "sql", "migrations", "testing", "ci", "docker"]),
    "react-ts": ({
        "package.json": json.dumps({"dependencies": {"react": "^19", "next": "15"}, "devDependencies": {
            "typescript": "^5", "vitest": "^2"}}),
        "tsconfig.json": "{}", "app/page.tsx": "", "app/layout.tsx": "", "app/page.test.tsx": "",
    }, ["nextjs", "react", "typescript", "javascript", "web", "testing"]),
    "go-service": ({
        "go.mod": "module example.com/svc\n", "main.go": "", "api/handler.go": "", "api/handler_test.go": "",
        "openapi.yaml": "", "deploy/k8s/deployment.yaml": "", "infra/main.tf": "",
    }, ["go", "api", "testing", "kubernetes", "terraform"]),
    "fastapi-requirements": ({
        "requirements.txt": "fastapi==0.115\n# comment\nSQLAlchemy>=2\n-r dev.txt\nalembic\n",
        "app/main.py": "", "alembic.ini": "",
    }, ["fastapi", "python", "api", "sql", "migrations"]),
    "poetry-cli": ({
        "pyproject.toml": '[tool.poetry]\nname = "tool"\n[tool.poetry.dependencies]\npython = "^3.11"\n'
                          'typer = "^0.12"\n[tool.poetry.scripts]\ntool = "tool.main:app"\n',
        "tool/main.py": "",
    }, ["python", "cli"]),
}


@pytest.mark.parametrize("kind", sorted(FIXTURES))
def test_fixture_repositories(tmp_path: Path, kind: str) -> None:
    files, expected = FIXTURES[kind]
    found = names(make(tmp_path, files))
    assert set(expected) <= set(found), found
    assert not set(found) - set(expected), f"unexpected: {set(found) - set(expected)}"


def test_frameworks_come_before_languages_and_project_packs_first(tmp_path: Path) -> None:
    root = make(tmp_path, {
        "pyproject.toml": '[project]\ndependencies = ["flask"]\n', "app.py": "",
        ".claude/expertise/payments.md": "x", ".claude/agents/experts/search/expertise.md": "y",
    })
    found = domains.detect(str(root))
    assert [d.name for d in found][:4] == ["payments", "search", "flask", "python"]
    assert found[0].reason == ".claude/expertise/payments.md"


def test_vendored_and_hidden_trees_are_not_read(tmp_path: Path) -> None:
    root = make(tmp_path, {"node_modules/react/index.js": "", ".venv/lib/x.py": "", "build/out.go": "",
                           "README.md": ""})
    assert names(root) == []


def test_a_stray_script_is_not_a_domain_but_a_real_language_is(tmp_path: Path) -> None:
    assert names(make(tmp_path, {"scripts/setup.sh": ""})) == []
    root = tmp_path / "more"
    for i in range(3):
        (root / f"s{i}.sh").parent.mkdir(parents=True, exist_ok=True)
        (root / f"s{i}.sh").write_text("")
    assert [d.name for d in domains.detect(str(root))] == ["shell"]


def test_the_walk_is_bounded(tmp_path: Path) -> None:
    root = make(tmp_path, {f"d{i}/f{j}.py": "" for i in range(10) for j in range(10)})
    assert names(root) == ["python"]
    assert domains.detect(str(root), max_entries=5) == []  # stopped before any file


def test_force_and_disable(tmp_path: Path) -> None:
    detected = domains.detect(str(make(tmp_path, {"main.go": "", "Dockerfile": ""})))
    chosen = domains.choose(detected, ["security", "go"], {"docker"})
    assert [(d.name, d.category) for d in chosen] == [("security", "forced"), ("go", "forced")]


def test_broken_manifests_are_ignored(tmp_path: Path) -> None:
    root = make(tmp_path, {"package.json": "{not json", "pyproject.toml": "[project\n", "x.py": ""})
    assert sorted(names(root)) == ["javascript", "python"]


# --- one real public project, fetched from PyPI in the test run ---------------------------------------

REAL_PROJECTS = ("flask==3.0.3", "click==8.1.7")


def fetch_sdist(dest: Path) -> tuple[str, Path] | None:
    for requirement in REAL_PROJECTS:
        for _ in range(2):
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q",
                 "--disable-pip-version-check", "-d", str(dest), requirement],
                capture_output=True, text=True, timeout=300, check=False)
            archives = sorted(dest.glob("*.tar.gz"))
            if proc.returncode == 0 and archives:
                with tarfile.open(archives[0]) as tar:
                    tar.extractall(dest / "src", filter="data")
                [top] = list((dest / "src").iterdir())
                return requirement, top
    return None


def test_a_real_project_from_pypi(tmp_path: Path) -> None:
    fetched = fetch_sdist(tmp_path)
    if fetched is None:
        pytest.skip(f"no package index reachable for {REAL_PROJECTS}")
    requirement, root = fetched
    found = {d.name: d for d in domains.detect(str(root))}
    assert {"python", "cli", "testing"} <= set(found), found
    assert found["python"].category == "language"
    if requirement.startswith("flask"):
        assert found["cli"].reason == "click in pyproject.toml"  # a dependency, not the project's own name
        assert "flask" not in found  # Flask's own repository does not depend on Flask
