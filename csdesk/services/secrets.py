"""The refresh token in the OS keyring, or in memory when there is none.

Issue #3, DESIGN §5: the refresh token ("stay signed in until the end of the
shift") goes to the OS keyring through ``keyring``, one entry per (backend
URL, employee ID): service ``"csdesk:<backend URL>"``, user ``<employee ID>``.

* Every keyring call runs in a daemon thread and is abandoned after
  :data:`KEYRING_TIMEOUT` seconds: a locked desktop keyring can block forever,
  and a daemon thread cannot keep the process from exiting.
* No usable backend — ``keyring.backends.fail.Keyring`` (headless Linux, SSH),
  the null backend, a backend with ``priority < 1`` (keyring's "not
  recommended", e.g. keyrings.alt's plaintext file) or one that fails or times
  out — means the token is kept in memory for this process only. Nothing is
  ever written to a file by this module. The reason is reported once
  (:meth:`SecretStore.take_notice`) so the desk can say it in one line.

No Textual here (``tests/test_layers.py``); ``keyring`` itself is imported
in the worker thread on first use, so the start path does not pay for its
backend discovery.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Final, TypeVar

T = TypeVar("T")

#: Seconds a keyring call may take before it is abandoned.
KEYRING_TIMEOUT: Final = 2.0

#: Reasons the token stays in memory (message ids ``secrets.<reason>``).
NO_KEYRING: Final = "no-keyring"
NOT_RECOMMENDED: Final = "not-recommended"
TIMEOUT: Final = "timeout"
ERROR: Final = "error"


def service_name(backend_url: str) -> str:
    """Keyring service of ``backend_url``: ``"csdesk:http://host:port"``."""
    return f"csdesk:{backend_url.rstrip('/')}"


def assess_backend(backend: Any) -> str | None:
    """Return None when ``backend`` (a ``keyring`` backend) may hold the token,
    else the reason it may not (:data:`NO_KEYRING` or :data:`NOT_RECOMMENDED`).

    A chainer is judged by the backend it writes to (its first one). Blocking:
    reading ``priority`` may talk to D-Bus; call it in a worker thread.
    """
    from keyring.backends import chainer, fail

    if isinstance(backend, fail.Keyring):
        return NO_KEYRING
    if isinstance(backend, chainer.ChainerBackend):
        chained = list(backend.backends)
        if not chained:
            return NO_KEYRING
        backend = chained[0]
    try:
        priority = float(backend.priority)
    except Exception:  # a backend that cannot run here says so by raising
        return NO_KEYRING
    if priority <= 0:
        return NO_KEYRING
    kind = type(backend)
    if (
        priority < 1
        or kind.__module__.startswith("keyrings.alt")
        or "plaintext" in kind.__name__.lower()
    ):
        return NOT_RECOMMENDED
    return None


async def run_in_daemon_thread(fn: Callable[..., T], *args: Any, timeout: float) -> T:
    """Run ``fn(*args)`` in a new daemon thread; return its result.

    Raises what ``fn`` raised, or ``TimeoutError`` after ``timeout`` seconds
    (the thread is then left to finish or hang on its own; it never blocks
    the interpreter's exit, unlike ``asyncio.to_thread``'s pool threads).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(ok: bool, value: Any) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def run() -> None:
        try:
            outcome = (True, fn(*args))
        except BaseException as exc:  # handed to the awaiting task
            outcome = (False, exc)
        try:
            loop.call_soon_threadsafe(deliver, *outcome)
        except RuntimeError:
            pass  # the loop is closed: nobody is waiting any more

    threading.Thread(target=run, name="csdesk-keyring", daemon=True).start()
    try:
        return await asyncio.wait_for(future, timeout)
    except asyncio.TimeoutError:
        raise TimeoutError(f"keyring did not answer in {timeout:g} s") from None


def _default_backend() -> Any:
    import keyring

    return keyring.get_keyring()


class SecretStore:
    """Refresh tokens per (backend URL, employee ID), in the keyring or in memory.

    ``get_backend()`` returns the ``keyring`` backend to use (default:
    ``keyring.get_keyring()``, which tests set with ``keyring.set_keyring``);
    it is called once, in a worker thread, on first use. ``timeout`` bounds
    every keyring call, seconds.

    Methods never raise for keyring trouble: the store switches to memory
    for the rest of the process and records the reason for
    :meth:`take_notice`. Calls are serialised (a save queued before a delete
    lands before it).
    """

    def __init__(
        self,
        *,
        timeout: float = KEYRING_TIMEOUT,
        get_backend: Callable[[], Any] | None = None,
    ) -> None:
        self.timeout = timeout
        self._get_backend = get_backend or _default_backend
        self._backend: Any = None
        #: ``"unknown"`` until first use, then ``"keyring"`` or ``"memory"``.
        self.mode = "unknown"
        #: Why the token is in memory (``NO_KEYRING``, …), or None.
        self.reason: str | None = None
        self._noticed = False
        self._memory: dict[tuple[str, str], str] = {}
        self._lock: asyncio.Lock | None = None

    # -- notice ----------------------------------------------------------

    def take_notice(self) -> str | None:
        """The reason the token is only in memory — once per store, then None."""
        if self.reason is None or self._noticed:
            return None
        self._noticed = True
        return self.reason

    def _fall_back(self, reason: str) -> None:
        if self.mode != "memory":
            self.mode = "memory"
            self.reason = reason
            self._backend = None

    # -- plumbing ----------------------------------------------------------

    def _serial(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def _ready(self) -> None:
        """Pick the backend on first use (in a thread, with the timeout)."""
        if self.mode != "unknown":
            return

        def resolve() -> tuple[Any, str | None]:
            backend = self._get_backend()
            return backend, assess_backend(backend)

        try:
            backend, reason = await run_in_daemon_thread(resolve, timeout=self.timeout)
        except TimeoutError:
            self._fall_back(TIMEOUT)
            return
        except Exception:
            self._fall_back(ERROR)
            return
        if reason is not None:
            self._fall_back(reason)
        else:
            self._backend = backend
            self.mode = "keyring"

    async def _call(self, name: str, *args: str) -> Any:
        """Call backend method ``name``; on timeout or error fall back to memory
        and re-raise as ``LookupError`` (the caller then uses memory)."""
        method = getattr(self._backend, name)
        try:
            return await run_in_daemon_thread(method, *args, timeout=self.timeout)
        except TimeoutError as exc:
            self._fall_back(TIMEOUT)
            raise LookupError(name) from exc
        except Exception as exc:
            self._fall_back(ERROR)
            raise LookupError(name) from exc

    # -- API ---------------------------------------------------------------

    async def save(self, backend_url: str, employee_id: str, token: str) -> None:
        """Keep ``token`` for (``backend_url``, ``employee_id``), replacing any older one."""
        key = (service_name(backend_url), employee_id)
        async with self._serial():
            await self._ready()
            if self.mode == "keyring":
                try:
                    await self._call("set_password", key[0], key[1], token)
                except LookupError:
                    pass
                else:
                    self._memory.pop(key, None)
                    return
            self._memory[key] = token

    async def load(self, backend_url: str, employee_id: str) -> str | None:
        """The token kept for (``backend_url``, ``employee_id``), or None."""
        key = (service_name(backend_url), employee_id)
        async with self._serial():
            await self._ready()
            if key in self._memory:
                return self._memory[key]
            if self.mode == "keyring":
                try:
                    value = await self._call("get_password", key[0], key[1])
                except LookupError:
                    return None
                return value if isinstance(value, str) and value else None
            return None

    async def delete(self, backend_url: str, employee_id: str) -> None:
        """Forget the token of (``backend_url``, ``employee_id``); absent is fine."""
        key = (service_name(backend_url), employee_id)
        async with self._serial():
            self._memory.pop(key, None)
            await self._ready()
            if self.mode != "keyring":
                return
            from keyring.errors import PasswordDeleteError

            method = self._backend.delete_password
            try:
                await run_in_daemon_thread(method, key[0], key[1], timeout=self.timeout)
            except PasswordDeleteError:
                pass  # nothing stored
            except TimeoutError:
                self._fall_back(TIMEOUT)
            except Exception:
                self._fall_back(ERROR)
