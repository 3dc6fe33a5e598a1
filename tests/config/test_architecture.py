"""Imports point one way: config wires everything, each app imports only the apps below
it (payments → orders → cart → catalog → shops → accounts), and the kernel (core) none.
The contracts live in pyproject.toml and `lint-imports` checks them (make lint, .ci/run);
here, that it passes on the project and fails on an import that points back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The packages the contracts name (pyproject.toml's root_packages).
PACKAGES = tuple(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]
)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        env={**os.environ, "PYTHONPATH": str(where)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    """The project's packages and its contracts, copied, to be broken on purpose."""
    where = tmp_path_factory.mktemp("project")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            where / package,
            ignore=shutil.ignore_patterns("__pycache__", "migrations", "templates", "static"),
        )
    shutil.copy(ROOT / "pyproject.toml", where / "pyproject.toml")
    return where


def test_the_project_keeps_its_import_contracts():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("core/errors.py", "import orders.models\n", "Layers"),
        ("accounts/selectors.py", "from shops import selectors as _shops\n", "Accounts know"),
        ("catalog/selectors.py", "import cart.models\n", "The catalog knows"),
        ("orders/admin.py", "from payments import admin as _payments_admin\n", "admin stands"),
    ],
)
def test_an_import_that_points_back_fails_the_check(project_copy, module, line, contract):
    path = project_copy / module
    original = path.read_text()
    path.write_text(original + "\n" + line)
    try:
        result = lint_imports(project_copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert contract in result.stdout and "BROKEN" in result.stdout


def test_the_readme_and_docs_name_no_path_outside_the_repository():
    """A person who clones the project has only the repository: every link of the README
    and of docs/ leads to a file in it (or to the web)."""
    import re

    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert len(documents) >= 4  # the README, docs/README.md, api.md, architecture.md...
    for document in documents:
        text = document.read_text()
        assert "shared/API.md" not in text and "shared/CONVENTIONS" not in text, document.name
        for target in re.findall(r"\]\(([^)#\s]+)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path = (document.parent / target).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), f"{document.name}: {target}"
