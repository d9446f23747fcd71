"""The live session on the desk, driven with Pilot against the real backend (issue #4).

Offer → accept (Enter) → greeting in the composer → chat → end → wrap-up,
at 80×24; decline with a reason; a missed offer; a phone call with hold;
a customer who hangs up; markup and escape codes from a customer shown
literally.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from csdesk.server.contacts import customer_leaves, customer_says, enqueue_contact
from csdesk.server.customers import DEMO_CUSTOMERS
from csdesk.server.seed import DEMO_AGENTS
from csdesk.widgets.live_contact import LiveContact
from csdesk.widgets.offer_banner import OfferBanner
from tests.tui.helpers import fresh_code, make_app, selects_composed, sign_in_to_desk, submit_code, submit_login, wait_for
from tests.tui.qa_helpers import fill_freeze_form

AGENT = DEMO_AGENTS[0]


def enqueue(backend, channel: str = "chat", words: str = "我的卡丢了", customer: int = 0) -> str:
    queue = "chat.general" if channel == "chat" else "phone.general"
    return enqueue_contact(backend.context, channel, queue, DEMO_CUSTOMERS[customer]["customer_ref"], words)


def live(app) -> LiveContact:
    return app.screen.query_one(LiveContact)


async def go_ready(pilot) -> None:
    app = pilot.app
    session = app.get_session()
    await pilot.press("f2")
    await wait_for(pilot, lambda: session.state is not None and session.state.state.value == "ready")


async def ring(pilot, backend, **kwargs) -> str:
    app = pilot.app
    contact_id = enqueue(backend, **kwargs)
    await wait_for(pilot, lambda: app.get_session().contact.offer is not None, timeout=10)
    desk = next(screen for screen in app.screen_stack if screen.__class__.__name__ == "DeskScreen")
    banner = desk.query_one(OfferBanner)
    await wait_for(pilot, lambda: banner.offer is not None)
    return contact_id


async def take_contact(pilot, backend, **kwargs) -> str:
    """Go Ready, let a contact ring (``enqueue`` arguments), accept it with Enter;
    its id once the desk shows it."""
    app = pilot.app
    await go_ready(pilot)
    contact_id = await ring(pilot, backend, **kwargs)
    await pilot.press("enter")
    service = app.get_session().contact
    await wait_for(pilot, lambda: service.contact is not None and live(app).display)
    return contact_id


async def test_chat_offer_accept_greet_send_end(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await go_ready(pilot)
        await ring(pilot, backend, words="[bold red]hi[/] \x1b[31mred\x1b[0m")
        banner = app.screen.query_one(OfferBanner)
        assert "[bold red]hi[/]" in banner.render_offer().plain
        assert "\x1b" not in banner.render_offer().plain
        await pilot.press("enter")
        service = app.get_session().contact
        await wait_for(pilot, lambda: service.contact is not None and live(app).display)
        composer = live(app).composer
        await wait_for(pilot, lambda: AGENT["employee_id"] in composer.text)
        await pilot.press("enter")  # send the greeting
        await wait_for(pilot, lambda: any(l.speaker == "agent" for l in service.contact.transcript))
        customer_says(backend.context, service.contact.id, "[link]x[/link] \x1b]8;;http://evil\x1b\\click")
        await wait_for(pilot, lambda: "[link]x[/link]" in live(app).transcript.plain_text)
        assert "\x1b" not in live(app).transcript.plain_text
        assert "evil" in live(app).transcript.plain_text or "click" in live(app).transcript.plain_text
        # the checklist ticked greet and learn the need
        result = live(app).checklist.result
        assert result.state("greet").value == "done"
        assert result.state("learn_need").value == "done"
        await pilot.press("alt+e")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: service.contact is not None and service.contact.status.value == "wrap_up")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "WrapUpScreen")


@pytest.mark.backend_settings(offer_timeout=3, routing_tick=0.2)
async def test_decline_with_reason_and_missed_offer(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        session = app.get_session()
        await go_ready(pilot)
        await ring(pilot, backend)
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ReasonScreen")
        await pilot.press("1")
        await wait_for(pilot, lambda: session.state.state.value == "not_ready")
        assert session.state.reason.value == "break"
        await wait_for(pilot, lambda: app.screen.query_one(OfferBanner).offer is None)
        # The contact went back to the queue head: Ready again rings it again.
        # Start declining, then let it ring out: the question closes with it.
        await pilot.press("f2")
        await wait_for(pilot, lambda: session.contact.offer is not None, timeout=10)
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ReasonScreen")
        await wait_for(pilot, lambda: session.state.state.value == "not_ready", timeout=10)
        assert session.state.reason.value == "missed_offer"
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
        assert app.screen.query_one(OfferBanner).offer is None
        await pilot.press("1")  # nothing to decline any more: no error
        await pilot.pause(0.3)
        assert session.state.reason.value == "missed_offer"


async def test_phone_hold_and_customer_hangs_up(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        service = app.get_session().contact
        await take_contact(pilot, backend, channel="phone")
        await pilot.press("alt+h")
        await wait_for(pilot, lambda: service.contact.on_hold)
        assert "ON HOLD" in str(live(app).call_bar.render())
        await asyncio.sleep(1.1)
        await pilot.press("alt+h")
        await wait_for(pilot, lambda: not service.contact.on_hold)
        assert service.contact.hold_seconds >= 1.0
        customer_leaves(backend.context, service.contact.id)
        await wait_for(pilot, lambda: service.contact.status.value == "wrap_up")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "WrapUpScreen")
        form = app.screen
        await wait_for(pilot, lambda: bool(form.query("#callback")) and form.query_one("#callback").value)
        await wait_for(pilot, lambda: selects_composed(app))  # the test ends here


async def test_offer_shows_through_the_lock_screen(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await go_ready(pilot)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LockScreen")
        lock = app.screen
        offer_line = lock.query_one("#offer")
        assert not offer_line.display
        await ring(pilot, backend, words="王先生 13812345678")
        await wait_for(pilot, lambda: offer_line.display)
        shown = str(offer_line.render())
        assert "Chat" in shown and "1381234" not in shown and "王" not in shown
        # Enter on the lock screen does not accept the offer.
        assert app.get_session().contact.contact is None


async def test_wrap_up_offline_goes_to_the_outbox_with_the_same_key(backend, tmp_path: Path) -> None:
    from csdesk.api.errors import OfflineError
    from csdesk.domain.contact_schemas import WrapUpRequest
    from csdesk.services.sync import WRAP_UP_KIND

    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        session = app.get_session()
        service = session.contact
        await take_contact(pilot, backend)
        await service.end()
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "WrapUpScreen")
        await pilot.press("escape")
        contact_id = service.contact.id
        backend.stop()
        request = WrapUpRequest(disposition="inquiry.balance")
        with pytest.raises(OfflineError):
            await service.wrap_up(request)  # outcome unknown: the key is kept
        used = {key for _cid, key in service._keys.values()}
        record = await session.wrap_up(request)
        assert record is None
        assert service.contact is None
        items = await session.sync.io(session.sync.outbox.items)
        queued = [item for item in items if item.kind == WRAP_UP_KIND]
        assert len(queued) == 1 and queued[0].key in used and queued[0].path == f"/contacts/{contact_id}/wrap-up"
        assert queued[0].body["disposition"] == "inquiry.balance"
        await wait_for(pilot, lambda: not live(app).display)


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def test_chat_happy_path_l2_freeze_wrap_up_and_record(backend, tmp_path: Path) -> None:
    """The whole contact through the desk's keys: accept, greet, F5 to L2, F7
    freeze, ask "anything else", end, F9 wrap-up, then F8 shows the record."""
    from textual.widgets import Input

    customer = DEMO_CUSTOMERS[0]
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        service = app.get_session().contact
        await take_contact(pilot, backend, words="I lost my card")
        await wait_for(pilot, lambda: bool(live(app).composer.text))
        await pilot.press("enter")
        contact_id = service.contact.id
        customer_says(backend.context, contact_id, "Please freeze it")
        await wait_for(pilot, lambda: live(app).checklist.result.state("learn_need").value == "done")

        await pilot.press("f5")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "VerificationScreen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.info is not None)
        await pilot.press("1")
        await type_text(pilot, customer["phone"])
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.result is not None and screen.result.level == 1)
        await pilot.press("shift+tab", "2")
        await type_text(pilot, customer["id_number"][-6:])
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.result.level == 2)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
        assert live(app).card.level == 2

        ops = await fill_freeze_form(pilot)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: ops.last_done is not None)
        reference = ops.last_done.reference
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
        await wait_for(pilot, lambda: reference in live(app).transcript.plain_text
                       or any(op.reference == reference for op in service.contact.operations))

        live(app).composer.focus_input()
        await type_text(pilot, "Done. Anything else?")
        await pilot.press("enter")
        await wait_for(pilot, lambda: live(app).checklist.result.state("confirm").value == "done")
        customer_says(backend.context, contact_id, "No, that's all")

        await pilot.press("f9")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "WrapUpScreen")
        wrap = app.screen
        await wait_for(pilot, lambda: bool(wrap.query("#filter")) and wrap.query_one("#filter", Input).has_focus)
        await type_text(pilot, "lost")
        await pilot.press("enter")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen" and service.contact is None)
        record = service.last_record
        assert record is not None and record.contact_id == contact_id
        assert record.verification_level == 2
        assert [op.reference for op in record.operations] == [reference]
        assert record.missed_steps == []

        # F8: the record, synced to the local store, with its transcript.
        await wait_for(pilot, lambda: app.get_session().store.get("session_records", record.id) is not None,
                       timeout=10)
        await pilot.press("f8")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "RecordsScreen")
        records = app.screen
        await wait_for(pilot, lambda: bool(records.records))
        assert records.records[0].id == record.id
        replay = records.query_one("#replay").plain_text
        assert "Please freeze it" in replay and "Anything else?" in replay
        assert reference in str(records.query_one("#detail").render())


def test_desk_keys_are_not_taken_by_the_composer() -> None:
    """The composer's TextArea binds f6/f7 (and more): every desk key it also
    binds must be a priority binding, or typing in the composer hides it."""
    from textual.binding import BindingsMap

    from csdesk.screens.desk import DeskScreen
    from csdesk.widgets.composer import ComposerInput

    composer_keys: set[str] = set()
    for cls in ComposerInput.__mro__:
        for binding in BindingsMap(getattr(cls, "BINDINGS", [])).key_to_bindings:
            composer_keys.add(binding)
    taken = []
    for binding in DeskScreen.BINDINGS:
        for key in binding.key.split(","):
            if key.strip() in composer_keys and not binding.priority and binding.id not in ("desk.todos",):
                taken.append((binding.id, key))
    assert not taken


async def test_sign_out_mid_contact_then_wrap_up_at_the_next_sign_in(backend, tmp_path: Path) -> None:
    """F10 with a chat in hand warns; the backend ends the contact and keeps it
    for the wrap-up, which opens by itself at the next sign-in."""
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        service = app.get_session().contact
        contact_id = await take_contact(pilot, backend)
        await pilot.press("f10")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        assert "contact in hand" in app.screen.question
        await pilot.press("enter")  # the focus is on No: a stray Enter keeps the customer
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
        assert service.contact is not None and app.is_running
        await pilot.press("f10")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.is_running, timeout=15)

    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await submit_login(pilot, AGENT["employee_id"], AGENT["password"])
        await submit_code(pilot, fresh_code(AGENT["totp_secret"], app.server_url))
        await wait_for(pilot, lambda: app.screen.__class__.__name__ in ("AnnouncementsScreen", "WrapUpScreen"))
        if app.screen.__class__.__name__ == "AnnouncementsScreen":
            await pilot.press("c")  # read at the first sign-in
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "WrapUpScreen")
        service = app.get_session().contact
        assert service.contact.id == contact_id and service.contact.status.value == "wrap_up"
        assert app.get_session().state.state.value == "acw"
        assert "signed out" in service.contact.transcript[-1].text


async def test_lock_while_an_offer_rings_shows_it_on_the_lock_screen(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await go_ready(pilot)
        await ring(pilot, backend)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "LockScreen")
        offer_line = app.screen.query_one("#offer")
        await wait_for(pilot, lambda: offer_line.display)
        assert "Chat" in str(offer_line.render())


async def test_alt_keys_from_a_real_terminal_act_and_type_nothing(backend, tmp_path: Path) -> None:
    """A terminal sends alt+h as ESC h: Textual reports key "alt+h" with the
    character "h", which the focused composer used to type (Pilot's press sends
    no character, so only a real key event shows it)."""
    from textual import events

    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        service = app.get_session().contact
        await take_contact(pilot, backend, channel="phone")
        await wait_for(pilot, lambda: live(app).composer.input.has_focus)
        live(app).composer.clear()
        for key, char in (("alt+h", "h"), ("alt+m", "m"), ("alt+n", "n"), ("alt+u", "u"), ("alt+k", "k"),
                          ("alt+c", "c")):
            app.post_message(events.Key(key, char))
            await pilot.pause(0.2)
        await wait_for(pilot, lambda: service.contact.on_hold and service.contact.muted)
        assert live(app).note_mode
        assert live(app).composer.text == ""
        assert live(app).panels.active == "conversation"
        # Back on the conversation after the card: the composer takes the typing.
        app.post_message(events.Key("alt+u", "u"))
        await pilot.pause(0.2)
        app.post_message(events.Key("alt+c", "c"))
        await pilot.pause(0.2)
        await pilot.press("z")
        assert live(app).composer.text == "z"


async def test_messages_sent_fast_arrive_in_the_order_typed(backend, tmp_path: Path) -> None:
    """Found by a tester: six quick Enters went out as m1 m6 m5 m3 m4 m2."""
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        service = app.get_session().contact
        await take_contact(pilot, backend)
        await wait_for(pilot, lambda: live(app).composer.input.has_focus)
        live(app).composer.clear()
        for n in range(1, 7):
            await pilot.press("m", str(n), "enter")
        await wait_for(pilot, lambda: len([l for l in service.contact.transcript if l.speaker == "agent"]) >= 6
                       or bool(live(app).composer.text))
        await pilot.pause(0.5)
        sent = [l.text for l in service.contact.transcript if l.speaker == "agent"]
        held = live(app).composer.text.replace("\n", "")
        # In order and nothing lost: what the guard held back waits in the composer.
        assert "".join(sent) + held == "m1m2m3m4m5m6"
        assert sent == sorted(sent, key=lambda text: int(text[1:]))


async def test_an_offer_while_records_are_open_is_said_over_them(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await go_ready(pilot)
        await pilot.press("f8")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "RecordsScreen")
        await ring(pilot, backend)
        await wait_for(pilot, lambda: any("ringing" in n for n in app.notices))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.get_session().contact.contact is not None)
