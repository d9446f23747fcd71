"""Child process for the store's crash and lock tests (run as a script, not collected).

Usage: ``python _store_child.py MODE DATA_DIR BACKEND_URL EMPLOYEE_ID [START]``

* ``hold`` — open the store, print ``ready``, then wait until stdin closes,
  close the store and exit 0. Used by the lock tests (killed or not).
* ``docs`` — open the store, print ``ready``, then for n = START, START+1 …
  upsert document ``d<n>`` into collection ``docs`` and print ``n`` only
  after the call returned (the write is acknowledged), forever.
* ``outbox`` — same with :meth:`Outbox.enqueue` (body ``{"n": n}``).

Every line is flushed at once, so what the parent reads is exactly what was
acknowledged before the child was killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from csdesk.store import LocalStore, Outbox

_TEXT = "客户来电咨询信用卡分期，已核实身份。"  # Chinese text: exercise UTF-8 on disk


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    mode, data_dir, backend_url, employee_id = argv[:4]
    start = int(argv[4]) if len(argv) > 4 else 0
    store = LocalStore.open(Path(data_dir), backend_url, employee_id)
    _say("ready")
    if mode == "hold":
        sys.stdin.read()
        store.close()
        return 0
    if mode == "docs":
        n = start
        while True:
            store.upsert("docs", f"d{n:07d}", {"id": f"d{n:07d}", "n": n, "text": _TEXT})
            _say(str(n))
            n += 1
    if mode == "outbox":
        outbox = Outbox(store)
        n = start
        while True:
            outbox.enqueue("test.crash", "POST", f"/crash/{n}", {"n": n, "text": _TEXT}, now=time.time())
            _say(str(n))
            n += 1
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
