"""DESIGN §3: the store is importable without Textual, httpx or the server."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("textual", "httpx", "httpx_sse", "csdesk.server", "csdesk.api", "fastapi", "sqlalchemy")


def test_store_imports_no_ui_http_or_server() -> None:
    code = (
        "import json, sys\n"
        "import csdesk.store, csdesk.store.atomic, csdesk.store.local, csdesk.store.outbox, csdesk.store.errors\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    loaded = json.loads(out.stdout)
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []
