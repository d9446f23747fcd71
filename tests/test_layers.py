"""domain/, store/, api/ and services/ never import Textual (DESIGN §3).

Each package is imported in a fresh interpreter and the modules it loaded are
checked, so an indirect import is caught too.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = {
    "csdesk.domain": ("textual", "httpx", "fastapi", "sqlalchemy", "tinydb", "csdesk.server"),
    "csdesk.store": ("textual", "httpx", "fastapi", "sqlalchemy", "csdesk.server"),
    "csdesk.api": ("textual", "fastapi", "sqlalchemy", "csdesk.server"),
    "csdesk.services": ("textual", "fastapi", "sqlalchemy", "csdesk.server"),
    "csdesk.server": ("textual", "csdesk.store", "csdesk.api", "csdesk.services", "csdesk.screens"),
}

FORBIDDEN["csdesk.search"] = ("textual", "httpx", "fastapi", "sqlalchemy", "tinydb", "csdesk.server", "csdesk.store")


def package_modules(package: str) -> list[str]:
    """Every module of ``package`` and its subpackages, found on disk (not
    imported here), so a module added later is checked without listing it."""
    import importlib.util
    import pkgutil

    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    found = pkgutil.walk_packages(list(spec.submodule_search_locations), prefix=package + ".")
    return sorted({package, *(info.name for info in found)})


MODULES = {package: package_modules(package) for package in FORBIDDEN}


def test_every_layer_has_modules_to_check() -> None:
    assert all(len(MODULES[package]) > 1 for package in FORBIDDEN), MODULES


def loaded_after_import(modules: list[str]) -> set[str]:
    code = (
        "import sys, json\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_does_not_import_forbidden(package: str) -> None:
    loaded = loaded_after_import(MODULES[package])
    bad = sorted(
        m for m in loaded for f in FORBIDDEN[package] if m == f or m.startswith(f + ".")
    )
    assert not bad, f"{package} pulls in {bad}"


def test_tui_start_path_stays_light() -> None:
    """The login screen must not load click, the backend, pydantic, httpx or TinyDB."""
    loaded = loaded_after_import(["csdesk.cli", "csdesk.app", "csdesk.screens.login"])
    heavy = ("click", "fastapi", "sqlalchemy", "uvicorn", "pydantic", "httpx", "tinydb", "argon2", "keyring")
    bad = sorted(m for m in loaded for h in heavy if m == h)
    assert not bad, f"start path imports {bad}"
