"""The live-session modals against a real backend (issue #4): F5, F7, F9, transfer.

Each test drives one modal with Pilot at 80×24 over a real
:class:`ContactService` (real ``ApiClient``, event stream, backend on
loopback): verification levels and lockout, operations refused below their
level, a freeze with its reference, a transfer refused without consent and
done after it, field checks, an offline retry that runs once, the wrap-up
with type-ahead, and markup/escapes from the backend shown literally.
"""

from __future__ import annotations

import asyncio

from textual.widgets import Checkbox, Input, OptionList, Select, SelectionList, TextArea

from csdesk.domain.contact_schemas import OperationDone, QueueStats, SessionRecordView, VerifyResult, WrapUpRequest
from csdesk.domain.contacts import Channel
from csdesk.screens import operation as operation_screen
from csdesk.screens.operation import OperationScreen
from csdesk.screens.transfer import TransferScreen
from csdesk.screens.verification import VerificationScreen
from csdesk.screens.wrap_up import WrapUpScreen
from csdesk.server.disclosures import record_consent
from csdesk.server.models import Customer
from csdesk.server.verification import register_keypad
from tests.test_contact_service import LoseAnswers
from tests.tui.helpers import wait_for
from tests.tui.live_modal_helpers import PENDING, ModalHost, live_contact, modal_text, until

SIZE = (80, 24)


def options_text(options: OptionList) -> str:
    """The prompts of an OptionList, one a line."""
    return "\n".join(str(options.get_option_at_index(i).prompt) for i in range(options.option_count))


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


# -- F5 verification --------------------------------------------------------------------


async def test_verification_levels_then_lockout_with_literal_question(backend) -> None:
    async with live_contact(backend, 0) as live:
        ref = live.customer["customer_ref"]
        with live.ctx.db.write() as session:
            session.get(Customer, ref).security_question = "[bold]Pet[/bold] name?\x1b[31m [link=x]y[/link]"
        register_keypad(live.contact_id, lambda _cid: live.customer["transaction_password"])
        try:
            app = ModalHost(VerificationScreen(live.service))
            async with app.run_test(size=SIZE) as pilot:
                screen = app.screen
                await wait_for(pilot, lambda: screen.info is not None)
                assert "L0 (not verified)" in modal_text(app) and "0/3" in modal_text(app)
                # The question from the backend: markup shown as typed, escape removed.
                await pilot.press("4")
                await pilot.pause()
                shown = modal_text(app)
                assert "[bold]Pet[/bold] name? [link=x]y[/link]" in shown and "\x1b" not in shown

                await pilot.press("escape")  # the field does not take Esc: the modal closes
                await wait_for(pilot, lambda: app.result is not PENDING)
                assert app.result is None  # nothing checked yet

            app = ModalHost(VerificationScreen(live.service))
            async with app.run_test(size=SIZE) as pilot:
                screen = app.screen
                await wait_for(pilot, lambda: screen.info is not None)
                await pilot.press("1")
                await type_text(pilot, live.customer["phone"])
                await pilot.press("enter")
                await wait_for(pilot, lambda: screen.result is not None)
                assert screen.result.passed and screen.result.level == 1
                assert screen.query_one("#answer", Input).value == ""
                assert live.customer["phone"] not in modal_text(app)

                await pilot.press("shift+tab")
                await pilot.press("2")
                await type_text(pilot, live.customer["id_number"][-6:])
                await pilot.press("enter")
                await wait_for(pilot, lambda: screen.result.level == 2)
                text = modal_text(app)
                assert "Passed. Level now L2 (two factors" in text and "L2 (two factors" in text
                assert live.service.verification_level == 2

                # The transaction password: nothing typed, the keypad answers.
                await pilot.press("shift+tab", "5", "enter")
                await wait_for(pilot, lambda: screen.result.level == 3)
                assert "L3" in modal_text(app)

                # Three wrong card digits: locked, possible fraud, no more tries.
                wrong = "0000" if not live.customer["cards"][0]["number"].endswith("0000") else "1111"
                for attempt in range(1, 4):
                    await pilot.press("shift+tab", "3")
                    await type_text(pilot, wrong)
                    await pilot.press("enter")
                    await wait_for(pilot, lambda a=attempt: screen.result.failed_attempts == a)
                    assert screen.query_one("#answer", Input).value == ""
                    if attempt < 3:
                        assert f"Failed. Attempts left: {3 - attempt}" in modal_text(app)
                text = modal_text(app)
                assert screen.result.locked and "locked" in text and "possible fraud" in text
                assert screen.query_one("#answer", Input).disabled
                await pilot.press("shift+tab", "5", "enter")
                await pilot.pause(0.2)
                assert screen.result.failed_attempts == 3 and live.service.contact.verification_locked
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.result is not PENDING)
            assert isinstance(app.result, VerifyResult) and app.result.locked and app.result.level == 3
            card = await live.service.api.get_contact(live.contact_id)
            assert card.customer is not None and card.customer.possible_fraud
        finally:
            register_keypad(live.contact_id, None)


# -- F7 business operations ----------------------------------------------------------------


async def pick_option(pilot, select: Select, steps: int) -> None:
    """Open ``select`` with Enter, move ``steps`` down (past the blank prompt), Enter."""
    select.focus()
    await pilot.press("enter", *(["down"] * steps), "enter")
    await pilot.pause()


async def open_operation(pilot, screen: OperationScreen, code: str) -> None:
    """Highlight ``code`` in the catalogue and press Enter."""
    catalogue = screen.query_one("#catalogue", OptionList)
    catalogue.focus()
    catalogue.highlighted = list(screen.catalogue).index(code)
    await pilot.press("enter")
    await pilot.pause()


async def test_operation_refused_below_level_then_freeze_with_field_checks(backend) -> None:
    async with live_contact(backend, 0) as live:
        ref = live.customer["customer_ref"]
        with live.ctx.db.write() as session:
            row = session.get(Customer, ref)
            row.cards = [{**row.cards[0], "product": "[red]Gold[/red]\x1b[2J card"}]
        await live.service.resync()  # the card as the backend now shows it
        app = ModalHost(OperationScreen(live.service, language="en"))
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            await wait_for(pilot, lambda: bool(screen.catalogue))
            assert "Customer at L0" in modal_text(app)
            listed = options_text(screen.query_one("#catalogue", OptionList))
            assert "Report lost card / freeze" in listed and "needs L2" in listed

            await open_operation(pilot, screen, "freeze_card")
            assert "Needs L2; the customer is at L0: verify first (F5)." in modal_text(app)
            assert screen.spec is None

            await live.service.verify("reserved_phone", live.customer["phone"])
            await live.service.verify("id_last6", live.customer["id_number"][-6:])
            await wait_for(pilot, lambda: "Customer at L2" in modal_text(app))
            await open_operation(pilot, screen, "freeze_card")
            assert screen.spec is not None and screen.spec.code == "freeze_card"
            assert "Phone reporting is a temporary freeze" in modal_text(app)

            await pilot.press("ctrl+r")
            await pilot.pause()
            assert str(screen.errors["card"].render()) == "Required."
            assert str(screen.errors["reason"].render()) == "Required."
            assert "Some fields need attention" in modal_text(app)
            card = screen.fields["card"]
            await pick_option(pilot, card, 1)
            assert "[red]Gold[/red] card" in str(card.query_one("SelectCurrent Static").render())
            assert not screen.errors["card"].display
            await pick_option(pilot, screen.fields["reason"], 1)
            assert screen.fields["reason"].value == "lost"

            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: screen.last_done is not None)
            text = modal_text(app)
            assert f"Reference number: {screen.last_done.reference}" in text
            assert "frozen (lost)" in text and "Read the reference number" in text
            await pilot.press("ctrl+r")  # done: not a second freeze
            await pilot.pause()
            assert "Already done" in modal_text(app)

            # A wealth product above the customer's risk rating (R2) is refused at once.
            await pilot.press("escape")
            await open_operation(pilot, screen, "buy_wealth")
            screen.fields["product"].value = "WM-R3-MIX"
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert "R3, above the customer's risk rating R2" in str(screen.errors["product"].render())

            await pilot.press("escape", "escape")
            await wait_for(pilot, lambda: app.result is not PENDING)
        assert isinstance(app.result, OperationDone) and app.result.code == "freeze_card"
        server = await live.service.api.get_contact(live.contact_id)
        assert [op.code for op in server.operations] == ["freeze_card"]
        assert server.customer is not None and server.customer.cards[0].status == "frozen"


async def test_transfer_refused_without_consent_then_done_after_it(backend) -> None:
    async with live_contact(backend, 1) as live:
        for method, answer in (("reserved_phone", live.customer["phone"]),
                               ("id_last6", live.customer["id_number"][-6:]),
                               ("security_question", live.customer["security_answer"])):
            await live.service.verify(method, answer)
        app = ModalHost(OperationScreen(live.service, language="en"))
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            await wait_for(pilot, lambda: bool(screen.catalogue))
            await open_operation(pilot, screen, "transfer_own")
            assert "Bank staff will never ask you" in modal_text(app)
            assert "Not sent yet. Press ctrl+t" in modal_text(app)
            await pick_option(pilot, screen.fields["from_account"], 1)
            await pick_option(pilot, screen.fields["to_account"], 2)
            amount = screen.fields["amount"]
            amount.focus()
            for typed, message in (("abc", "at most 2 decimals"), ("60000", "At most 50,000.00"),
                                   ("0.001", "at most 2 decimals")):
                await pilot.press("ctrl+u", *typed, "ctrl+r")
                await pilot.pause()
                assert message in str(screen.errors["amount"].render()), typed
            await pilot.press("ctrl+u", *"100.00", "ctrl+r")
            await pilot.pause()
            assert "Send the risk disclosure (ctrl+t)" in modal_text(app)

            # The customer declines: refused, nothing executed.
            await pilot.press("ctrl+t")
            first = await until(lambda: next(iter(live.service.disclosures), None))
            await wait_for(pilot, lambda: "waiting for the customer" in modal_text(app))
            await asyncio.to_thread(record_consent, live.ctx, live.contact_id, first, False)
            await wait_for(pilot, lambda: "The customer declined" in modal_text(app))
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert "Refused: the customer declined" in modal_text(app)
            assert live.service.contact.operations == []

            # Sent again; the customer consents: executed, with its reference.
            await pilot.press("ctrl+t")
            second = await until(lambda: [d for d in live.service.disclosures if d != first])
            await asyncio.to_thread(record_consent, live.ctx, live.contact_id, second[0], True)
            await wait_for(pilot, lambda: "The customer consented" in modal_text(app))
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: screen.last_done is not None)
            assert screen.last_done.code == "transfer_own"
            assert f"Reference number: {screen.last_done.reference}" in modal_text(app)
            assert "Transferred CNY 100.00" in modal_text(app)
        assert [op.code for op in live.service.contact.operations] == ["transfer_own"]


async def test_operation_retry_after_lost_answer_runs_once(backend) -> None:
    lossy = LoseAnswers()
    async with live_contact(backend, 0, transport=lossy) as live:
        await live.service.verify("reserved_phone", live.customer["phone"])
        app = ModalHost(OperationScreen(live.service, language="en"))
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            await wait_for(pilot, lambda: bool(screen.catalogue))
            await open_operation(pilot, screen, "balance_inquiry")
            await pick_option(pilot, screen.fields["account"], 1)
            lossy.lose.append("/operations/balance_inquiry")
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: "cannot be reached" in modal_text(app))
            assert screen.fields["account"].value  # nothing typed is lost
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: screen.last_done is not None)
        keys = [key for path, key in lossy.sent if path.endswith("/balance_inquiry")]
        assert len(keys) == 2 and keys[0] == keys[1]
        server = await live.service.api.get_contact(live.contact_id)
        assert [op.reference for op in server.operations] == [screen.last_done.reference]


# -- F9 wrap-up ---------------------------------------------------------------------------------


async def test_wrap_up_type_ahead_refusal_then_record(backend) -> None:
    async with live_contact(backend, 0) as live:
        await live.service.verify("reserved_phone", live.customer["phone"])
        await live.service.execute("balance_inquiry", {"account": live.customer["cards"][0]["number"][-4:]})
        screen = WrapUpScreen(live.service, missed=["confirm"], customer_left=False, submit=live.service.wrap_up)
        app = ModalHost(screen)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: bool(screen.categories))
            assert "Missed steps (recorded): Understood? Anything else?" in modal_text(app)
            assert screen.query_one("#types", SelectionList).selected == ["balance_inquiry"]
            assert not screen.query_one("#callback", Checkbox).value

            await pilot.press("ctrl+r")
            await pilot.pause()
            assert "Pick a disposition code first" in modal_text(app)

            await type_text(pilot, "lost")
            await pilot.pause()
            codes = screen.query_one("#codes", OptionList)
            listed = options_text(codes)
            assert "Card reported lost and frozen" in listed and "Balance" not in listed
            await pilot.press("down", "down", "up", "enter")
            assert screen.disposition == "lost_card.passbook"
            await pilot.press("shift+tab", "shift+tab", "ctrl+u", *"frozen", "enter")
            assert screen.disposition == "lost_card.card_freeze"
            assert "Lost card → Card reported lost and frozen" in modal_text(app).replace(">", "→")
            assert screen.query_one("#notes", TextArea).has_focus
            await type_text(pilot, "Card frozen [b]ok[/b]")

            # The contact is still active: the backend refuses; the form stays.
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: "Not saved" in modal_text(app))
            assert app.result is PENDING and screen.disposition == "lost_card.card_freeze"

            await live.service.end()
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: app.result is not PENDING)
        record = app.result
        assert isinstance(record, SessionRecordView)
        assert record.disposition == "lost_card.card_freeze" and record.notes == "Card frozen [b]ok[/b]"
        assert record.missed_steps == ["confirm"] and record.business_types == ["balance_inquiry"]
        assert not record.callback_needed


async def test_wrap_up_esc_keeps_the_form_and_a_queued_submit_dismisses_true(backend) -> None:
    sent: list[WrapUpRequest] = []

    async def queue_it(request: WrapUpRequest) -> SessionRecordView | None:
        sent.append(request)
        return None

    async with live_contact(backend, 2) as live:
        await live.service.end()
        first = WrapUpScreen(live.service, missed=[], customer_left=True, submit=queue_it)
        app = ModalHost(first)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: bool(first.categories))
            assert first.query_one("#callback", Checkbox).value  # the customer left
            first.query_one("#filter", Input).value = "回访"  # Chinese labels match too
            await pilot.pause()
            assert "Callback needed" in options_text(first.query_one("#codes", OptionList))
            await pilot.press("enter")
            await type_text(pilot, "call back at 5")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.result is not PENDING)
        assert app.result is None and sent == []

        again = WrapUpScreen(live.service, missed=[], customer_left=True, submit=queue_it)
        app = ModalHost(again)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: again.disposition == "other.callback")
            assert again.query_one("#notes", TextArea).text == "call back at 5"
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: app.result is not PENDING)
        assert app.result is True
        assert sent[0].disposition == "other.callback" and sent[0].callback_needed
        assert sent[0].notes == "call back at 5" and sent[0].not_ready_reason is None


# -- transfer ----------------------------------------------------------------------------------


async def test_transfer_lists_other_phone_queues_only() -> None:
    queues = [
        QueueStats(queue="phone.general", channel=Channel.PHONE, waiting=1, longest_wait_seconds=3),
        QueueStats(queue="chat.general", channel=Channel.CHAT, waiting=0, longest_wait_seconds=0),
        QueueStats(queue="phone.cards", channel=Channel.PHONE, waiting=2, longest_wait_seconds=9),
        QueueStats(queue="phone.[b]vip[/b]", channel=Channel.PHONE, waiting=0, longest_wait_seconds=0),
    ]
    app = ModalHost(TransferScreen(queues, "phone.general"))
    async with app.run_test(size=SIZE) as pilot:
        listed = options_text(app.screen.query_one(OptionList))
        assert listed == "1. phone.cards  (2 waiting)\n2. phone.[b]vip[/b]  (0 waiting)"
        await pilot.press("2")
        await wait_for(pilot, lambda: app.result is not PENDING)
    assert app.result == "phone.[b]vip[/b]"

    app = ModalHost(TransferScreen(queues[:2], "phone.general"))
    async with app.run_test(size=SIZE) as pilot:
        assert "no other phone queue" in modal_text(app)
        await pilot.press("1", "escape")
        await wait_for(pilot, lambda: app.result is not PENDING)
    assert app.result is None


async def test_consent_is_polled_when_the_event_is_missed(backend, monkeypatch) -> None:
    monkeypatch.setattr(operation_screen, "CONSENT_POLL_SECONDS", 0.2)
    async with live_contact(backend, 0) as live:
        await live.service.verify("reserved_phone", live.customer["phone"])
        await live.service.verify("id_last6", live.customer["id_number"][-6:])
        await live.unfollow()  # the `disclosure` event will not arrive
        app = ModalHost(OperationScreen(live.service, language="zh-CN"))
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            await wait_for(pilot, lambda: bool(screen.catalogue))
            await open_operation(pilot, screen, "buy_wealth")
            assert "理财非存款" in modal_text(app)  # the customer's language
            await pick_option(pilot, screen.fields["product"], 1)
            await pick_option(pilot, screen.fields["from_account"], 1)
            screen.fields["amount"].focus()
            await pilot.press(*"100", "ctrl+t")
            sent = await until(lambda: next(iter(live.service.disclosures), None))
            await asyncio.to_thread(record_consent, live.ctx, live.contact_id, sent, True)
            await wait_for(pilot, lambda: "The customer consented" in modal_text(app), timeout=5)
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: screen.last_done is not None)
            assert screen.last_done.code == "buy_wealth"
