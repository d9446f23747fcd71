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

from textual import events
from textual.widgets import Checkbox, Input, OptionList, Select, SelectionList, TextArea

from csdesk.domain.contact_schemas import OperationDone, QueueStats, SessionRecordView, VerifyResult, WrapUpRequest
from csdesk.domain.contacts import Channel, VerificationMethod
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
from tests.tui.live_modal_helpers import (
    PENDING,
    ModalHost,
    assert_in_view,
    burst,
    live_contact,
    modal_text,
    operation_modal,
    until,
    verify_to,
)

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
                # Enter and a key behind it in one burst (a laggy link): the key
                # must not join the answer checked ("13812345678x" once failed).
                for key, char in (("enter", "\r"), ("x", "x")):
                    app.post_message(events.Key(key, char))
                await wait_for(pilot, lambda: screen.result is not None)
                assert screen.result.passed and screen.result.level == 1 and screen.result.failed_attempts == 0
                assert screen.query_one("#answer", Input).value == ""
                assert live.customer["phone"] not in modal_text(app)

                await pilot.press("2")  # the pass put the focus back in the method list
                await type_text(pilot, live.customer["id_number"][-6:])
                await pilot.press("enter")
                await wait_for(pilot, lambda: screen.result.level == 2)
                text = modal_text(app)
                assert "Passed. Level now L2 (two factors" in text and "L2 (two factors" in text
                assert live.service.verification_level == 2

                # The transaction password: nothing typed, the keypad answers.
                await pilot.press("5", "enter")
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


async def test_verification_after_a_pass_digits_pick_the_next_method(backend) -> None:
    """The tester's report: method 1 passed, then "2" and "023158" typed
    "2023158" into method 1's answer box (the focus stayed there). A pass now
    puts the focus back in the method list with the next method not yet passed
    highlighted, so "2" picks method 2 and the six digits are its answer, key
    by key or in one burst; a failure keeps the focus in the emptied box."""
    async with live_contact(backend, 0) as live:
        app = ModalHost(VerificationScreen(live.service))
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            methods = screen.query_one("#methods", OptionList)
            answer = screen.query_one("#answer", Input)
            await wait_for(pilot, lambda: screen.info is not None)
            assert "In the method list: 1-5" in modal_text(app)

            await pilot.press("1", *live.customer["phone"], "enter")
            await wait_for(pilot, lambda: screen.result is not None and screen.focused is methods)
            assert screen.result.passed and methods.highlighted == 1  # method 2 next
            assert "In the method list" in modal_text(app)

            id6 = live.customer["id_number"][-6:]
            await pilot.press("2", *id6)
            assert screen.method is VerificationMethod.ID_LAST6 and answer.value == id6
            assert screen.focused is answer and "In the answer box: Enter checks" in modal_text(app)
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.result.level == 2 and screen.focused is methods)
            assert methods.highlighted == 2 and answer.value == ""

            # The same as one burst of keys: "3", the card digits and Enter.
            card4 = live.customer["cards"][0]["number"][-4:]
            burst(pilot, "3", *card4, "enter")
            await wait_for(pilot, lambda: VerificationMethod.CARD_LAST4 in screen.info.verified_methods)
            await wait_for(pilot, lambda: screen.focused is methods)
            assert screen.result.failed_attempts == 0 and methods.highlighted == 3

            # A failure: the focus is back in the emptied answer box of the same method.
            await pilot.press("4", *"not the answer", "enter")
            await wait_for(pilot, lambda: screen.result.failed_attempts == 1 and screen.focused is answer)
            assert answer.value == "" and screen.method is VerificationMethod.SECURITY_QUESTION
            await type_text(pilot, live.customer["security_answer"])
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.result.level == 3)


async def test_verification_fits_80x24_with_a_bordered_labelled_answer_box(backend) -> None:
    """At 80×24 the title, the attempts, the level, the method list, a long
    question, the answer box (a border, the method as its label, kept while
    typing), a three-row message and the hint are all in view."""
    async with live_contact(backend, 0) as live:
        with live.ctx.db.write() as session:
            session.get(Customer, live.customer["customer_ref"]).security_question = "What? " * 30
        await verify_to(live, 2)  # L2: a long level meaning
        app = ModalHost(VerificationScreen(live.service))
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            await wait_for(pilot, lambda: screen.info is not None)
            await pilot.press("4", *"a cat")
            answer = screen.query_one("#answer", Input)
            assert answer.value == "a cat" and str(answer.border_title) == "Answer: Security question"
            assert str(answer.styles.border_top[0]) not in ("", "none", "hidden")
            screen._say("x " * 150, "warn")  # as long as the lockout message, and more
            await pilot.pause()
            parts = ("#title", "#attempts", "#state", "#methods", "#prompt", "#answer", "#message", "#hint")
            assert_in_view(screen, *parts)
            assert "Identity verification" in modal_text(app) and "L2 (two factors" in modal_text(app)


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


async def test_operation_forms_fit_80x24(backend) -> None:
    """A form with several fields, a long text to tell and a risk disclosure
    at 80×24, with a message under every field: the title (the operation, its
    level, the customer's level), each field, the consent state, the message
    and the one-row hint are in view; the texts scroll between them."""
    async with operation_modal(backend, 1, 3) as (_live, app, pilot):
        screen = app.screen
        assert_in_view(screen, "#title", "#catalogue", "#hint")
        for code, title in (("transfer_own", "Transfer between own accounts"),
                            ("buy_wealth", "Buy a wealth-management product")):
            await open_operation(pilot, screen, code)
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert "Some fields need attention" in modal_text(app)
            assert str(screen.query_one("#title").render()).startswith(title)
            assert "Customer at L3" in str(screen.query_one("#title").render())
            assert_in_view(screen, "#title", "#consent", "#message", "#hint")
            assert screen.query_one("#hint").region.height == 1
            for name, widget in screen.fields.items():
                assert_in_view(screen, widget, inside="#form")
                assert screen.errors[name].display
            assert "Not sent yet" in str(screen.query_one("#consent").render())
            await pilot.press("escape")
            await pilot.pause()


async def test_transfer_refused_without_consent_then_done_after_it(backend) -> None:
    async with live_contact(backend, 1) as live:
        await verify_to(live, 3)
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


class FakeClock:
    """A settable clock (epoch seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_wrap_up_shows_the_acw_time_left_and_fits_80x24(backend) -> None:
    """The form covers the desk's ACW timer: its title line counts the ACW
    time down each second and warns once it is up; at 80×24 every part of the
    form is in view (a missed step and "the customer left" included)."""
    async with live_contact(backend, 0) as live:
        await live.service.end()
        deadline = live.service.contact.acw_deadline.timestamp()
        clock = FakeClock(deadline - 42.5)
        screen = WrapUpScreen(live.service, missed=["confirm", "verify"], customer_left=True,
                              submit=live.service.wrap_up, clock=clock)
        app = ModalHost(screen)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: bool(screen.categories))
            acw = screen.query_one("#acw")
            assert str(acw.render()) == "ACW left 00:42"
            assert not any("red" in str(span.style) for span in acw.render().spans)
            clock.now += 1
            await wait_for(pilot, lambda: str(acw.render()) == "ACW left 00:41", timeout=3)
            clock.now = deadline + 5.2
            await wait_for(pilot, lambda: "ACW time is up: 00:05 over" in str(acw.render()), timeout=3)
            assert any("red" in str(span.style) for span in acw.render().spans)  # the warning style
            assert_in_view(screen, "#title", "#acw", "#missed", "#filter", "#codes", "#chosen", "#notes",
                           "#types", "#callback", "#after", "#message", "#hint")
            assert_in_view(screen, "#filter", "#codes", "#notes", "#types", "#callback", "#after", inside="#body")


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
        assert listed == "1. Cards phone line  (2 waiting)\n2. phone.[b]vip[/b]  (0 waiting)"
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


async def test_a_backend_gone_mid_contact_is_said_in_each_modal(backend) -> None:
    """A failed call shows its message in the modal; it once recursed until the
    stack ran out (every modal's failure path, every kind of failure)."""
    async with live_contact(backend, 0) as live:
        await live.unfollow()
        backend.stop()
        app = ModalHost(VerificationScreen(live.service))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "reach" in modal_text(app).lower() or "offline" in modal_text(app).lower())
            assert app.is_running
        app = ModalHost(OperationScreen(live.service, language="en"))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "reach" in modal_text(app).lower() or "offline" in modal_text(app).lower())
            assert app.is_running

