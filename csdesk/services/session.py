"""One agent's session with a backend: sign-in, store, sync, live state.

The screens drive a :class:`DeskSession` from workers; it never touches
widgets. Flow (operating guide §1.2): :meth:`login` (employee ID + password)
→ :meth:`verify_code` (TOTP) → :meth:`open_store` → :meth:`start` (pull, then
the push loop and the event stream run as tasks the app owns) → … →
:meth:`sign_out`.

Staying signed in (issue #3): after sign-in :meth:`remember_sign_in` keeps
the refresh token in the OS keyring (``services.secrets``; memory when there
is none) and every rotation updates it; at the next start
:meth:`resumable_agent` / :meth:`resume` sign in again with it
(``POST /auth/refresh``) instead of password + code; sign-out deletes it.
:meth:`unlock` opens the idle lock (``POST /auth/reauth``).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csdesk.api.client import ApiClient
from csdesk.api.errors import ApiError, OfflineError, ProblemError
from csdesk.api.events import EventFollower
from csdesk.domain import contact_schemas as cs
from csdesk.domain import schemas
from csdesk.domain.agent_state import AgentState, NotReadyReason
from csdesk.domain.identity import normalize_employee_id, normalize_otp
from csdesk.services.last_agent import read_last_agent, write_last_agent
from csdesk.services.listeners import tell
from csdesk.services.preflight import PreflightResult, check_backend
from csdesk.services.secrets import SecretStore
from csdesk.services.contact import ContactService
from csdesk.services.sync import (
    ACK_KIND,
    LOCAL_ACKS,
    RECORDS_COLLECTION,
    SETTINGS_ID,
    WRAP_UP_KIND,
    SyncService,
    SyncStatus,
)
from csdesk.store.local import LocalStore, store_folder
from csdesk.store.errors import StoreLockedError

if TYPE_CHECKING:
    from csdesk.services.work_orders import WorkOrderService


_COLLECTION_NAME = re.compile(r"[a-z][a-z0-9_]*")

#: Re-exported: the rule lives in the domain (the to-dos use it too).
is_unread = schemas.is_unread

#: Event types that mean "pull this collection" (work items, issue #3 to-dos).
_PULL_ON_EVENT = {"work_order": "work_orders", "callback": "callbacks"}
#: Issue #5: one of the agent's personal quick phrases changed (maybe on another desk).
_PULL_ON_EVENT["phrase"] = "my_phrases"


class DeskSession:
    """State and calls of one signed-in agent on one backend.

    Callbacks (all run in the event loop): ``on_state(AgentStateView)``,
    ``on_sync(SyncStatus)``, ``on_announcement(Announcement)``,
    ``on_settings(dict)``, ``on_signed_out()`` (the server ended the session),
    ``on_collection_changed(name)`` (a pull changed a local collection).

    ``secrets`` keeps the refresh token between runs (OS keyring, else
    memory); the app passes one store for the whole process so that its
    "no keyring" notice is given once.
    """

    def __init__(
        self,
        backend_url: str,
        data_dir: Path,
        *,
        api: ApiClient | None = None,
        secrets: SecretStore | None = None,
    ) -> None:
        self.backend_url = backend_url
        self.data_dir = data_dir
        self.api = api or ApiClient(backend_url)
        self.secrets = secrets or SecretStore()
        self.api.on_tokens = self._tokens_rotated
        self._token_tasks: set[asyncio.Task[None]] = set()
        #: True once the refresh token of this sign-in may be kept (after
        #: :meth:`remember_sign_in`); rotations are saved from then on.
        self._keep_token = False
        #: Called once, in the loop, with the reason (``services.secrets``:
        #: ``"no-keyring"``, ``"not-recommended"``, ``"timeout"``, ``"error"``)
        #: when the refresh token can only be kept in memory.
        self.on_secret_notice: Callable[[str], None] | None = None
        self.employee_id: str | None = None
        self.profile: schemas.AgentProfile | None = None
        self._work_orders: WorkOrderService | None = None
        self.state: schemas.AgentStateView | None = None
        self.store: LocalStore | None = None
        self.sync: SyncService | None = None
        self.follower: EventFollower | None = None
        self._ticket: str | None = None
        #: What step 1 answered (password change needed, TOTP enrolled, methods).
        self.challenge: schemas.MfaChallenge | None = None
        #: The bank's limits on personal settings (:meth:`load_desk_policy`).
        self.desk_policy: schemas.DeskPolicyView | None = None
        #: Server clock minus local clock, seconds (from the last pre-flight).
        self.clock_skew = 0.0
        self._signing_out = False
        #: The last check whether a queued wrap-up was refused (kept so it is not collected).
        self._refusal_check: asyncio.Future[None] | None = None
        self.on_state: Callable[[schemas.AgentStateView], None] | None = None
        self.on_sync: Callable[[SyncStatus], None] | None = None
        self.on_announcement: Callable[[schemas.Announcement], None] | None = None
        self.on_settings: Callable[[dict[str, Any]], None] | None = None
        self.on_signed_out: Callable[[], None] | None = None
        #: Called (in the loop) with a collection name after a pull changed it.
        self.on_collection_changed: Callable[[str], None] | None = None
        #: The live session (issue #4): offer, contact, transcript, queues;
        #: fed by the event stream, refetched after a reconnect.
        self.contact = ContactService(self.api)

    # -- before sign-in ------------------------------------------------------

    async def preflight(self) -> PreflightResult:
        """Backend reachable and clock skew (see ``services.preflight``)."""
        result = await check_backend(self.api)
        if result.skew is not None:
            self.clock_skew = result.skew
        return result

    def store_in_use(self, employee_id: str) -> bool:
        """True when another csdesk on this machine holds this agent's store."""
        from csdesk.store.local import is_locked

        return is_locked(self.data_dir, self.backend_url, employee_id)

    async def login(self, employee_id: str, password: str) -> schemas.MfaChallenge:
        """Step 1. Raises ``ValueError`` (bad ID), ``StoreLockedError``, ``ApiError``."""
        eid = normalize_employee_id(employee_id)
        if await asyncio.to_thread(self.store_in_use, eid):
            raise StoreLockedError(store_folder(self.data_dir, self.backend_url, eid))
        challenge = await self.api.login(eid, password)
        self.employee_id = eid
        self._ticket = challenge.mfa_ticket
        self.challenge = challenge
        return challenge

    @property
    def ticket(self) -> str | None:
        """The MFA ticket of the sign-in in progress (None before login / after)."""
        return self._ticket

    async def verify_code(self, code: str, method: str = "totp") -> schemas.AgentProfile:
        """Step 2 with a TOTP or SMS code (spaces allowed). Raises ``ValueError``, ``ApiError``."""
        if not self._ticket:
            raise RuntimeError("verify_code before login")
        tokens = await self.api.verify_mfa(self._ticket, normalize_otp(code), method=method)
        return self.signed_in(tokens)

    def signed_in(self, tokens: schemas.TokenPair) -> schemas.AgentProfile:
        """Record a finished sign-in (MFA or TOTP enrolment): who, and the state."""
        self._ticket = None
        self.profile = tokens.agent
        self.state = tokens.agent.state
        return tokens.agent

    # -- after sign-in -------------------------------------------------------

    async def open_store(self) -> LocalStore:
        """Open (lock) this agent's local store. Raises ``StoreError`` subclasses."""
        assert self.employee_id
        self.store = await asyncio.to_thread(self._open_and_check)
        self.sync = SyncService(
            self.api,
            self.store,
            on_status=self._sync_status,
            on_change=self._collection_changed,
            on_back_online=self._kick_follower,
            on_sent=self._outbox_sent,
        )
        # The wrap-up form's catalogues survive an outage and a restart (store collection).
        from csdesk.services.catalogues import StoreCatalogues

        self.contact.catalogues = StoreCatalogues(self.sync)
        return self.store

    def _outbox_sent(self, item: Any, answer: Any) -> None:
        """An outbox item reached the backend: a queued wrap-up is said on the desk
        (the contact service hears its record)."""
        if item.kind == WRAP_UP_KIND:
            contact_id = item.path.removeprefix("/contacts/").removesuffix("/wrap-up")
            self.contact.wrap_up_delivered(contact_id, answer)

    def _open_and_check(self) -> LocalStore:
        """Open the store and read every collection file now, so a corrupt one
        is reported at sign-in (naming the file) rather than mid-shift."""
        assert self.employee_id
        store = LocalStore.open(self.data_dir, self.backend_url, self.employee_id)
        try:
            for path in sorted(store.folder.glob("*.json")):
                if _COLLECTION_NAME.fullmatch(path.stem):
                    store.collection(path.stem)
        except BaseException:
            store.close()
            raise
        return store

    def _sync_status(self, status: SyncStatus) -> None:
        tell(self.on_sync, status)
        queued = self.contact.queued_wrap_up
        if status.failed and queued is not None:
            # Refused items stay in the outbox: was it the queued wrap-up?
            self._refusal_check = asyncio.ensure_future(self._check_refused_wrap_up(queued.contact_id))

    async def _check_refused_wrap_up(self, contact_id: str) -> None:
        """When the backend refused the queued wrap-up of ``contact_id`` for good,
        the contact is still in wrap-up there: show it again (resync) so the
        agent can wrap up anew, instead of "queued" forever."""
        if self.sync is None:
            return
        path = f"/contacts/{contact_id}/wrap-up"
        try:
            failed = await self.sync.io(self.sync.outbox.items, "failed")
        except Exception:
            return  # the store closed (signing out)
        if not any(item.kind == WRAP_UP_KIND and item.path == path for item in failed):
            return
        queued = self.contact.queued_wrap_up
        if queued is None or queued.contact_id != contact_id:
            return
        self.contact.wrap_up_refused(contact_id)
        try:
            await self.contact.resync()
        except ApiError:
            pass  # the next reconnect resyncs

    def _collection_changed(self, collection: str) -> None:
        tell(self.on_collection_changed, collection)

    async def initial_sync(self) -> bool:
        """Learn the bank's desk policy, then pull every collection once.

        Returns False (and keeps going) when offline.
        """
        assert self.sync
        await self.load_desk_policy()
        try:
            await self.sync.pull_all()
        except ApiError:
            await self.sync.refresh_status()
            return False
        return True

    async def load_desk_policy(self) -> schemas.DeskPolicyView | None:
        """Fetch the bank's limits (``GET /auth/desk-policy``) into :attr:`desk_policy`.

        The answer is kept in the agent's store (meta ``desk_policy``) so
        that a desk entered while the backend is unreachable still uses the
        last known limits; with neither, :attr:`desk_policy` stays None and
        the client fallbacks apply. Never raises for backend faults.
        """
        assert self.sync and self.store
        store = self.store
        try:
            policy: schemas.DeskPolicyView | None = await self.api.desk_policy()
        except ApiError:
            cached = await self.sync.io(store.get_meta, "desk_policy", None)
            try:
                policy = schemas.DeskPolicyView.model_validate(cached) if cached else None
            except ValueError:
                policy = None
        else:
            assert policy is not None
            await self.sync.io(store.set_meta, "desk_policy", policy.model_dump(mode="json"))
        if policy is not None:
            self.desk_policy = policy
        return self.desk_policy

    @property
    def max_idle_lock_minutes(self) -> int | None:
        """The bank's longest idle lock in whole minutes, or None before it is known."""
        return self.desk_policy.max_idle_lock_minutes if self.desk_policy else None

    def make_follower(self) -> EventFollower:
        """The event stream follower; the app runs :meth:`EventFollower.run` as a worker."""
        self.follower = EventFollower(
            self.api, self._on_event, self._on_stream_status, on_unauthorized=self._on_unauthorized
        )
        return self.follower

    async def _on_stream_status(self, connected: bool) -> None:
        if self.store is None or self.store.closed:
            return
        if self.sync:
            await self.sync.set_online(connected, None if connected else "event stream lost")
        if connected:
            # Catch up on anything missed while the stream was down.
            try:
                if self.sync:
                    await self.sync.pull_all()
                await self._refresh_state()
                await self.contact.resync()
            except ApiError:
                pass

    def _kick_follower(self) -> None:
        if self.follower and not self.follower.connected:
            self.follower.kick()

    def _on_unauthorized(self) -> None:
        if not self._signing_out:
            tell(self.on_signed_out)

    async def _refresh_state(self) -> None:
        me = await self.api.me()
        self.profile = me
        self._set_state(me.state)

    def _set_state(self, view: schemas.AgentStateView) -> None:
        self.state = view
        tell(self.on_state, view)

    async def _on_event(self, event: schemas.Event) -> None:
        if await self.contact.handle_event(event):
            return
        if event.type == "state":
            try:
                view = schemas.AgentStateView.model_validate(event.data)
            except ValueError:
                return
            self._set_state(view)
            if view.state is AgentState.OFFLINE and not self._signing_out:
                tell(self.on_signed_out)
        elif event.type == "announcement" and self.sync and self.store:
            try:
                ann = schemas.Announcement.model_validate(event.data)
            except ValueError:
                return
            # The broadcast carries no per-agent acknowledgement: pull this
            # agent's view instead of storing the event as it is.
            try:
                await self.sync.pull("announcements")
            except ApiError:
                pass
            tell(self.on_announcement, ann)
        elif event.type in _PULL_ON_EVENT and self.sync and self.store:
            # Only a hint: pull this agent's copy (the pull reports the change).
            try:
                await self.sync.pull(_PULL_ON_EVENT[event.type])
            except ApiError:
                pass
        elif event.type == "settings" and self.sync and self.store:
            if await self.sync.io(self.sync.has_pending, "settings.update"):
                return  # our own newer edit is queued; its result settles the version
            await self.sync.io(self.store.upsert, "settings", SETTINGS_ID, event.data)
            if isinstance(event.data.get("data"), dict):
                tell(self.on_settings, event.data["data"])

    # -- announcements (operating guide §1.2) ------------------------------

    def _announcements_now(self) -> list[schemas.Announcement]:
        assert self.store
        acks = self.store.all(LOCAL_ACKS)
        now = datetime.now(timezone.utc)
        result: list[schemas.Announcement] = []
        for doc in self.store.all("announcements").values():
            try:
                ann = schemas.Announcement.model_validate(doc)
            except ValueError:
                continue
            if ann.expires_at and ann.expires_at <= now:
                continue
            local = acks.get(ann.id)
            if local and local.get("version", 0) >= ann.version and not (
                ann.acknowledged_version and ann.acknowledged_version >= ann.version
            ):
                ann = ann.model_copy(
                    update={
                        "acknowledged_version": local["version"],
                        "acknowledged_at": datetime.fromtimestamp(local["at"], timezone.utc),
                    }
                )
            result.append(ann)
        result.sort(key=lambda a: a.published_at, reverse=True)
        return result

    async def announcements(self) -> list[schemas.Announcement]:
        """Current announcements from the local copy, newest first, with acks merged."""
        assert self.sync
        return await self.sync.io(self._announcements_now)

    async def unread_announcements(self) -> list[schemas.Announcement]:
        """Announcements this agent has not acknowledged at their current version."""
        return [a for a in await self.announcements() if is_unread(a)]

    async def acknowledge(self, ann: schemas.Announcement) -> None:
        """Record the ack locally at once and queue it for the server (outbox)."""
        assert self.sync and self.store
        await self.sync.io(
            self.store.upsert, LOCAL_ACKS, ann.id,
            {"id": ann.id, "version": ann.version, "at": time.time()},
        )
        await self.sync.enqueue(
            ACK_KIND, "POST", f"/announcements/{ann.id}/ack", {"version": ann.version}
        )

    # -- settings ----------------------------------------------------------

    async def settings(self) -> dict[str, Any]:
        """The agent's settings from the local copy (``{}`` before the first pull)."""
        assert self.sync and self.store
        doc = await self.sync.io(self.store.get, "settings", SETTINGS_ID)
        return dict((doc or {}).get("data") or {})

    async def save_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply ``changes`` locally at once and queue them for the server."""
        assert self.sync and self.store

        def apply() -> tuple[dict[str, Any], int]:
            doc = self.store.get("settings", SETTINGS_ID) or {"id": SETTINGS_ID, "version": 0}
            data = {**(doc.get("data") or {}), **changes}
            self.store.upsert("settings", SETTINGS_ID, {**doc, "id": SETTINGS_ID, "data": data})
            return data, int(doc.get("version") or 0)

        data, base = await self.sync.io(apply)
        await self.sync.enqueue(
            "settings.update", "PUT", "/me/settings",
            {"data": data, "base_version": base, "changed": changes},
        )
        return data

    # -- staying signed in: refresh token, resume, idle unlock ----------------

    async def remember_sign_in(self) -> None:
        """After sign-in: keep the refresh token (keyring, else memory) and
        remember this agent as the last one on this backend (a file in the
        data folder; not a secret). Never raises: a file that cannot be
        written only means no resume offer next time."""
        assert self.employee_id
        self._keep_token = True
        token = self.api.refresh_token
        if token:
            await self.secrets.save(self.backend_url, self.employee_id, token)
            self._report_secret_notice()
        try:
            await asyncio.to_thread(write_last_agent, self.data_dir, self.backend_url, self.employee_id)
        except OSError:
            pass

    async def forget_sign_in(self) -> None:
        """Delete this agent's kept refresh token (sign-out, revoked session)."""
        self._keep_token = False
        await self._settle_token_saves()
        if self.employee_id:
            await self.secrets.delete(self.backend_url, self.employee_id)

    def _tokens_rotated(self, tokens: schemas.TokenPair) -> None:
        """ApiClient hook: a refresh rotated the pair; keep the new refresh token."""
        if not self._keep_token or not self.employee_id:
            return
        eid, token = self.employee_id, tokens.refresh_token

        async def save() -> None:
            await self.secrets.save(self.backend_url, eid, token)
            self._report_secret_notice()

        task = asyncio.get_running_loop().create_task(save())
        self._token_tasks.add(task)
        task.add_done_callback(self._token_tasks.discard)

    def _report_secret_notice(self) -> None:
        reason = self.secrets.take_notice() if self.on_secret_notice else None
        if reason:
            tell(self.on_secret_notice, reason)

    async def _settle_token_saves(self) -> None:
        """Wait for keyring saves already started (so a later delete lands last)."""
        for task in list(self._token_tasks):
            try:
                await task
            except Exception:
                pass

    async def resumable_agent(self) -> str | None:
        """The employee ID whose shift can be resumed here, or None.

        That is the last agent signed in to this backend on this machine,
        when a refresh token of theirs is still kept (keyring calls are
        bounded by the store's timeout).
        """
        eid = await asyncio.to_thread(read_last_agent, self.data_dir, self.backend_url)
        if eid is None:
            return None
        token = await self.secrets.load(self.backend_url, eid)
        return eid if token else None

    async def resume(self, employee_id: str) -> schemas.AgentProfile:
        """Sign in again with the kept refresh token (``POST /auth/refresh``).

        Afterwards the caller opens the store and enters the desk, as after
        MFA. Raises ``StoreLockedError`` (this agent's csdesk is already
        running here: refreshing would rotate the token under it),
        ``ProblemError`` ``unauthorized`` (token expired or revoked; it is
        then deleted), ``OfflineError``/``BadResponseError`` (token kept).
        """
        eid = normalize_employee_id(employee_id)
        if await asyncio.to_thread(self.store_in_use, eid):
            raise StoreLockedError(store_folder(self.data_dir, self.backend_url, eid))
        token = await self.secrets.load(self.backend_url, eid)
        if not token:
            raise ProblemError(schemas.Problem(title="Not signed in", status=401, code="unauthorized"))
        self.employee_id = eid
        self.api.refresh_token = token
        try:
            tokens = await self.api.refresh()
        except ProblemError:
            self.api.refresh_token = None
            await self.secrets.delete(self.backend_url, eid)
            raise
        except ApiError:
            self.api.refresh_token = None
            raise
        if normalize_employee_id(tokens.agent.employee_id) != eid:
            # Not this agent's token (the keyring entry was tampered with).
            try:
                await self.api.logout()
            except ApiError:
                pass
            self.api.access_token = self.api.refresh_token = None
            await self.secrets.delete(self.backend_url, eid)
            raise ProblemError(schemas.Problem(title="Not signed in", status=401, code="unauthorized"))
        self._keep_token = True
        await self.secrets.save(self.backend_url, eid, tokens.refresh_token)
        self.profile = tokens.agent
        self.state = tokens.agent.state
        return tokens.agent

    async def unlock(self, password: str) -> None:
        """Open the idle lock: ``POST /auth/reauth`` with the agent's password.

        Raises ``ProblemError`` (``invalid-credentials``: wrong password,
        counted toward the lockout; ``account-locked`` with
        ``problem.locked_until``; ``unauthorized``: the session ended),
        ``OfflineError`` or ``BadResponseError``. After ``account-locked``
        the backend has ended this sign-in (tokens revoked, agent Offline):
        the session counts as signing out, so the stream's Offline event is
        not reported as "signed out elsewhere".
        """
        try:
            await self.api.reauth(password)
        except ProblemError as exc:
            if exc.code == "account-locked":
                self._signing_out = True
            raise

    # -- live calls ----------------------------------------------------------

    async def set_state(
        self, state: AgentState, reason: NotReadyReason | None = None
    ) -> schemas.AgentStateView:
        """Change state on the server (live; raises ``OfflineError`` when offline,
        and the sync status shows offline)."""
        try:
            view = await self.api.set_state(state, reason)
        except OfflineError as exc:
            if self.sync:
                await self.sync.set_online(False, str(exc))
            raise
        self._set_state(view)
        return view

    async def wrap_up(self, request: cs.WrapUpRequest) -> cs.SessionRecordView | None:
        """Leave ACW with ``request`` (guide §2.3): the session record from the
        backend, or None when the backend cannot be reached and the wrap-up
        was queued in the outbox instead (same idempotency key; sent when the
        backend is back, so the wrap-up is never lost or applied twice).

        Raises ``ProblemError`` (refused: unknown code, not in wrap-up),
        ``RuntimeError`` without a contact, ``OSError`` if the outbox write fails.
        """
        # The submit by the server's clock (before the call, which may take a timeout to fail):
        # a queued wrap-up carries it as ``submitted_at`` (its ACW time ends there).
        server_now = datetime.now(timezone.utc) + timedelta(seconds=self.clock_skew)
        try:
            record = await self.contact.wrap_up(request)
        except OfflineError as exc:
            if self.sync is None:
                raise
            await self.sync.set_online(False, str(exc))
            contact_id, key, body = self.contact.wrap_up_queued(request, server_now=server_now)
            await self.sync.enqueue(WRAP_UP_KIND, "POST", f"/contacts/{contact_id}/wrap-up", body, key=key)
            return None
        if self.sync is not None and self.store is not None:
            try:  # the local copy F8 reads (with the transcript)
                await self.sync.pull(RECORDS_COLLECTION)
            except ApiError:
                pass  # the next pull brings it
        return record

    async def retry_failed(self) -> int:
        """Queue every refused outbox item again; return how many."""
        assert self.sync

        def requeue() -> int:
            failed = [i for i in self.sync.outbox.items() if i.status == "failed"]
            for item in failed:
                self.sync.outbox.retry_failed(item.key)
            return len(failed)

        count = await self.sync.io(requeue)
        await self.sync.refresh_status()
        self.sync.wake()
        return count

    async def flush_outbox(self, timeout: float = 3.0) -> int:
        """Try to push what is queued before sign-out; return what is still pending."""
        if not self.sync:
            return 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not await self.sync.push_once():
                break
        return (await self.sync.refresh_status()).pending

    async def sign_out(self) -> None:
        """Sign out on the server (state Offline, tokens revoked). Raises ``ApiError``."""
        try:
            await self.flush_outbox()
        except ApiError:
            pass
        self._signing_out = True
        try:
            await self.api.logout()
        except BaseException:
            self._signing_out = False
            raise
        await self.forget_sign_in()

    async def revoke_quietly(self, timeout: float = 3.0) -> None:
        """Best effort: revoke this terminal's tokens (the session already
        ended on the server side); failures are ignored."""
        self._signing_out = True
        try:
            await asyncio.wait_for(self.api.logout(), timeout)
        except (ApiError, asyncio.TimeoutError):
            pass
        await self.forget_sign_in()

    @property
    def work_orders(self) -> WorkOrderService | None:
        """The signed-in agent's work orders (issue #6), made on first use; None
        before the store is open or the agent is known."""
        if self._work_orders is None and self.sync is not None and self.profile is not None:
            from csdesk.services.work_orders import WorkOrderService

            self._work_orders = WorkOrderService(self.sync, self.profile.employee_id, self.profile.team)
        return self._work_orders

    async def close(self) -> None:
        """Release the store lock and close connections (idempotent)."""
        self._work_orders = None
        self._keep_token = False
        await self._settle_token_saves()
        if self.follower:
            self.follower.stop()
        if self.store:
            store, self.store = self.store, None
            await asyncio.to_thread(store.close)
        try:
            await self.api.aclose()
        except OfflineError:
            pass
