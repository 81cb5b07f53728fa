"""Which domains a repository works in, read from its markers.

Markers are cheap to see: file extensions, dependency manifests, well-known files and
directories, and the project's own ``.claude/expertise/<domain>.md`` or
``.claude/agents/experts/<domain>/``. The walk is shallow (``MAX_DEPTH``), skips
vendored and generated trees, and stops after ``MAX_ENTRIES`` entries, so a huge
repository costs the same as a large one.
"""

from __future__ import annotations

import os
import re

from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

MAX_DEPTH = 4
MAX_ENTRIES = 20000
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "env", "__pycache__", ".tox", ".nox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "dist", "build", "target", ".next", ".nuxt", "vendor", "third_party",
    "site-packages", ".idea", ".vscode", "coverage", ".cache", ".terraform",
})

#: Injection order when the cap bites: project-defined, frameworks, languages, then the layers.
CATEGORY_RANK = {"forced": 0, "project": 1, "framework": 2, "language": 3, "layer": 4, "tooling": 5}

LANGUAGE_BY_EXT = {
    ".py": "python", ".pyi": "python", ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript",
    ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".go": "go",
    ".rs": "rust", ".java": "java", ".kt": "kotlin", ".rb": "ruby", ".sql": "sql", ".tf": "terraform",
    ".sh": "shell",
}
#: A language counts once this many of its files are seen (a stray script is not a domain).
LANGUAGE_MIN_FILES = {"shell": 3, "sql": 1, "terraform": 1}

#: dependency name -> (domain, category)
PYTHON_DEPS = {
    "django": ("django", "framework"), "djangorestframework": ("api", "layer"), "flask": ("flask", "framework"),
    "fastapi": ("fastapi", "framework"), "sqlalchemy": ("sql", "layer"), "alembic": ("migrations", "layer"),
    "psycopg": ("sql", "layer"), "psycopg2": ("sql", "layer"), "psycopg2-binary": ("sql", "layer"),
    "pytest": ("testing", "tooling"), "click": ("cli", "layer"), "typer": ("cli", "layer"),
    "pydantic": ("pydantic", "framework"), "celery": ("celery", "framework"),
}
JS_DEPS = {
    "react": ("react", "framework"), "next": ("nextjs", "framework"), "vue": ("vue", "framework"),
    "express": ("express", "framework"), "fastify": ("api", "layer"), "prisma": ("sql", "layer"),
    "@prisma/client": ("sql", "layer"), "jest": ("testing", "tooling"), "vitest": ("testing", "tooling"),
    "typescript": ("typescript", "language"), "commander": ("cli", "layer"), "yargs": ("cli", "layer"),
}
#: implied domains: a framework brings its layer
IMPLIES = {"django": ("web", "sql"), "flask": ("api",), "fastapi": ("api",), "express": ("api",),
           "react": ("web",), "vue": ("web",), "nextjs": ("web", "react"), "migrations": ("sql",)}
DIR_MARKERS = {
    "migrations": ("migrations", "layer"), "alembic": ("migrations", "layer"), "tests": ("testing", "tooling"),
    "test": ("testing", "tooling"), "__tests__": ("testing", "tooling"), "k8s": ("kubernetes", "tooling"),
    "kubernetes": ("kubernetes", "tooling"), "helm": ("kubernetes", "tooling"), "terraform": ("terraform", "tooling"),
}
FILE_MARKERS = {
    "dockerfile": ("docker", "tooling"), "docker-compose.yml": ("docker", "tooling"),
    "docker-compose.yaml": ("docker", "tooling"), "compose.yaml": ("docker", "tooling"),
    "compose.yml": ("docker", "tooling"), "containerfile": ("docker", "tooling"),
    ".gitlab-ci.yml": ("ci", "tooling"), "jenkinsfile": ("ci", "tooling"), "alembic.ini": ("migrations", "layer"),
    "openapi.yaml": ("api", "layer"), "openapi.yml": ("api", "layer"), "openapi.json": ("api", "layer"),
    "swagger.json": ("api", "layer"), "chart.yaml": ("kubernetes", "tooling"),
    "kustomization.yaml": ("kubernetes", "tooling"), "schema.prisma": ("sql", "layer"),
    "pytest.ini": ("testing", "tooling"), "conftest.py": ("testing", "tooling"), "manage.py": ("django", "framework"),
    "go.mod": ("go", "language"), "cargo.toml": ("rust", "language"), "tsconfig.json": ("typescript", "language"),
    "pyproject.toml": ("python", "language"), "setup.py": ("python", "language"),
    "package.json": ("javascript", "language"), "index.html": ("web", "layer"),
}
PY_MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile")
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._\-]*)")
_QUOTED_DEP = re.compile(r"""["']\s*([A-Za-z0-9][A-Za-z0-9._\-]*)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~;@ ]|["'])""")


class Domain:
    __slots__ = ("name", "category", "reason")

    def __init__(self, name: str, category: str, reason: str) -> None:
        self.name = name
        self.category = category
        self.reason = reason

    def __repr__(self) -> str:
        return f"Domain({self.name!r}, {self.category!r}, {self.reason!r})"


class Found:
    """Domains in the order they were first seen, with the first reason for each."""

    def __init__(self) -> None:
        self.domains: dict[str, Domain] = {}

    def add(self, name: str, category: str, reason: str) -> None:
        current = self.domains.get(name)
        if current is None:
            self.domains[name] = Domain(name, category, reason)
        elif CATEGORY_RANK[category] < CATEGORY_RANK[current.category]:
            self.domains[name] = Domain(name, category, current.reason)
        for implied in IMPLIES.get(name, ()):
            if implied not in self.domains:
                self.add(implied, "layer", f"implied by {name}")

    def ordered(self) -> list[Domain]:
        order = list(self.domains)
        return sorted(self.domains.values(), key=lambda d: (CATEGORY_RANK[d.category], order.index(d.name)))


def _read(path: str, limit: int = 256 * 1024) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(limit)
    except OSError:
        return ""


def python_dependencies(text: str, requirements: bool = False) -> set[str]:
    """Distribution names mentioned in a manifest (lower-case, ``_`` as ``-``); generous on purpose."""
    names: set[str] = set()
    if requirements:
        for raw in text.splitlines():
            line = raw.split("#", 1)[0]
            if line.strip().startswith("-"):
                continue
            match = _REQ_NAME.match(line)
            if match:
                names.add(match.group(1))
    else:
        # The project's own name, version and description are not dependencies.
        text = re.sub(r"(?m)^\s*(name|version|description|readme|requires-python|license|authors|keywords)\s*=.*$",
                      "", text)
        names.update(m.group(1) for m in _QUOTED_DEP.finditer(text))
        # Poetry / Pipfile tables: ``django = "^5.0"``
        names.update(m.group(1) for m in re.finditer(r"(?m)^\s*([A-Za-z0-9][A-Za-z0-9._\-]*)\s*=\s*[\"'{]", text))
    return {n.lower().replace("_", "-") for n in names}


def pyproject_dependencies(text: str) -> set[str]:
    """Requirement names from ``[project]``, optional dependencies, dependency groups and Poetry tables."""
    try:
        import tomllib
    except ImportError:  # Python 3.10: the generous scan
        return python_dependencies(text)
    try:
        document = tomllib.loads(text)
    except ValueError:
        return set()
    requirements: list[object] = []
    project = document.get("project", {})
    requirements.extend(project.get("dependencies", []))
    for group in (project.get("optional-dependencies", {}), document.get("dependency-groups", {})):
        for items in group.values():
            requirements.extend(items if isinstance(items, list) else [])
    poetry = document.get("tool", {}).get("poetry", {})
    requirements.extend(poetry.get("dependencies", {}))
    for group in poetry.get("group", {}).values():
        requirements.extend(group.get("dependencies", {}) if isinstance(group, dict) else {})
    names = set()
    for requirement in requirements:
        match = _REQ_NAME.match(requirement) if isinstance(requirement, str) else None
        if match:
            names.add(match.group(1).lower().replace("_", "-"))
    return names


def js_dependencies(text: str) -> tuple[set[str], dict[str, object]]:
    try:
        document = json.loads(text)
    except ValueError:
        return set(), {}
    if not isinstance(document, dict):
        return set(), {}
    names: set[str] = set()
    for key in ("dependencies", "devDependencies", "peerDependencies"):
        section = document.get(key)
        if isinstance(section, dict):
            names.update(str(n).lower() for n in section)
    return names, document


def _manifests(found: Found, root: str, rel_dir: str, files: Iterable[str]) -> None:
    where = (rel_dir + "/") if rel_dir else ""
    lowered = {f.lower(): f for f in files}
    for name in PY_MANIFESTS:
        if name.lower() in lowered:
            text = _read(os.path.join(root, rel_dir, lowered[name.lower()]))
            deps = pyproject_dependencies(text) if name == "pyproject.toml" else python_dependencies(text)
            for dep in deps:
                if dep in PYTHON_DEPS:
                    found.add(*PYTHON_DEPS[dep], f"{dep} in {where}{name}")
            if name == "pyproject.toml" and re.search(r"(?m)^\[(project\.scripts|tool\.poetry\.scripts)\]", text):
                found.add("cli", "layer", f"console scripts in {where}{name}")
    for low, real in lowered.items():
        if low.startswith("requirements") and low.endswith(".txt"):
            for dep in python_dependencies(_read(os.path.join(root, rel_dir, real)), requirements=True):
                if dep in PYTHON_DEPS:
                    found.add(*PYTHON_DEPS[dep], f"{dep} in {where}{real}")
    if "package.json" in lowered:
        deps, document = js_dependencies(_read(os.path.join(root, rel_dir, lowered["package.json"])))
        for dep in sorted(deps):
            if dep in JS_DEPS:
                found.add(*JS_DEPS[dep], f"{dep} in {where}package.json")
        if document.get("bin"):
            found.add("cli", "layer", f"bin in {where}package.json")


def detect(root: str, *, max_depth: int = MAX_DEPTH, max_entries: int = MAX_ENTRIES) -> list[Domain]:
    """The repository's domains, most specific first (see ``CATEGORY_RANK``)."""
    found = Found()
    _project_domains(found, root)
    counts: dict[str, int] = {}
    first_file: dict[str, str] = {}
    seen = 0
    pending: list[tuple[str, int]] = [("", 0)]
    while pending and seen < max_entries:
        rel_dir, depth = pending.pop(0)  # breadth first: the markers that matter sit near the top
        try:
            entries = list(os.scandir(os.path.join(root, rel_dir)))
        except OSError:
            continue
        files = []
        for entry in entries:
            seen += 1
            name = entry.name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if name in SKIP_DIRS or (name.startswith(".") and name not in (".github", ".circleci", ".gitlab")):
                    continue
                if name in DIR_MARKERS:
                    found.add(*DIR_MARKERS[name], f"{rel}/")
                if rel in (".github/workflows", ".circleci"):
                    found.add("ci", "tooling", f"{rel}/")
                if depth + 1 < max_depth:
                    pending.append((rel, depth + 1))
                continue
            files.append(name)
            low = name.lower()
            marker = FILE_MARKERS.get(low)
            if marker is not None:
                found.add(*marker, rel)
            elif low.startswith("dockerfile"):
                found.add("docker", "tooling", rel)
            elif low.endswith("_test.go") or ".test." in low or ".spec." in low or (
                    low.startswith("test_") and low.endswith(".py")):
                found.add("testing", "tooling", rel)
            language = LANGUAGE_BY_EXT.get(os.path.splitext(low)[1])
            if language is not None:
                counts[language] = counts.get(language, 0) + 1
                first_file.setdefault(language, rel)
        if depth <= 1:  # manifests at the root and one level down (monorepo packages, src/)
            _manifests(found, root, rel_dir, files)
    for language, count in sorted(counts.items(), key=lambda item: -item[1]):
        if count >= LANGUAGE_MIN_FILES.get(language, 1):
            category = "tooling" if language == "terraform" else ("layer" if language == "sql" else "language")
            found.add(language, category, f"{count} {language} file(s), e.g. {first_file[language]}")
    return found.ordered()


def _project_domains(found: Found, root: str) -> None:
    """Domains the project wrote expertise for (``.claude/expertise``, ``.claude/agents/experts``)."""
    base = os.path.join(root, ".claude")
    try:
        for name in sorted(os.listdir(os.path.join(base, "expertise"))):
            if name.endswith(".md") and not name.startswith("."):
                found.add(name[:-3].lower(), "project", f".claude/expertise/{name}")
    except OSError:
        pass
    try:
        for name in sorted(os.listdir(os.path.join(base, "agents", "experts"))):
            if os.path.isdir(os.path.join(base, "agents", "experts", name)) and not name.startswith("."):
                found.add(name.lower(), "project", f".claude/agents/experts/{name}/")
    except OSError:
        pass


def choose(detected: list[Domain], force: list[str], disable: set[str]) -> list[Domain]:
    """Forced domains first, then detected ones, without the disabled ones."""
    chosen = [Domain(name, "forced", "forced in .claude/hookpact.json") for name in dict.fromkeys(force)
              if name not in disable]
    names = {d.name for d in chosen}
    chosen.extend(d for d in detected if d.name not in names and d.name not in disable)
    return chosen
