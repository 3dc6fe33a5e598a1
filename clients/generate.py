"""The API's clients, generated from the schema of this checkout (`make clients`, issue 24).

    python -m clients.generate [--out clients/generated] [--schema-url https://.../api/schema/]

writes, under the output folder (git-ignored):

- `openapi.yaml`: the schema, as `/api/schema/` serves it (drf-spectacular, warnings fail);
- `python/`: a Python client made by openapi-python-client (settings in
  `clients/openapi-python-client.yaml`), an installable project (`pip install -e`);
- `typescript/schema.ts`: TypeScript types made by openapi-typescript, with a named type
  for each component;
- `tsconfig.json`: `tsc --strict` over those types and `clients/example.ts`, which uses them
  with openapi-fetch as a web team would.

It then imports every module of the Python client in a fresh interpreter and type-checks the
TypeScript. Any warning of either generator, a module that does not import or an error of
`tsc` fails the run (exit 1), with what the tool printed. The tests run the same steps
(tests/api/test_generated_clients.py), and so does CI.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

CLIENTS = Path(__file__).resolve().parent
ROOT = CLIENTS.parent
GENERATED = CLIENTS / "generated"
PYTHON_CONFIG = CLIENTS / "openapi-python-client.yaml"
PYTHON_PACKAGE = "shop_api_client"
NODE_MODULES = CLIENTS / "node_modules"
EXAMPLE = CLIENTS / "example.ts"
# What the generators print when something is left out or guessed.
WARNING = re.compile(r"warn|error|⚠|✘|could not|cannot|skipp", re.IGNORECASE)


class GenerationFailed(Exception):
    """A generator warned or failed, a module did not import, or tsc found an error."""


@dataclass
class Generated:
    """What one run made, and what each tool printed."""

    out: Path
    printed: dict[str, str] = field(default_factory=dict)
    modules: int = 0

    @property
    def schema(self) -> Path:
        return self.out / "openapi.yaml"

    @property
    def python(self) -> Path:
        return self.out / "python"

    @property
    def typescript(self) -> Path:
        return self.out / "typescript" / "schema.ts"


def _run(step: str, command: list[str], *, cwd: Path = ROOT, env: dict | None = None) -> str:
    """Runs a tool; its output, or GenerationFailed if it failed."""
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except FileNotFoundError as error:
        raise GenerationFailed(f"{step}: {command[0]} is not installed ({error})") from error
    printed = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise GenerationFailed(f"{step} failed (exit {done.returncode}):\n{printed}")
    return printed


def _clean(step: str, printed: str, *paths: Path) -> str:
    """The tool's output, or GenerationFailed if it warned (the files it names are left out
    of the search: a folder may be called anything)."""
    text = printed
    for path in sorted(map(str, paths), key=len, reverse=True):
        text = text.replace(path, "<path>")
    warned = [line for line in text.splitlines() if WARNING.search(line)]
    if warned:
        raise GenerationFailed(f"{step} warned:\n{printed}")
    return printed


def _venv_bin() -> Path:
    return Path(sys.executable).parent


def write_schema(dest: Path) -> str:
    """The schema of this checkout, from the code (the settings' environment as given)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    env = {"DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "true")}
    command = [sys.executable, "manage.py", "spectacular", "--fail-on-warn", "--validate"]
    return _run("schema", [*command, "--file", str(dest)], env=env)


def fetch_schema(url: str, dest: Path) -> str:
    """A deployed site's schema (`https://shop.example.com/api/schema/`) instead of this
    checkout's."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        answer = httpx.get(url, headers={"Accept": "application/vnd.oai.openapi"}, timeout=30)
        answer.raise_for_status()
    except httpx.HTTPError as error:
        raise GenerationFailed(f"schema: {url} could not be read ({error})") from error
    dest.write_bytes(answer.content)
    return f"{url} -> {dest}"


def for_python_generator(schema: Path) -> Path:
    """The schema as openapi-python-client 0.29 is given it: a required body offered in
    more than one content type (the login: JSON or a form) is marked optional there, since
    for such a body it writes a module that does not import (its issue #1451: `Unset` used,
    not imported). The server still answers 400 without a body; the schema it serves says
    required."""
    document = yaml.safe_load(schema.read_text())
    for item in document.get("paths", {}).values():
        for operation in item.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body and body.get("required") and len(body.get("content", {})) > 1:
                body["required"] = False
    given = schema.with_name(f"{schema.stem}.python{schema.suffix}")
    given.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return given


def python_client(schema: Path, dest: Path) -> str:
    """openapi-python-client's client for `schema` in `dest` (replaced)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    given = for_python_generator(schema)
    binary = _venv_bin() / "openapi-python-client"
    command = [str(binary), "generate", "--path", str(given), "--output-path", str(dest)]
    command += ["--config", str(PYTHON_CONFIG), "--fail-on-warning"]
    # Its post-hooks run ruff, which is beside it in the virtualenv.
    path = f"{_venv_bin()}{os.pathsep}{os.environ.get('PATH', '')}"
    printed = _run("openapi-python-client", command, env={"PATH": path})
    return _clean("openapi-python-client", printed, dest, given)


IMPORT_ALL = """
import importlib, json, pkgutil, sys
sys.path.insert(0, sys.argv[1])
package = importlib.import_module(sys.argv[2])
names, failed = [], {}
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    names.append(module.name)
    try:
        importlib.import_module(module.name)
    except Exception as error:
        failed[module.name] = f"{type(error).__name__}: {error}"
print(json.dumps({"modules": len(names), "failed": failed}))
"""


def import_every_module(project: Path, package: str = PYTHON_PACKAGE) -> int:
    """Imports each module of the generated package in a fresh interpreter; how many."""
    printed = _run("import", [sys.executable, "-c", IMPORT_ALL, str(project), package])
    result = json.loads(printed.splitlines()[-1])
    if result["failed"]:
        lines = "\n".join(f"  {name}: {error}" for name, error in result["failed"].items())
        raise GenerationFailed(
            f"{len(result['failed'])} of {result['modules']} modules do not import:\n{lines}"
        )
    if not result["modules"]:
        raise GenerationFailed(f"{project} holds no module of {package}")
    return result["modules"]


def node_tools() -> None:
    """clients/node_modules as package-lock.json says (npm ci), when missing or stale; one
    process at a time (test workers may ask together)."""
    stamp = NODE_MODULES / ".package-lock.json"
    lock = CLIENTS / "package-lock.json"

    def current() -> bool:
        return stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime

    if current():
        return
    if shutil.which("npm") is None:
        raise GenerationFailed("The TypeScript types need Node.js and npm (apt-get install npm)")
    with open(CLIENTS / ".npm-ci.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if not current():  # another process may have installed them meanwhile
            command = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
            _run("npm ci", command, cwd=CLIENTS)


def typescript_types(schema: Path, dest: Path) -> str:
    """openapi-typescript's types for `schema` in `dest`, a named type per component."""
    node_tools()
    dest.parent.mkdir(parents=True, exist_ok=True)
    binary = NODE_MODULES / ".bin" / "openapi-typescript"
    command = [str(binary), str(schema), "--output", str(dest)]
    # A named type per component; a default makes no field required (requests may omit it).
    command += ["--root-types", "--root-types-no-schema-prefix", "--default-non-nullable=false"]
    printed = _run("openapi-typescript", command, cwd=CLIENTS)
    return _clean("openapi-typescript", printed, schema, dest)


def typescript_check(out: Path, types: Path, uses: Path = EXAMPLE) -> str:
    """`tsc --strict --noEmit` over the types and `uses` (clients/example.ts), which imports
    them as `shop-api` (tsconfig.json in `out`, extending clients/tsconfig.json)."""
    node_tools()
    config = out / "tsconfig.json"
    config.write_text(
        json.dumps(
            {
                "extends": str(CLIENTS / "tsconfig.json"),
                "compilerOptions": {"paths": {"shop-api": [str(types)]}},
                "files": [str(uses), str(types)],
            },
            indent=2,
        )
        + "\n"
    )
    binary = NODE_MODULES / ".bin" / "tsc"
    return _run("tsc", [str(binary), "--project", str(config), "--strict", "--noEmit"])


def generate(out: Path = GENERATED, schema_url: str | None = None) -> Generated:
    """Every step, in order; GenerationFailed at the first that fails."""
    made = Generated(out=out)
    if schema_url:
        made.printed["schema"] = fetch_schema(schema_url, made.schema)
    else:
        made.printed["schema"] = write_schema(made.schema)
    made.printed["openapi-python-client"] = python_client(made.schema, made.python)
    made.modules = import_every_module(made.python)
    made.printed["openapi-typescript"] = typescript_types(made.schema, made.typescript)
    made.printed["tsc"] = typescript_check(out, made.typescript)
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=GENERATED, help="the output folder")
    parser.add_argument("--schema-url", help="a deployed site's schema instead of this checkout's")
    args = parser.parse_args(argv)
    try:
        made = generate(args.out.resolve(), args.schema_url)
    except GenerationFailed as failure:
        print(failure, file=sys.stderr)
        return 1
    for step, printed in made.printed.items():
        print(f"--- {step}\n{printed or '(nothing printed)'}")
    print(f"--- imported all {made.modules} modules of {PYTHON_PACKAGE}")
    print(f"Python client: {made.python}  (pip install -e {made.python})")
    print(f"TypeScript types: {made.typescript}  (tsc --strict: no errors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
