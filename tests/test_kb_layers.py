"""The knowledge-base modules keep to their layers (DESIGN §3, issue #5).

``csdesk.domain.knowledge`` (wire schema, shared by desk and backend) and the
document importer ``csdesk.kb_import`` load neither Textual nor the backend;
the backend's knowledge service and ``csdesk kb`` load no Textual.
"""

from __future__ import annotations

from tests.test_layers import loaded_after_import


def _bad(modules: list[str], forbidden: tuple[str, ...]) -> list[str]:
    loaded = loaded_after_import(modules)
    return sorted(m for m in loaded for f in forbidden if m == f or m.startswith(f + "."))


def test_domain_and_importer_stay_light() -> None:
    assert _bad(["csdesk.domain.knowledge"], ("textual", "sqlalchemy", "fastapi", "tinydb", "csdesk.server")) == []
    modules = ["csdesk.kb_import", "csdesk.kb_import.docx_doc", "csdesk.kb_import.html_doc",
               "csdesk.kb_import.plaintext"]
    assert _bad(modules, ("textual", "sqlalchemy", "fastapi", "httpx", "csdesk.server", "csdesk.store")) == []


def test_backend_and_cli_load_no_textual() -> None:
    assert _bad(["csdesk.server.knowledge", "csdesk.kb_cli"], ("textual", "csdesk.store", "csdesk.api")) == []
