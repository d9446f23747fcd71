"""QA round 7: the live desk's wrap-up and transfers, against a real backend on loopback.

1. The F9 wrap-up form works with the backend down: the disposition list
   (categories → codes, labels in both languages) and the business types'
   names come from the last successful load, kept in the local store (so
   they survive a restart), and the code picked shows under "Chosen". With
   no list ever loaded the form says so and saves nothing: a code the agent
   cannot see is never queued.
2. A language switch translates the label a Select shows when its value is
   the first option (the wrap-up's "state after" Ready, the settings'
   theme), not only the others.
3. Enter in the wrap-up's filter picks the code and moves to the notes at
   once: a note typed right behind Enter (one burst) lands in the notes;
   the hint and the README say so (no "Tab to notes").
4. (desk side) The transfer line in the transcript names the queue.
5. A wrap-up queued offline says so when the backend takes it (a notice and
   an activity-log line, in English and zh-CN), and its record's ACW time
   ends at the submit (``submitted_at``), not at the delivery.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.widgets import Input, OptionList, Select, SelectionList, Static, TextArea

from csdesk.api.client import ApiClient
from csdesk.domain.contact_schemas import DispositionCategory
from csdesk.i18n import LANGUAGES, current_language
from csdesk.screens.confirm import ConfirmScreen
from csdesk.screens.transfer import TransferScreen
from csdesk.screens.wrap_up import WrapUpScreen
from csdesk.server.customers import DEMO_CUSTOMERS
from csdesk.services.catalogues import CATALOGUES_COLLECTION, StoreCatalogues
from csdesk.services.contact import DISPOSITIONS, OPERATIONS, ContactService
from csdesk.services.sync import WRAP_UP_KIND, SyncService
from csdesk.store.local import LocalStore
from csdesk.widgets.activity_log import ActivityLog
from tests.conftest import restartable_server
from tests.tui.helpers import make_app, sign_in_to_desk, wait_for
from tests.tui.live_modal_helpers import burst
from tests.tui.qa_helpers import desk_of, text_of
from tests.tui.test_desk_live import AGENT, take_contact

SIZE = (80, 24)
ROOT = Path(__file__).resolve().parents[2]


def shown(widget: Any) -> str:
    return str(widget.render())


def options_of(options: OptionList) -> list[str]:
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def select_label(select: Select) -> str:
    """What a Select shows as its current value."""
    return str(select.query_one("SelectCurrent #label", Static).render())


def log_text(app: Any) -> str:
    """Every line of the desk's activity log (written or waiting to be)."""
    log = desk_of(app).query_one(ActivityLog)
    written = ["".join(segment.text for segment in strip) for strip in log.lines]
    return "\n".join([*written, *(line.plain for line in log._waiting)])


async def outbox_items(session: Any) -> list[Any]:
    return await session.sync.io(session.sync.outbox.items)


async def end_into_wrap_up(pilot: Any) -> WrapUpScreen:
    """alt+e, yes: the wrap-up form, its lists loaded."""
    app = pilot.app
    await pilot.press("alt+e")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.press("y")
    await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen) and bool(app.screen.categories))
    return app.screen


async def go_offline(pilot: Any, server: Any) -> None:
    app = pilot.app
    server.stop()
    await wait_for(pilot, lambda: "○ offline" in shown(desk_of(app).query_one("AgentBar")), timeout=15)


# -- 1. the wrap-up form offline ------------------------------------------------------------


async def test_offline_wrap_up_uses_the_kept_catalogue_and_shows_the_chosen_code(tmp_path: Path) -> None:
    server, _settings, _port = restartable_server(tmp_path, acw_seconds=120.0)
    app = make_app(server.url, tmp_path / "data")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await sign_in_to_desk(pilot, AGENT)
            session = app.get_session()
            service = session.contact
            await take_contact(pilot, server)
            customer = DEMO_CUSTOMERS[0]
            await service.verify("reserved_phone", customer["phone"])
            await service.execute("balance_inquiry", {"account": customer["cards"][0]["number"][-4:]})
            specs = {spec.code: spec for spec in await service.operations()}
            wrap = await end_into_wrap_up(pilot)
            await pilot.press(*"frozen", "enter")
            await wait_for(pilot, lambda: wrap.disposition == "lost_card.card_freeze")
            await pilot.press("escape")  # the draft is kept for this contact
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
            # The lists are in the local store now.
            kept = await session.sync.io(session.store.all, CATALOGUES_COLLECTION)
            assert set(kept) == {DISPOSITIONS, OPERATIONS}

            await go_offline(pilot, server)
            # As after a restart: nothing in memory, only the store.
            service.catalogues.forget(DISPOSITIONS)
            service.catalogues.forget(OPERATIONS)
            await pilot.press("f9")
            await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen) and app.screen._loaded)
            wrap = app.screen
            assert not wrap.online
            codes = options_of(wrap.query_one("#codes", OptionList))
            assert any("Card reported lost and frozen" in line for line in codes), codes
            chosen = shown(wrap.query_one("#chosen", Static))
            assert "Lost card" in chosen and "Card reported lost and frozen" in chosen
            assert "lost_card.card_freeze" in chosen and text_of("wrapup.none_chosen", "en") not in chosen
            types = wrap.query_one("#types", SelectionList)
            listed = [str(types.get_option_at_index(i).prompt) for i in range(types.option_count)]
            name = specs["balance_inquiry"].name["en"]
            assert f"{name} (balance_inquiry)" in listed, listed
            assert "balance_inquiry" not in [line.strip() for line in listed]
            assert types.selected == ["balance_inquiry"]
            assert "Lost card" not in shown(wrap.query_one("#message", Static))

            # Saving queues exactly the code shown, with the submit time.
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
            items = [item for item in await outbox_items(session) if item.kind == WRAP_UP_KIND]
            assert len(items) == 1
            assert items[0].body["disposition"] == "lost_card.card_freeze"
            assert items[0].body["business_types"] == ["balance_inquiry"]
            assert datetime.fromisoformat(items[0].body["submitted_at"]).tzinfo is not None
    finally:
        server.stop()


async def test_offline_wrap_up_without_any_list_says_so_and_queues_nothing(tmp_path: Path) -> None:
    server, _settings, _port = restartable_server(tmp_path, acw_seconds=120.0)
    app = make_app(server.url, tmp_path / "data")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await sign_in_to_desk(pilot, AGENT)
            session = app.get_session()
            service = session.contact
            await take_contact(pilot, server)
            wrap = await end_into_wrap_up(pilot)
            await pilot.press(*"frozen", "enter")
            await wait_for(pilot, lambda: wrap.disposition == "lost_card.card_freeze")
            await pilot.press("escape")  # the draft keeps the code
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")
            await go_offline(pilot, server)
            # No list was ever loaded on this desk (a first wrap-up after an outage).
            service.catalogues.forget(DISPOSITIONS)
            await session.sync.io(session.store.remove, CATALOGUES_COLLECTION, [DISPOSITIONS])

            await pilot.press("f9")
            await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen) and app.screen._loaded)
            wrap = app.screen
            assert wrap.categories == []
            no_list = text_of("wrapup.no_list", "en")
            assert no_list in shown(wrap.query_one("#message", Static))
            assert options_of(wrap.query_one("#codes", OptionList)) == [no_list]
            chosen = shown(wrap.query_one("#chosen", Static))
            assert text_of("wrapup.none_chosen", "en") in chosen and "lost_card" not in chosen
            await pilot.press("enter")  # nothing to pick
            assert wrap.query_one("#filter", Input).has_focus
            await pilot.press("ctrl+r")
            await pilot.pause(0.3)
            assert app.screen is wrap and no_list in shown(wrap.query_one("#message", Static))
            assert not [item for item in await outbox_items(session) if item.kind == WRAP_UP_KIND]
            assert service.contact is not None and service.queued_wrap_up is None
            # zh-CN says it too.
            app.switch_language("zh-CN")
            await pilot.pause()
            assert text_of("wrapup.no_list", "zh-CN") in shown(wrap.query_one("#message", Static))
            assert options_of(wrap.query_one("#codes", OptionList)) == [text_of("wrapup.no_list", "zh-CN")]
    finally:
        server.stop()


async def test_the_kept_catalogues_survive_a_restart_of_the_desk(backend, tmp_path: Path) -> None:
    """Loaded once online into the agent's store; a new process whose backend
    cannot be reached reads them from the store."""
    from csdesk.demo import free_port
    from tests.tui.helpers import fresh_code

    api = ApiClient(backend.url)
    challenge = await api.login(AGENT["employee_id"], AGENT["password"])
    await api.verify_mfa(challenge.mfa_ticket, fresh_code(AGENT["totp_secret"], backend.url))
    store = LocalStore.open(tmp_path, backend.url, AGENT["employee_id"])
    service = ContactService(api)
    service.catalogues = StoreCatalogues(SyncService(api, store))
    try:
        online = await service.dispositions()
        specs = await service.operations()
    finally:
        store.close()
        await api.aclose()

    dead = ApiClient(f"http://127.0.0.1:{free_port()}")
    store = LocalStore.open(tmp_path, backend.url, AGENT["employee_id"])
    service = ContactService(dead)
    service.catalogues = StoreCatalogues(SyncService(dead, store))
    try:
        assert await service.dispositions() == online
        assert await service.operations() == specs
        assert all(isinstance(category, DispositionCategory) for category in online)
        # A plain service (nothing kept) still reports the fault.
        from csdesk.api.errors import OfflineError

        try:
            await ContactService(dead).dispositions()
        except OfflineError:
            pass
        else:
            raise AssertionError("no list and no backend: the fault must be raised")
    finally:
        store.close()
        await dead.aclose()


# -- 2. Selects whose value is the first option follow a language switch ------------------------


async def test_ready_and_the_first_theme_are_translated_after_a_language_switch(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await take_contact(pilot, backend)
        wrap = await end_into_wrap_up(pilot)
        after = wrap.query_one("#after", Select)
        assert after.value == "ready" and select_label(after) == text_of("wrapup.after_ready", "en")
        app.switch_language("zh-CN")
        await pilot.pause()
        assert select_label(after) == text_of("wrapup.after_ready", "zh-CN") == "就绪"
        assert after.value == "ready"
        app.switch_language("en")
        await pilot.pause()
        assert select_label(after) == "Ready"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen")

        # Settings: the theme names are words of the catalogue (translated);
        # language names stay in their own language by design.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SettingsScreen")
        settings = app.screen
        theme = settings.query_one("#theme", Select)
        assert theme.value == "dark" and select_label(theme) == "Dark"
        app.switch_language("zh-CN")
        await pilot.pause()
        assert select_label(theme) == text_of("settings.theme.dark", "zh-CN") == "深色"
        assert select_label(settings.query_one("#offer-alert", Select)) == text_of("settings.alert.both", "zh-CN")
        language = settings.query_one("#language", Select)
        name = text_of(f"settings.language.{language.value}", "zh-CN")
        assert select_label(language) == name == text_of(f"settings.language.{language.value}", "en")


# -- 3. Enter picks and goes to the notes -------------------------------------------------------


async def test_a_note_typed_right_after_enter_lands_in_the_notes(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        await take_contact(pilot, backend)
        wrap = await end_into_wrap_up(pilot)
        await pilot.press(*"lost")
        codes = wrap.query_one("#codes", OptionList)
        ids = [codes.get_option_at_index(i).id for i in range(codes.option_count)]
        first = codes.highlighted
        assert first is not None
        second = ids[first + 1]
        # Down, Enter and the note in one burst, as a fast typist sends them.
        burst(pilot, "down", "enter", *"call back 5pm")
        notes = wrap.query_one("#notes", TextArea)
        await wait_for(pilot, lambda: notes.text == "call back 5pm")
        assert wrap.disposition == second
        assert wrap.query_one("#filter", Input).value == "lost"
        assert notes.has_focus
        # Tab goes on from the notes (to the business types), as the hint says.
        await pilot.press("tab")
        assert wrap.query_one("#types", SelectionList).has_focus
        placeholder = text_of("wrapup.filter_placeholder", "en")
        assert wrap.query_one("#filter", Input).placeholder == placeholder
        assert "note" in placeholder and "Tab" not in placeholder
        assert "备注" in text_of("wrapup.filter_placeholder", "zh-CN")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Tab to notes" not in readme
    assert "Enter picks the code and moves to the notes" in readme


# -- 4. The transfer line names the queue (desk side) ---------------------------------------------


async def test_the_transfer_line_on_the_desk_names_the_queue(backend, tmp_path: Path) -> None:
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        service = app.get_session().contact
        contact_id = await take_contact(pilot, backend, channel="phone")
        await wait_for(pilot, lambda: bool(service.queues))
        await pilot.press("alt+t")
        await wait_for(pilot, lambda: isinstance(app.screen, TransferScreen))
        await pilot.press("1")  # Cards phone line
        await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen))
        view = await service.api.get_contact(contact_id)
        lines = [line.text for line in view.transcript if "Transferred to" in line.text]
        assert lines == ["转接至 信用卡热线 · Transferred to Cards phone line"]


# -- 5. A queued wrap-up reaching the backend is said; its ACW ends at the submit ---------------


async def test_a_delivered_queued_wrap_up_is_logged_and_its_acw_ends_at_the_submit(tmp_path: Path) -> None:
    from csdesk.server.runner import BackgroundServer

    server, settings, port = restartable_server(tmp_path, acw_seconds=120.0)
    app = make_app(server.url, tmp_path / "data")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await sign_in_to_desk(pilot, AGENT)
            session = app.get_session()
            service = session.contact
            await take_contact(pilot, server)
            wrap = await end_into_wrap_up(pilot)
            ended_at = service.contact.ended_at
            await go_offline(pilot, server)
            await wait_for(pilot, lambda: not wrap.online, timeout=5)
            await pilot.press(*"frozen", "enter")
            await wait_for(pilot, lambda: wrap.disposition == "lost_card.card_freeze")
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "DeskScreen" and service.contact is None)
            item = next(i for i in await outbox_items(session) if i.kind == WRAP_UP_KIND)
            submitted = datetime.fromisoformat(item.body["submitted_at"])
            assert submitted >= ended_at
            app.switch_language("zh-CN")
            await pilot.pause()
            await asyncio.sleep(1.0)  # an outage of some length
            server = BackgroundServer(settings, port=port).start()
            await wait_for(pilot, lambda: service.queued_wrap_up is None, timeout=30)
            await wait_for(pilot, lambda: service.delivered_record is not None)
            record = service.delivered_record
            assert record.disposition == "lost_card.card_freeze"
            # The ACW time ends at the submit, not at the delivery after the outage.
            expected = round(max(0.0, (min(submitted, record.wrapped_up_at) - record.ended_at).total_seconds()), 3)
            assert abs(record.acw_seconds - expected) < 0.002
            assert record.acw_seconds < (record.wrapped_up_at - record.ended_at).total_seconds()
            # Said on the desk, in the language in use, like an online wrap-up.
            delivered = text_of("live.log_record_delivered", "zh-CN", disposition="")
            await wait_for(pilot, lambda: delivered in log_text(app))
            after = log_text(app).split(delivered, 1)[1].replace("\n", "")  # the log wraps at its width
            assert after.startswith("挂失") and "lost_card.card_freeze" in after
            assert any(text_of("live.wrap_up_delivered", "zh-CN", disposition="") in n for n in app.notices)
            # English too.
            assert "Wrapped up (queued offline, now delivered): {disposition}" == LANGUAGES["en"][
                "live.log_record_delivered"]
            assert current_language() == "zh-CN"
    finally:
        server.stop()
