"""Typed async client of the csdesk backend (``/api/v1``, docs/protocol.md).

One :class:`ApiClient` per backend URL. It holds the access and refresh tokens
in memory only (never on disk) and refreshes the access token once when the
server says it expired. Every call raises :class:`OfflineError`,
:class:`ProblemError` or :class:`BadResponseError` (``csdesk.api.errors``), so
callers handle three cases and never see an httpx or pydantic exception.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from csdesk import __version__
from csdesk.api.errors import BadResponseError, OfflineError, ProblemError
from csdesk.domain import contact_schemas as cs
from csdesk.domain import schemas
from csdesk.domain.agent_state import AgentState, NotReadyReason

M = TypeVar("M", bound=BaseModel)

API_PREFIX = "/api/v1"
#: Seconds: connect, write and pool limits, and the read limit for plain calls.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class ApiClient:
    """Calls the backend at ``base_url`` (``http://host:port``, no ``/api/v1``).

    ``transport`` lets tests inject faults a real server cannot show.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self._refresh_lock: asyncio.Lock | None = None
        #: Called with the new pair after sign-in and after every refresh
        #: (rotation: the old refresh token is dead), so the session can
        #: keep the current refresh token in the keyring. Runs in the loop.
        self.on_tokens: Callable[[schemas.TokenPair], None] | None = None
        self._http = httpx.AsyncClient(
            base_url=self.base_url + API_PREFIX,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": f"csdesk/{__version__}", "Accept": "application/json"},
        )

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying httpx client (for the event stream)."""
        return self._http

    async def aclose(self) -> None:
        """Close connections. The tokens are forgotten."""
        self.access_token = self.refresh_token = None
        await self._http.aclose()

    def auth_headers(self) -> dict[str, str]:
        """``Authorization`` header for the current access token, or ``{}``."""
        return {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}

    # -- plumbing ---------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        auth: bool = True,
        retry_auth: bool = True,
    ) -> httpx.Response:
        """Send one request and return a 2xx response.

        Raises ``OfflineError`` on connection failure or timeout,
        ``ProblemError`` on a 4xx/5xx with a problem body, ``BadResponseError``
        on an error status without one. A ``token-expired`` answer triggers one
        refresh and one retry.
        """
        sent_token = self.access_token
        headers = self.auth_headers() if auth else {}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            response = await self._http.request(
                method, path, json=json_body, params=params, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise OfflineError("the backend did not answer in time") from exc
        except (httpx.TransportError, OSError) as exc:
            raise OfflineError("the backend cannot be reached") from exc
        if response.is_success:
            return response
        problem = problem_of(response)
        if (
            problem.code == "token-expired"
            and retry_auth
            and auth
            and self.refresh_token
        ):
            await self.refresh_once(sent_token)
            return await self.request(
                method,
                path,
                json_body=json_body,
                params=params,
                idempotency_key=idempotency_key,
                auth=auth,
                retry_auth=False,
            )
        raise ProblemError(problem)

    async def _get_model(self, model: type[M], path: str, **kw: Any) -> M:
        return parse_model(model, await self.request("GET", path, **kw))

    # -- calls ------------------------------------------------------------

    async def health(self) -> schemas.Health:
        """``GET /health``: backend up, its version and clock."""
        return await self._get_model(schemas.Health, "/health", auth=False)

    async def login(self, employee_id: str, password: str) -> schemas.MfaChallenge:
        """Sign-in step 1. Raises ``ProblemError`` (``invalid-credentials``, …)."""
        body = schemas.LoginRequest(employee_id=employee_id, password=password)
        response = await self.request(
            "POST", "/auth/login", json_body=body.model_dump(), auth=False
        )
        return parse_model(schemas.MfaChallenge, response)

    async def verify_mfa(self, ticket: str, code: str, method: str = "totp") -> schemas.TokenPair:
        """Sign-in step 2; keeps the tokens. Raises ``ProblemError`` (``invalid-code``, …)."""
        body = schemas.MfaRequest(mfa_ticket=ticket, code=code, method=method)
        response = await self.request(
            "POST", "/auth/mfa", json_body=body.model_dump(), auth=False
        )
        tokens = parse_model(schemas.TokenPair, response)
        self._set_tokens(tokens)
        return tokens

    async def confirm_totp(self, ticket: str, code: str) -> schemas.TokenPair:
        """Enable TOTP with its first code and sign in; keeps the tokens (``/auth/totp/confirm``)."""
        body = schemas.TotpConfirmRequest(mfa_ticket=ticket, code=code)
        response = await self.request(
            "POST", "/auth/totp/confirm", json_body=body.model_dump(), auth=False
        )
        tokens = parse_model(schemas.TokenPair, response)
        self._set_tokens(tokens)
        return tokens

    def _set_tokens(self, tokens: schemas.TokenPair) -> None:
        """Keep ``tokens`` and tell :attr:`on_tokens`."""
        self.access_token, self.refresh_token = tokens.access_token, tokens.refresh_token
        if self.on_tokens is not None:
            self.on_tokens(tokens)

    async def refresh_once(self, expired_token: str | None) -> None:
        """Refresh unless another caller already replaced ``expired_token``.

        Serialised: the push loop and the event stream may both meet an
        expired token at once, and presenting a rotated refresh token twice
        makes the server revoke the whole sign-in (RFC 9700 reuse detection).
        """
        if self._refresh_lock is None:
            self._refresh_lock = asyncio.Lock()
        async with self._refresh_lock:
            if self.access_token == expired_token:
                await self.refresh()

    async def refresh(self) -> schemas.TokenPair:
        """Rotate the token pair with the refresh token."""
        if not self.refresh_token:
            raise ProblemError(
                schemas.Problem(title="Not signed in", status=401, code="unauthorized")
            )
        body = schemas.RefreshRequest(refresh_token=self.refresh_token)
        response = await self.request(
            "POST", "/auth/refresh", json_body=body.model_dump(), auth=False
        )
        tokens = parse_model(schemas.TokenPair, response)
        self._set_tokens(tokens)
        return tokens

    async def reauth(self, password: str) -> None:
        """``POST /auth/reauth``: prove it is still the signed-in agent (idle unlock).

        ``password`` is the agent's password (1–1024 characters; never kept).
        Returns None on 204. Raises ``ProblemError`` ``invalid-credentials``
        (wrong password; counts toward the lockout), ``account-locked`` (423,
        locked until a time), ``unauthorized`` (session ended); or
        ``OfflineError`` / ``BadResponseError``.
        """
        await self.request("POST", "/auth/reauth", json_body={"password": password})

    async def logout(self) -> None:
        """Sign out: the server sets the agent Offline and revokes the tokens."""
        await self.request("POST", "/auth/logout", retry_auth=False)
        self.access_token = self.refresh_token = None

    async def desk_policy(self) -> schemas.DeskPolicyView:
        """``GET /auth/desk-policy`` (no auth): the bank's limits, e.g. the longest idle lock.

        Raises ``ProblemError`` (``not-found`` from a backend without it),
        ``OfflineError``, ``BadResponseError``.
        """
        return await self._get_model(schemas.DeskPolicyView, "/auth/desk-policy", auth=False)

    async def me(self) -> schemas.AgentProfile:
        """``GET /me``: who is signed in and their state."""
        return await self._get_model(schemas.AgentProfile, "/me")

    async def set_state(
        self, state: AgentState, reason: NotReadyReason | None = None
    ) -> schemas.AgentStateView:
        """Live state change (never queued). Raises ``ProblemError`` ``illegal-transition``."""
        body = schemas.StateChangeRequest(state=state, reason=reason)
        response = await self.request("PUT", "/me/state", json_body=body.model_dump(mode="json"))
        return parse_model(schemas.AgentStateView, response)

    async def announcements(self) -> list[schemas.Announcement]:
        """Current announcements, newest first, with this agent's acknowledgement."""
        response = await self.request("GET", "/announcements")
        return parse_list(schemas.Announcement, response)

    async def sync_page(
        self, collection: str, since: str | None, limit: int = 500
    ) -> schemas.SyncPage:
        """One page of changes of ``collection`` after cursor ``since``."""
        params: dict[str, Any] = {"limit": limit}
        if since:
            params["since"] = since
        return await self._get_model(schemas.SyncPage, f"/sync/{collection}", params=params)

    async def send_mutation(
        self, method: str, path: str, body: Any, idempotency_key: str
    ) -> Any:
        """Send a queued mutation with its idempotency key; return the JSON answer."""
        response = await self.request(
            method, path, json_body=body, idempotency_key=idempotency_key
        )
        if response.status_code == 204 or not response.content:
            return None
        return parse_json(response)

    # -- live session (issue #4; docs/protocol.md "Live session") --------------

    async def _post_model(
        self, model: type[M], path: str, body: Any = None, *,
        idempotency_key: str | None = None, params: dict[str, Any] | None = None,
    ) -> M:
        """POST ``body`` (``{}`` when None) with an ``Idempotency-Key`` (a new UUID
        when ``idempotency_key`` is None) and parse the answer as ``model``."""
        response = await self.request(
            "POST", path, json_body={} if body is None else body, params=params,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return parse_model(model, response)

    async def current_contact(self, lang: str | None = None) -> cs.ContactView | None:
        """``GET /me/contact``: the agent's offered/active/wrap-up contact, or None (404).

        ``lang`` (``zh-CN``/``en``) picks the greeting's language. Raises
        ``OfflineError``, ``ProblemError``, ``BadResponseError``.
        """
        try:
            return await self._get_model(cs.ContactView, "/me/contact", params=_lang(lang))
        except ProblemError as exc:
            if exc.status == 404:
                return None
            raise

    async def get_contact(self, contact_id: str, lang: str | None = None) -> cs.ContactView:
        """``GET /contacts/{id}``: one of the agent's contacts with card and transcript.

        Raises ``ProblemError`` ``not-found`` (unknown or another agent's).
        """
        return await self._get_model(cs.ContactView, f"/contacts/{contact_id}", params=_lang(lang))

    async def accept_contact(
        self, contact_id: str, *, lang: str | None = None, idempotency_key: str | None = None
    ) -> cs.ContactView:
        """``POST /contacts/{id}/accept``: the contact, now ``active``, with transcript
        and greeting. Raises ``ProblemError`` ``illegal-transition`` when the offer is
        no longer this agent's."""
        return await self._post_model(
            cs.ContactView, f"/contacts/{contact_id}/accept",
            idempotency_key=idempotency_key, params=_lang(lang),
        )

    async def decline_contact(
        self, contact_id: str, reason: str, *, idempotency_key: str | None = None
    ) -> cs.ContactView:
        """``POST /contacts/{id}/decline`` with ``reason`` (1–64 characters): the contact
        (no customer, no transcript); the agent goes Not Ready."""
        body = cs.DeclineRequest(reason=reason).model_dump(mode="json")
        return await self._post_model(
            cs.ContactView, f"/contacts/{contact_id}/decline", body, idempotency_key=idempotency_key
        )

    async def send_message(
        self, contact_id: str, text: str, kind: str = "message", *, idempotency_key: str | None = None
    ) -> cs.TranscriptLine:
        """``POST /contacts/{id}/messages``: a chat message (``kind='message'``) or a
        private note (``'note'``); the new transcript line. ``text`` 1–4000
        characters (else ``ValueError`` before sending). Raises ``ProblemError``
        ``contact-not-active``."""
        body = cs.MessageRequest(text=text, kind=kind).model_dump(mode="json")  # type: ignore[arg-type]
        return await self._post_model(
            cs.TranscriptLine, f"/contacts/{contact_id}/messages", body, idempotency_key=idempotency_key
        )

    async def contact_action(
        self, contact_id: str, action: str, *, idempotency_key: str | None = None
    ) -> cs.ContactView:
        """``POST /contacts/{id}/{action}`` for ``action`` in :data:`CONTACT_ACTIONS`
        (``hold``, ``resume``, ``mute``, ``unmute``, ``end``, ``acw/extend``): the
        contact after it. Raises ``ValueError`` for another action, ``ProblemError``
        ``illegal-transition`` (chat hold, hold while held, second extend …)."""
        if action not in CONTACT_ACTIONS:
            raise ValueError(f"unknown contact action {action!r}")
        return await self._post_model(
            cs.ContactView, f"/contacts/{contact_id}/{action}", idempotency_key=idempotency_key
        )

    async def transfer_contact(
        self, contact_id: str, queue: str, *, idempotency_key: str | None = None
    ) -> cs.ContactView:
        """``POST /contacts/{id}/transfer`` to phone ``queue``: this contact, now
        ``wrap_up``. Raises ``ProblemError`` ``validation-error`` (unknown, non-phone
        or same queue)."""
        body = cs.TransferRequest(queue=queue).model_dump(mode="json")
        return await self._post_model(
            cs.ContactView, f"/contacts/{contact_id}/transfer", body, idempotency_key=idempotency_key
        )

    async def wrap_up(
        self, contact_id: str, request: cs.WrapUpRequest, *, idempotency_key: str | None = None
    ) -> cs.SessionRecordView:
        """``POST /contacts/{id}/wrap-up``: the session record; the agent leaves ACW.
        Raises ``ProblemError`` ``validation-error`` (unknown disposition),
        ``contact-not-active`` (not in wrap-up)."""
        return await self._post_model(
            cs.SessionRecordView, f"/contacts/{contact_id}/wrap-up",
            request.model_dump(mode="json"), idempotency_key=idempotency_key,
        )

    async def dispositions(self) -> list[cs.DispositionCategory]:
        """``GET /dispositions``: the two-level wrap-up list."""
        return parse_list(cs.DispositionCategory, await self.request("GET", "/dispositions"))

    async def queues(self) -> list[cs.QueueStats]:
        """``GET /queues``: every queue's waiting count and longest wait (seconds)."""
        return parse_list(cs.QueueStats, await self.request("GET", "/queues"))

    async def verification_info(self, contact_id: str) -> cs.VerificationInfo:
        """``GET /contacts/{id}/verification``: question to read, methods, state so far.
        Raises ``ProblemError`` ``contact-not-active``."""
        return await self._get_model(cs.VerificationInfo, f"/contacts/{contact_id}/verification")

    async def verify(self, contact_id: str, method: str, answer: str = "") -> cs.VerifyResult:
        """``POST /contacts/{id}/verify`` (live, no idempotency key): pass/fail and the
        level. Raises ``ProblemError`` ``validation-error`` (answer of the wrong
        shape, not counted), ``verification-locked`` (423), ``keypad-unavailable``."""
        body = cs.VerifyRequest(method=method, answer=answer).model_dump(mode="json")  # type: ignore[arg-type]
        response = await self.request("POST", f"/contacts/{contact_id}/verify", json_body=body)
        return parse_model(cs.VerifyResult, response)

    async def operations(self) -> list[cs.OperationSpec]:
        """``GET /operations``: the business-operation catalogue."""
        return parse_list(cs.OperationSpec, await self.request("GET", "/operations"))

    async def products(self) -> list[cs.WealthProduct]:
        """``GET /operations/products``: wealth products on sale (risk 1–5, minimum yuan)."""
        return parse_list(cs.WealthProduct, await self.request("GET", "/operations/products"))

    async def send_disclosure(
        self, contact_id: str, operation: str, language: str = "zh-CN"
    ) -> cs.DisclosureResult:
        """``POST /contacts/{id}/disclosures``: send ``operation``'s risk disclosure
        (``language`` ``zh-CN``/``en``); ``consent`` None until the customer answers.
        Raises ``ProblemError`` ``validation-error`` (operation without one)."""
        body = cs.DisclosureRequest(operation=operation, language=language).model_dump(mode="json")  # type: ignore[arg-type]
        response = await self.request("POST", f"/contacts/{contact_id}/disclosures", json_body=body)
        return parse_model(cs.DisclosureResult, response)

    async def get_disclosure(self, contact_id: str, disclosure_id: str) -> cs.DisclosureResult:
        """``GET /contacts/{id}/disclosures/{did}``: poll the customer's consent."""
        return await self._get_model(
            cs.DisclosureResult, f"/contacts/{contact_id}/disclosures/{disclosure_id}"
        )

    async def execute_operation(
        self, contact_id: str, code: str, request: cs.OperationRequest, *,
        idempotency_key: str | None = None, lang: str | None = None,
    ) -> cs.OperationDone:
        """``POST /contacts/{id}/operations/{code}``: result with its reference
        (its ``summary`` in ``lang``, ``zh-CN``/``en``; bilingual without).

        Pass the same ``idempotency_key`` to retry: the backend never executes
        twice. Raises ``ProblemError`` ``verification-required`` (403, with
        ``required_level``/``current_level``), ``disclosure-required`` (409),
        ``validation-error`` (422, per-field ``errors``), ``risk-rating-exceeded``,
        ``verification-locked``.
        """
        return await self._post_model(
            cs.OperationDone, f"/contacts/{contact_id}/operations/{code}",
            request.model_dump(mode="json"), idempotency_key=idempotency_key,
            params={"lang": lang} if lang else None,
        )


#: Body-less contact actions of :meth:`ApiClient.contact_action` (path suffixes).
CONTACT_ACTIONS = frozenset({"hold", "resume", "mute", "unmute", "end", "acw/extend"})


def new_idempotency_key() -> str:
    """A fresh ``Idempotency-Key`` value (a random UUID4 string)."""
    return str(uuid.uuid4())


def _lang(lang: str | None) -> dict[str, Any] | None:
    return {"lang": lang} if lang else None


def parse_json(response: httpx.Response) -> Any:
    """Decode a JSON body. Raises ``BadResponseError`` when it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadResponseError(
            f"the backend sent a reply that is not JSON (HTTP {response.status_code})"
        ) from exc


def parse_model(model: type[M], response: httpx.Response) -> M:
    """Validate a JSON body as ``model``. Raises ``BadResponseError`` with the bad field."""
    data = parse_json(response)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadResponseError(_describe(model.__name__, exc)) from exc


def parse_list(model: type[M], response: httpx.Response) -> list[M]:
    """Validate a JSON array of ``model``. Raises ``BadResponseError``."""
    data = parse_json(response)
    try:
        return TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise BadResponseError(_describe(f"list of {model.__name__}", exc)) from exc


def _describe(what: str, exc: ValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ())) or "(root)"
    return f"the backend sent an unexpected reply ({what}: field '{where}' {first.get('msg', 'invalid')})"


def problem_of(response: httpx.Response) -> schemas.Problem:
    """Turn an error response into a Problem; a non-problem body becomes a generic one."""
    try:
        data = response.json()
        if isinstance(data, dict):
            return schemas.Problem.model_validate(data)
    except (json.JSONDecodeError, UnicodeDecodeError, ValidationError):
        pass
    if response.status_code >= 500:
        raise BadResponseError(f"the backend failed (HTTP {response.status_code})")
    raise BadResponseError(
        f"the backend refused the request without an explanation (HTTP {response.status_code})"
    )
