"""QA round 6: the live-contact desk (the desk, its modals and timers) against a real backend.

1. Open modals (F5, F7, F9, transfer, the Not Ready / decline reason, the
   end-contact question, key capture) follow a language switch at once —
   titles, labels, hints, lists, the message line — and keep what was
   typed or picked.
2. After-contact work while the backend is unreachable: the ACW counter
   says the desk is offline, reads "over" past the deadline (never a
   frozen 00:00 or a negative time), and a wrap-up queued in the outbox
   stops the ACW clock, is said on the desk with what follows, and the
   agent is shown in ACW until the backend says otherwise; a queued
   wrap-up the backend refuses brings the contact and its form back.
3. A business operation that changes the customer's data (freeze …)
   refreshes the masked customer card from the backend: the card list of
   F7 and the desk's card show the new state, even when the ``contact``
   event is missed.
4. The call bar fits 80 columns in every state, in English and zh-CN
   (measured in terminal cells).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from textual.widgets import Button, Checkbox, Input, OptionList, Select, SelectionList, Static, TextArea

from csdesk.domain.contacts import Channel, ContactStatus
from csdesk.i18n import LANGUAGES, current_language
from csdesk.screens.confirm import ConfirmScreen
from csdesk.screens.reason import ReasonScreen
from csdesk.screens.transfer import TransferScreen
from csdesk.screens.verification import VerificationScreen
from csdesk.screens.wrap_up import WrapUpScreen
from csdesk.server.customers import DEMO_CUSTOMERS
from csdesk.widgets.contact_timers import ContactTimers
from tests.conftest import restartable_server
from tests.tui.helpers import make_app, selects_composed, sign_in_to_desk, wait_for
from tests.tui.live_modal_helpers import live_contact, verify_to
from tests.tui.qa_helpers import desk_of, fill_freeze_form, text_of
from tests.tui.test_desk_live import AGENT, go_ready, live, ring, take_contact

SIZE = (80, 24)


def after_time(key: str, language: str) -> str:
    """The part of message ``key`` after its ``{time}`` (what follows the counter)."""
    return (LANGUAGES[language].get(key) or LANGUAGES["en"][key]).split("{time}", 1)[1]


def everything_shown(screen: Any) -> str:
    """Every text a modal draws: Statics (titles, lines, Select and Checkbox
    labels), list options, placeholders and border titles, one a line."""
    parts: list[str] = []
    for widget in screen.query(Static):
        try:
            parts.append(str(widget.render()))
        except Exception:
            pass
    for options in screen.query(OptionList):
        parts.extend(str(options.get_option_at_index(i).prompt) for i in range(options.option_count))
    for field in screen.query(Input):
        parts.append(str(field.placeholder))
    for button in screen.query(Button):
        parts.append(str(button.label))
    for widget in screen.query("*"):
        if widget.border_title:
            parts.append(str(widget.border_title))
    return "\n".join(parts)


async def switch_language(pilot: Any, language: str) -> None:
    """Switch the desk's language the way the agent does (the palette's
    "Language" entry: saved to the agent's settings, applied at once)."""
    app = pilot.app
    if current_language() != language:
        app._toggle_language()
    await wait_for(pilot, lambda: current_language() == language)
    await pilot.pause()


# -- 1. Open modals follow a language switch ------------------------------------------


async def test_f5_and_f7_follow_a_language_switch_and_keep_the_input(backend, tmp_path: Path) -> None:
    customer = DEMO_CUSTOMERS[0]
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await take_contact(pilot, backend, channel="phone")

        # F5: one method passed (the message line says so), method 2 picked
        # and half an answer typed when the language changes.
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, VerificationScreen) and app.screen.info is not None)
        screen = app.screen
        await pilot.press("1", *customer["phone"], "enter")
        await wait_for(pilot, lambda: screen.result is not None and screen.result.level == 1)
        last6 = customer["id_number"][-6:]
        await pilot.press("shift+tab", "2", *last6[:2])
        answer = screen.query_one("#answer", Input)
        assert answer.value == last6[:2] and screen.focused is answer
        await switch_language(pilot, "zh-CN")
        shown = everything_shown(screen)
        level1 = text_of("verify.level", "zh-CN", level=1, meaning=text_of("verify.level_meaning.1", "zh-CN"))
        for expected in (
            text_of("verify.title", "zh-CN"),
            text_of("verify.level_now", "zh-CN", level=level1),
            text_of("verify.attempts", "zh-CN", failed=0, limit=3),
            text_of("verify.method.id_last6", "zh-CN"),
            text_of("verify.passed_mark", "zh-CN"),
            text_of("verify.prompt.id_last6", "zh-CN"),
            text_of("verify.answer_placeholder", "zh-CN"),
            text_of("verify.answer_label", "zh-CN", method=text_of("verify.method.id_last6", "zh-CN")),
            text_of("verify.pass", "zh-CN", level=level1),
            text_of("verify.hint_answer", "zh-CN", back="shift+Tab", close="Esc"),
        ):
            assert expected in shown, expected
        for english in ("Identity verification", "Reserved phone number", "passed", "Level now", "Esc: close"):
            assert english not in shown, english
        # Nothing typed or picked is lost; the answer goes on from where it was.
        assert answer.value == last6[:2] and screen.focused is answer
        assert screen.query_one("#methods", OptionList).highlighted == 1
        await pilot.press(*last6[2:])
        assert answer.value == last6
        await switch_language(pilot, "en")
        assert "Identity verification" in everything_shown(screen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.result.level == 2)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")

        # F7: the freeze form, a card and a reason picked.
        ops = await fill_freeze_form(pilot)
        card_value, reason_value = ops.fields["card"].value, ops.fields["reason"].value
        assert reason_value == "lost" and card_value != Select.NULL
        ops.fields["reason"].focus()
        await switch_language(pilot, "zh-CN")
        shown = everything_shown(ops)
        for expected in (
            "挂失 / 冻结银行卡",  # the operation's name (catalogue text) in the title
            text_of("operation.requires", "zh-CN", level=2),
            "银行卡", "原因",  # field labels (catalogue texts)
            text_of("operation.choice.lost", "zh-CN"),
            text_of("card.status.active", "zh-CN"),
            text_of("operation.tell", "zh-CN"),
            text_of("operation.hint_form", "zh-CN", execute="ctrl+r", back="Esc"),
        ):
            assert expected in shown, expected
        for english in ("Report lost card", "requires L2", "Card\n", "Lost", "active", "Tell the customer"):
            assert english not in shown, english
        assert ops.fields["card"].value == card_value and ops.fields["reason"].value == reason_value
        assert ops.focused is ops.fields["reason"]
        # Back on the list: the catalogue is in Chinese too.
        await pilot.press("escape")
        await wait_for(pilot, lambda: ops.spec is None)
        listed = everything_shown(ops)
        assert text_of("operation.title", "zh-CN") in listed and "挂失 / 冻结银行卡" in listed
        assert "Business operations" not in listed and "Report lost card" not in listed


async def test_reason_transfer_end_and_wrap_up_follow_a_language_switch(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        service = app.get_session().contact
        await go_ready(pilot)

        # F2 while Ready: the Not Ready reasons.
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        reasons = app.screen.query_one(OptionList)
        reasons.highlighted = 2
        await switch_language(pilot, "zh-CN")
        shown = everything_shown(app.screen)
        assert text_of("reason.title", "zh-CN") in shown and f"1. {text_of('reason.break', 'zh-CN')}" in shown
        assert "Not Ready: why?" not in shown and "1. break" not in shown
        assert reasons.highlighted == 2
        await switch_language(pilot, "en")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")

        # A call in hand: the decline question, the transfer list, the end question.
        await ring(pilot, backend, channel="phone")
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await switch_language(pilot, "zh-CN")
        assert text_of("live.decline_title", "zh-CN") in everything_shown(app.screen)
        await switch_language(pilot, "en")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: service.contact is not None and live(app).display)
        await wait_for(pilot, lambda: bool(service.queues))

        await pilot.press("alt+t")
        await wait_for(pilot, lambda: isinstance(app.screen, TransferScreen))
        await switch_language(pilot, "zh-CN")
        shown = everything_shown(app.screen)
        assert text_of("transfer.title", "zh-CN") in shown
        assert "1. 信用卡热线" in shown and text_of("transfer.hint", "zh-CN", cancel="Esc") in shown
        assert "Transfer the call" not in shown and "Cards phone line" not in shown
        await switch_language(pilot, "en")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")

        await pilot.press("alt+e")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await switch_language(pilot, "zh-CN")
        shown = everything_shown(app.screen)
        assert text_of("live.end_confirm", "zh-CN") in shown and text_of("live.end_yes", "zh-CN") in shown
        assert "End this contact?" not in shown
        await switch_language(pilot, "en")
        await pilot.press("y")

        # F9: a code picked, notes typed, a business type and the state after chosen.
        await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen) and bool(app.screen.categories))
        wrap = app.screen
        await wait_for(pilot, lambda: wrap.query_one("#filter", Input).has_focus)
        await pilot.press(*"lost", "enter")
        await wait_for(pilot, lambda: wrap.disposition is not None)
        await pilot.press(*"call back")
        types = wrap.query_one("#types", SelectionList)
        types.select(types.get_option_at_index(1).value)
        chosen_types = list(types.selected)
        wrap.query_one("#callback", Checkbox).value = True
        wrap.query_one("#after", Select).value = "meal"
        notes = wrap.query_one("#notes", TextArea)
        notes.focus()
        disposition = wrap.disposition
        await switch_language(pilot, "zh-CN")
        shown = everything_shown(wrap)
        for expected in (
            text_of("wrapup.title", "zh-CN"), text_of("wrapup.disposition", "zh-CN"),
            text_of("wrapup.notes", "zh-CN"), text_of("wrapup.business_types", "zh-CN"),
            text_of("wrapup.callback", "zh-CN"), text_of("wrapup.after", "zh-CN"),
            text_of("wrapup.after_not_ready", "zh-CN", reason="用餐"),
            text_of("wrapup.chosen", "zh-CN"), text_of("wrapup.filter_placeholder", "zh-CN"),
            text_of("wrapup.hint", "zh-CN", submit="ctrl+r", cancel="Esc"),
            "挂失 / 冻结银行卡",  # a business type (catalogue name)
        ):
            assert expected in shown, expected
        for english in ("Wrap-up", "Disposition", "Notes", "Callback needed", "Not Ready: meal", "Chosen:",
                        "Report lost card"):
            assert english not in shown, english
        assert wrap.disposition == disposition and notes.text == "call back"
        assert list(types.selected) == chosen_types
        assert wrap.query_one("#callback", Checkbox).value
        assert wrap.query_one("#after", Select).value == "meal"
        assert wrap.query_one("#filter", Input).value == "lost"
        assert wrap.focused is notes


async def test_key_capture_follows_a_language_change_from_another_terminal(backend, tmp_path: Path) -> None:
    """While a key is being captured the app's keys are off; the language can
    still change (the agent's settings saved on another terminal)."""
    from textual.widgets import DataTable

    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SettingsScreen")
        app.screen.query_one("#keys", DataTable).focus()
        await pilot.press("home", "enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "KeyCaptureScreen")
        capture = app.screen
        app.apply_settings({**app._settings_doc, "language": "zh-CN"})  # the settings event's path
        await pilot.pause()
        shown = everything_shown(capture)
        assert text_of("capture.hint", "zh-CN") in shown and capture.prompt in shown
        assert capture.prompt == text_of("settings.press_key", "zh-CN", action=text_of(
            f"key.{app.screen_stack[-2].catalogue[0].binding_id}", "zh-CN"),
            id=app.screen_stack[-2].catalogue[0].binding_id)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SettingsScreen")


# -- 2. ACW while the backend is unreachable ---------------------------------------


def timers_line(app: Any) -> str:
    return desk_of(app).query_one(ContactTimers).render_timers().plain


async def test_acw_past_the_deadline_reads_over_on_the_desk_as_in_the_form(backend, tmp_path: Path) -> None:
    """The backend keeps the agent in ACW past the deadline (only a wrap-up
    leaves it): the desk's counter says how long over, as the F9 form does,
    not a frozen "ACW left 00:00"."""
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        service = app.get_session().contact
        await take_contact(pilot, backend)
        await service.end()
        await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
        timers = desk_of(app).query_one(ContactTimers)
        deadline = service.contact.acw_deadline.timestamp()
        skew = app.get_session().clock_skew
        timers.clock = lambda: deadline - skew + 7.4
        timers.tick()
        line = timers_line(app)
        assert text_of("timers.acw_over", "en", time="00:07") in line
        assert "ACW left" not in line
        assert app.get_session().state.state.value == "acw"
        assert "After-Contact Work" in str(desk_of(app).query_one("AgentBar").render())


async def test_acw_offline_and_a_queued_wrap_up_are_said_and_the_acw_clock_stops(tmp_path: Path) -> None:
    from csdesk.server.runner import BackgroundServer

    server, settings, port = restartable_server(tmp_path, acw_seconds=120.0)
    app = make_app(server.url, tmp_path / "data")
    bar = lambda: str(desk_of(app).query_one("AgentBar").render())  # noqa: E731
    panel = lambda: str(desk_of(app).query_one("#state-panel").render())  # noqa: E731
    try:
        async with app.run_test(size=SIZE) as pilot:
            await sign_in_to_desk(pilot, AGENT)
            session = app.get_session()
            service = session.contact
            await take_contact(pilot, server)
            await pilot.press("alt+e")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen) and bool(app.screen.categories))
            wrap = app.screen
            assert "offline" not in timers_line(app)
            server.stop()
            await wait_for(pilot, lambda: "○ offline" in bar(), timeout=15)
            # Offline in ACW: the counters say so, the form says what ctrl+r does now.
            await wait_for(pilot, lambda: text_of("timers.offline", "en") in timers_line(app), timeout=5)
            assert "ACW left" in timers_line(app)
            await wait_for(pilot, lambda: text_of("wrapup.offline", "en", submit="ctrl+r", cancel="Esc")
                           in everything_shown(wrap), timeout=5)
            assert text_of("timers.offline", "en") in str(wrap.query_one("#acw").render())
            await pilot.press(*"lost", "enter")
            await wait_for(pilot, lambda: wrap.disposition is not None)
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen" and service.contact is None)
            assert service.queued_wrap_up is not None
            # Queued: the desk says the wrap-up waits and what follows; the
            # agent is still in ACW (the backend decides), the ACW clock stopped.
            await wait_for(pilot, lambda: after_time("timers.acw_queued", "en") in timers_line(app))
            assert text_of("desk.hint_wrap_up_queued", "en", after="Ready") in panel()
            assert "managed by the contact in progress" not in panel()
            assert "After-Contact Work" in bar() and text_of("timers.wrap_up_queued", "en") in bar()
            stopped, stopped_bar = timers_line(app), bar()
            await asyncio.sleep(2.2)
            desk_of(app).query_one(ContactTimers).tick()
            assert timers_line(app) == stopped and bar() == stopped_bar
            first = stopped.splitlines()[0]
            assert "In state" not in first and not re.search(r"-\s*\d", first)
            # zh-CN too (the panel and the counter).
            app.switch_language("zh-CN")
            await pilot.pause()
            assert text_of("desk.hint_wrap_up_queued", "zh-CN", after="就绪") in panel()
            assert after_time("timers.acw_queued", "zh-CN") in timers_line(app)
            app.switch_language("en")
            await pilot.pause()
            # The backend is back: the outbox delivers, the backend moves the agent.
            server = BackgroundServer(settings, port=port).start()
            await wait_for(pilot, lambda: session.state.state.value == "ready", timeout=30)
            await wait_for(pilot, lambda: service.queued_wrap_up is None)
            await wait_for(pilot, lambda: "Ready" in bar() and "queued" not in timers_line(app))
            assert "queued" not in panel()
    finally:
        server.stop()


async def test_a_queued_wrap_up_the_backend_refuses_brings_the_form_back(tmp_path: Path) -> None:
    """The backend owns the state: a queued wrap-up it refuses (here an unknown
    code) leaves the agent in ACW with the contact, so the desk stops saying
    "queued", shows the contact again and opens the form."""
    from csdesk.domain.contact_schemas import WrapUpRequest
    from csdesk.server.runner import BackgroundServer

    server, settings, port = restartable_server(tmp_path, acw_seconds=120.0)
    app = make_app(server.url, tmp_path / "data")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await sign_in_to_desk(pilot, AGENT)
            session = app.get_session()
            service = session.contact
            contact_id = await take_contact(pilot, server)
            await service.end()
            await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen))
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
            server.stop()
            assert await session.wrap_up(WrapUpRequest(disposition="no.such.code")) is None
            assert service.queued_wrap_up is not None and service.contact is None
            server = BackgroundServer(settings, port=port).start()
            await wait_for(pilot, lambda: service.queued_wrap_up is None, timeout=30)
            await wait_for(pilot, lambda: service.contact is not None and service.contact.id == contact_id)
            assert service.contact.status is ContactStatus.WRAP_UP
            await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen))
            await wait_for(pilot, lambda: selects_composed(app))  # the test ends here
            assert session.state.state.value == "acw"
            assert any(text_of("live.wrap_up_refused", "en") in n for n in app.notices)
            assert "queued" not in timers_line(app)
    finally:
        server.stop()


# -- 3. Operations that change the customer's data refresh the card -----------------------


async def test_freeze_refreshes_the_f7_card_list_and_the_desk_card(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        service = app.get_session().contact
        await take_contact(pilot, backend)
        customer = DEMO_CUSTOMERS[0]
        await service.verify("reserved_phone", customer["phone"])
        await service.verify("id_last6", customer["id_number"][-6:])
        card_view = live(app).card
        assert text_of("card.status.active", "en") in card_view.render_card().plain
        ops = await fill_freeze_form(pilot)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: ops.last_done is not None)
        card_select = ops.fields["card"]
        # The card list of the open form says frozen (the value stays picked).
        await wait_for(pilot, lambda: "frozen" in str(card_select._options[1][0]), timeout=5)
        assert "active" not in str(card_select._options[1][0])
        assert card_select.value == card_select._options[1][1]
        # The desk's card below says frozen too.
        assert "frozen" in card_view.render_card().plain and "active" not in card_view.render_card().plain


async def test_operations_refresh_the_card_from_the_backend_when_the_event_is_missed(backend) -> None:
    """The ``contact`` event is one way the new card arrives; the service
    also reads the backend's masked card after an operation, so a missed
    event leaves no stale card (freeze, then a new reserved phone)."""
    async with live_contact(backend, 0) as live_:
        await verify_to(live_, 3)
        await live_.unfollow()  # no `contact` event from now on
        service = live_.service
        number = service.contact.customer.cards[0].number_masked
        heard: list[str] = []
        service.add_listener(lambda change: heard.append(change.kind))
        await service.execute("freeze_card", {"card": number, "reason": "lost"})
        assert service.contact.customer.cards[0].status == "frozen"
        assert "contact" in heard
        await service.execute("change_phone", {"new_phone": "13912348765"})
        assert service.contact.customer.phone_masked == "139****8765"
        await service.execute("unfreeze_card", {"card": number})
        assert service.contact.customer.cards[0].status == "active"


# -- 4. The call bar fits 80 columns --------------------------------------------------------


async def test_call_bar_fits_80_columns_in_every_state_in_both_languages(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        service = app.get_session().contact
        await take_contact(pilot, backend, channel="phone")
        panel = live(app)
        bar = panel.call_bar
        # Held and muted for real, through the desk's keys.
        await pilot.press("alt+h")
        await wait_for(pilot, lambda: service.contact.on_hold)
        await pilot.press("alt+m")
        await wait_for(pilot, lambda: service.contact.muted)
        await pilot.pause()
        width = bar.content_size.width
        assert 70 <= width <= 80
        real = service.contact
        for language in ("en", "zh-CN"):
            app.switch_language(language)
            await pilot.pause()
            for channel in (Channel.PHONE, Channel.CHAT):
                for status in (ContactStatus.ACTIVE, ContactStatus.WRAP_UP):
                    for on_hold in (False, True):
                        for muted in (False, True):
                            for left in (False, True):
                                for note in (False, True):
                                    view = real.model_copy(update={
                                        "channel": channel, "status": status, "on_hold": on_hold,
                                        "muted": muted, "customer_left": left,
                                    })
                                    panel.show_contact(view)
                                    panel.set_note_mode(note or status is ContactStatus.WRAP_UP)
                                    await pilot.pause()
                                    shown = str(bar.render())
                                    where = f"{language} {channel.value} {status.value} hold={on_hold} " \
                                            f"mute={muted} left={left} note={note}: {shown!r}"
                                    assert cell_len(shown) <= width, where
                                    # The states are never the part cut away.
                                    phone = channel is Channel.PHONE and status is ContactStatus.ACTIVE
                                    if phone and on_hold:
                                        assert text_of("live.on_hold", language) in shown, where
                                    if phone and muted:
                                        assert text_of("live.muted", language) in shown, where
                                    if left and status is ContactStatus.ACTIVE:
                                        assert text_of("live.customer_left", language) in shown, where
                                    mode = "live.mode_note" if note or status is ContactStatus.WRAP_UP \
                                        else "live.mode_message"
                                    assert text_of(mode, language) in shown, where
            panel.show_contact(real)
            panel.set_note_mode(False)
        # What the screen shows at 80 columns: the whole bar, no ellipsis.
        app.switch_language("zh-CN")
        await pilot.pause()
        line = str(bar.render())
        assert "…" not in line and text_of("live.on_hold", "zh-CN") in line
