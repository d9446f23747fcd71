"""The live-session desk widgets at 80×24, each in a tiny host app (issue #4).

Transcript, Composer, OfferBanner, ContactTimers, CustomerCardView,
ProcedureChecklist and DeskPanels, driven with ``App.run_test`` + Pilot.
No backend: the widgets take plain data (the contact_schemas models).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.events import Paste
from textual.widget import Widget
from textual.widgets import Static, Tabs

from csdesk.domain.contact_schemas import (
    MAX_MESSAGE_CHARS,
    CardView,
    ContactView,
    CustomerCard,
    OfferView,
    PastContact,
    QueueStats,
    TranscriptLine,
)
from csdesk.domain.contacts import ChecklistStep, Channel, ContactStatus, Speaker
from csdesk.domain.procedure import ProcedureFacts, evaluate_procedure
from csdesk.i18n import set_language
from csdesk.widgets.composer import Composer
from csdesk.widgets.contact_timers import ContactTimers
from csdesk.widgets.customer_card import CustomerCardView
from csdesk.widgets.desk_panels import DeskPanels
from csdesk.widgets.offer_banner import OfferBanner, mmss
from csdesk.widgets.procedure_checklist import ProcedureChecklist
from csdesk.widgets.transcript import Transcript
from tests.tui.helpers import wait_for

T0 = datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)
HOSTILE = "\x1b[2J\x1b]0;pwned\x07[bold red]x[/] \x1b[31mred\x1b[0m\x07 \u202eevil \x9b31m end"


class Host(App[None]):
    """Hosts the widgets under test, nothing else."""

    def __init__(self, *widgets: Widget) -> None:
        super().__init__()
        self._widgets = widgets
        self.messages: list[object] = []

    def compose(self) -> ComposeResult:
        yield from self._widgets

    def on_composer_send(self, message: Composer.Send) -> None:
        self.messages.append(message)

    def on_composer_refused(self, message: Composer.Refused) -> None:
        self.messages.append(message)

    def on_composer_truncated(self, message: Composer.Truncated) -> None:
        self.messages.append(message)


def line(seq: int, speaker: Speaker, text: str, kind: str = "message") -> TranscriptLine:
    return TranscriptLine(seq=seq, at=T0 + timedelta(seconds=seq), speaker=speaker, kind=kind, text=text)  # type: ignore[arg-type]


def screen_plain(app: App) -> str:
    """What the terminal shows now, as text (rows joined by newlines)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def rendered(widget: Static) -> str:
    return str(widget.render())


# -- Transcript ---------------------------------------------------------------


async def test_transcript_shows_markup_and_escapes_literally_stripped() -> None:
    transcript = Transcript()
    async with Host(transcript).run_test(size=(80, 24)) as pilot:
        transcript.add_line(line(1, Speaker.CUSTOMER, HOSTILE))
        transcript.add_line(line(2, Speaker.AGENT, "Hello [i]there[/i]"))
        transcript.add_line(line(3, Speaker.AGENT, "private", kind="note"))
        await pilot.pause()
        shown = screen_plain(pilot.app)
        assert "[bold red]x[/] red evil 31m end" not in shown  # the 8-bit CSI is gone whole
        assert "[bold red]x[/] red evil  end" in shown
        assert "Hello [i]there[/i]" in shown
        assert "Customer:" in shown and "Agent:" in shown and "Note:" in shown
        for bad in ("\x1b", "\x07", "\u202e", "\x9b", "pwned"):
            assert bad not in transcript.plain_text
        local = (T0 + timedelta(seconds=1)).astimezone().strftime("%H:%M:%S")
        assert local in shown


async def test_transcript_wraps_long_lines_and_cjk() -> None:
    transcript = Transcript()
    async with Host(transcript).run_test(size=(80, 24)) as pilot:
        transcript.add_line(line(1, Speaker.CUSTOMER, "你好" * 60))
        await pilot.pause()
        rows = [r for r in screen_plain(pilot.app).splitlines() if "你" in r or "好" in r]
        assert len(rows) >= 3  # 240 cells of CJK wrap over several rows
        assert all(len(r.rstrip()) <= 80 for r in rows)
        # Each character once (a row may end between 你 and 好: the wrap width
        # is odd when the scrollbar's gutter is kept).
        assert sum(r.count("你") for r in rows) == 60 and sum(r.count("好") for r in rows) == 60


async def test_transcript_skips_lines_already_shown_by_seq() -> None:
    transcript = Transcript()
    async with Host(transcript).run_test(size=(80, 24)) as pilot:
        lines = [line(i, Speaker.CUSTOMER, f"m{i}") for i in range(1, 4)]
        assert transcript.add_lines(lines) == 3
        assert transcript.add_lines([*lines, line(4, Speaker.AGENT, "m4")]) == 1
        await pilot.pause()
        assert transcript.line_count == 4


async def test_transcript_append_501st_line_wraps_only_it_and_draws_only_visible_rows() -> None:
    transcript = Transcript()
    async with Host(transcript).run_test(size=(80, 24)) as pilot:
        transcript.add_lines(line(i, Speaker.CUSTOMER, f"message number {i} " * 3) for i in range(1, 501))
        await pilot.pause()
        assert transcript.line_count == 500
        wraps, drawn = transcript.wraps, transcript.rows_drawn
        transcript.add_line(line(501, Speaker.AGENT, "the 501st line"))
        await pilot.pause()
        assert transcript.wraps - wraps == 1  # only the new line was wrapped
        assert transcript.rows_drawn - drawn <= 2 * pilot.app.size.height  # only what is in view was drawn
        await wait_for(pilot, lambda: "the 501st line" in screen_plain(pilot.app))  # followed the end


async def test_transcript_stays_put_when_agent_scrolled_up() -> None:
    transcript = Transcript()
    async with Host(transcript).run_test(size=(80, 24)) as pilot:
        transcript.add_lines(line(i, Speaker.CUSTOMER, f"line {i}") for i in range(1, 101))
        await wait_for(pilot, lambda: transcript.max_scroll_y > 0 and transcript.scroll_y == transcript.max_scroll_y)
        transcript.focus()
        await pilot.press("home")
        await wait_for(pilot, lambda: transcript.scroll_y == 0)
        transcript.add_line(line(101, Speaker.CUSTOMER, "new while scrolled up"))
        await pilot.pause()
        await pilot.pause(0.05)
        assert transcript.scroll_y == 0
        await pilot.press("end")
        await wait_for(pilot, lambda: transcript.scroll_y == transcript.max_scroll_y)
        transcript.add_line(line(102, Speaker.CUSTOMER, "followed again"))
        await wait_for(pilot, lambda: "followed again" in screen_plain(pilot.app))
        assert transcript.scroll_y == transcript.max_scroll_y


async def test_transcript_rewraps_on_resize() -> None:
    transcript = Transcript()
    async with Host(transcript).run_test(size=(80, 24)) as pilot:
        transcript.add_line(line(1, Speaker.CUSTOMER, "word " * 40))
        await pilot.pause()
        narrow_rows = transcript.virtual_size.height
        await pilot.resize_terminal(140, 24)
        await pilot.pause()
        assert transcript.virtual_size.height < narrow_rows


# -- Composer -----------------------------------------------------------------


def status_line(composer: Composer) -> str:
    from textual.widgets import Static

    return rendered(composer.query_one("#composer-status", Static))


async def test_composer_enter_sends_ctrl_j_newline_and_clears() -> None:
    composer = Composer()
    async with Host(composer).run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        await pilot.press("h", "i", "ctrl+j", "y", "o")
        assert composer.text == "hi\nyo"
        await pilot.press("enter")
        await pilot.pause()
        sends = [m for m in pilot.app.messages if isinstance(m, Composer.Send)]
        assert [m.text for m in sends] == ["hi\nyo"]
        assert composer.text == ""


async def test_composer_unknown_code_and_tab_says_so_and_keeps_the_text() -> None:
    """QA round 8 looked for a toast; the notice is the composer's own status line."""
    composer = Composer()
    composer.expander = lambda code: "Hello {agent_name}" if code == "hi" else None
    async with Host(composer).run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        await pilot.press(*"/zzz", "tab")
        await pilot.pause()
        assert composer.text == "/zzz"
        assert "No quick phrase /zzz" in status_line(composer)
        assert composer.input.has_focus  # Tab did not move on
        await pilot.press(*" /hi", "tab")
        assert composer.text == "/zzz Hello {agent_name}"


async def test_composer_shift_enter_is_a_newline() -> None:
    composer = Composer()
    async with Host(composer).run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        await pilot.press("a", "shift+enter", "b")
        assert composer.text == "a\nb"
        assert not [m for m in pilot.app.messages if isinstance(m, Composer.Send)]


async def test_composer_refuses_empty_and_whitespace() -> None:
    composer = Composer()
    async with Host(composer).run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        await pilot.press("enter")
        await pilot.press("space", "space", "ctrl+j", "space", "enter")
        await pilot.pause()
        assert not [m for m in pilot.app.messages if isinstance(m, Composer.Send)]
        assert len([m for m in pilot.app.messages if isinstance(m, Composer.Refused)]) == 2
        assert "Nothing to send" in rendered(composer.query_one("#composer-status", Static))


async def test_composer_huge_paste_is_truncated_with_notice() -> None:
    """A 253,890-character paste said "4000 not added" (it counted only the
    part cleaned); the notice counts every character left out."""
    composer = Composer()
    async with Host(composer).run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        await pilot.press("o", "k")
        composer.input.post_message(Paste("y" * 250_000))
        await pilot.pause()
        assert len(composer.text) == MAX_MESSAGE_CHARS
        assert composer.text.startswith("ok")
        dropped = 250_000 - (MAX_MESSAGE_CHARS - 2)
        status = rendered(composer.query_one("#composer-status", Static))
        assert f"Cut to {MAX_MESSAGE_CHARS} characters ({dropped} not added)" in status
        assert f"{MAX_MESSAGE_CHARS}/{MAX_MESSAGE_CHARS}" in status
        cuts = [m for m in pilot.app.messages if isinstance(m, Composer.Truncated)]
        assert [m.dropped for m in cuts] == [dropped]
        await pilot.press("z")  # full: typing adds nothing
        assert len(composer.text) == MAX_MESSAGE_CHARS


async def test_composer_count_near_the_limit_and_set_text() -> None:
    composer = Composer(max_chars=50)
    async with Host(composer).run_test(size=(80, 24)) as pilot:
        composer.set_text("Hello, I am agent 1001 Li Na.")
        await pilot.pause()
        assert composer.text == "Hello, I am agent 1001 Li Na."
        assert composer.input.cursor_location == composer.input.document.end
        assert "29/50" in rendered(composer.query_one("#composer-status", Static))
        composer.set_text("a" * 80)
        await pilot.pause()
        assert len(composer.text) == 50
        assert "Cut to 50 characters" in rendered(composer.query_one("#composer-status", Static))


async def test_composer_set_text_counts_every_character_dropped() -> None:
    """set_text (the greeting, a failed send put back) counts what it drops
    as the paste does: past the part cleaned, characters are counted as they came."""
    composer = Composer()
    async with Host(composer).run_test(size=(80, 24)) as pilot:
        composer.set_text("\x1b[31m" + "z" * 250_000)  # the escape is cleaned, not counted
        await pilot.pause()
        assert composer.text == "z" * MAX_MESSAGE_CHARS
        status = rendered(composer.query_one("#composer-status", Static))
        assert f"({250_000 - MAX_MESSAGE_CHARS} not added)" in status
        cuts = [m for m in pilot.app.messages if isinstance(m, Composer.Truncated)]
        assert cuts[-1].dropped == 250_000 - MAX_MESSAGE_CHARS


async def test_composer_holds_enter_while_sends_wait() -> None:
    """While hold_sends is set, Enter sends nothing and keeps the text with a
    notice; the new-line key still works; a held Enter followed by more text
    (a multi-line paste typed as keys) becomes a line break; released, Enter
    sends again and the notice goes."""
    composer = Composer()
    async with Host(composer).run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        composer.hold_sends = True
        await pilot.press(*"first", "enter")
        await pilot.pause()
        assert composer.text == "first"
        assert not [m for m in pilot.app.messages if isinstance(m, Composer.Send)]
        status = composer.query_one("#composer-status", Static)
        assert "Still sending the previous message" in rendered(status)
        await pilot.press(*"second", "ctrl+j", *"third")
        assert composer.text == "first\nsecond\nthird"
        assert "Still sending the previous message" in rendered(status)  # typing keeps the notice

        await pilot.press("enter", "enter")  # held twice, then nothing more: no line break added
        assert composer.text == "first\nsecond\nthird"
        composer.hold_sends = False
        await pilot.pause()
        assert "Still sending" not in rendered(status)
        await pilot.press("enter")
        await pilot.pause()
        sends = [m.text for m in pilot.app.messages if isinstance(m, Composer.Send)]
        assert sends == ["first\nsecond\nthird"] and composer.text == ""


async def test_composer_clear_key_empties_the_text_and_is_named_in_the_hint() -> None:
    """ctrl+\\ (the key Textual names ctrl+backslash for byte 0x1c) clears the
    text as an edit (ctrl+z brings it back); the hint names it."""
    composer = Composer()
    async with Host(composer).run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        status = composer.query_one("#composer-status", Static)
        assert "clear" not in rendered(status)  # nothing to clear yet
        await pilot.press(*"hello there")
        assert "ctrl+\\ clear" in rendered(status)
        await pilot.press("ctrl+backslash")
        assert composer.text == ""
        await pilot.press("ctrl+z")
        assert composer.text == "hello there"
        composer.set_text("x" * 3_800)  # near the cap: with the count
        await pilot.pause()
        assert "3800/4000  ctrl+\\ clear" in rendered(status)
        await pilot.press("ctrl+backslash")
        assert composer.text == "" and not [m for m in pilot.app.messages if isinstance(m, Composer.Send)]


async def test_composer_clear_key_is_named_first_when_the_hint_is_cut() -> None:
    """In a narrow composer the clear key is named once the text is long,
    before the other keys (the line is cut at its end)."""
    composer = Composer()
    async with Host(Vertical(composer, id="narrow")).run_test(size=(40, 24)) as pilot:
        composer.focus_input()
        status = composer.query_one("#composer-status", Static)
        await pilot.press(*"short")
        assert "clear" not in rendered(status)
        composer.set_text("word " * 60)
        await pilot.pause()
        assert rendered(status).startswith("ctrl+\\ clear")


# -- OfferBanner ----------------------------------------------------------------


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_offer_banner_counts_down_and_up_and_shows_first_words_as_text() -> None:
    clock = FakeClock(T0.timestamp())
    banner = OfferBanner(clock=clock)
    offer = OfferView(
        contact_id="c1", channel=Channel.CHAT, queue="cards", waited_seconds=42,
        first_words="[bold]My card[/bold] \x1b[5mwas\x1b[0m stolen!\nplease help " + "x" * 200,
        offered_at=T0, expires_at=T0 + timedelta(seconds=20),
    )
    async with Host(banner).run_test(size=(80, 24)) as pilot:
        banner.show_offer(offer)
        await pilot.pause()
        assert banner.display
        first = rendered(banner)
        assert "Expires in 20 s" in first and "Waiting 00:42" in first
        assert '"[bold]My card[/bold] was stolen! please help' in first
        assert "\x1b" not in first
        assert all(len(row) <= 80 for row in screen_plain(pilot.app).splitlines())
        assert "Enter accept" in first and "decline" in first
        clock.now += 3
        banner.tick()
        later = rendered(banner)
        assert banner.seconds_left == pytest.approx(17)
        assert "Expires in 17 s" in later and "Waiting 00:45" in later
        clock.now += 30
        banner.tick()
        assert banner.seconds_left == 0 and "Expires in 0 s" in rendered(banner)
        banner.clear_offer()
        await pilot.pause()
        assert not banner.has_class("-ringing")


async def test_offer_banner_real_timer_ticks() -> None:
    banner = OfferBanner()
    now = datetime.now(UTC)
    offer = OfferView(contact_id="c1", channel=Channel.PHONE, queue="q", waited_seconds=0, first_words="hi",
                      offered_at=now, expires_at=now + timedelta(seconds=20))
    async with Host(banner).run_test(size=(80, 24)) as pilot:
        banner.show_offer(offer)
        before = banner.seconds_left
        await pilot.pause(1.2)
        assert banner.seconds_left < before
        assert "Phone" in rendered(banner)


# -- ContactTimers ----------------------------------------------------------------


def contact(**kw: object) -> ContactView:
    base: dict[str, object] = dict(id="c1", channel=Channel.CHAT, queue="cards", status=ContactStatus.ACTIVE,
                                   queued_at=T0, accepted_at=T0)
    base.update(kw)
    return ContactView(**base)  # type: ignore[arg-type]


def test_mmss() -> None:
    assert mmss(0) == "00:00"
    assert mmss(83.9) == "01:23"
    assert mmss(3600 + 5) == "60:05"
    assert mmss(-4) == "00:00"


async def test_contact_timers_format_and_count() -> None:
    clock = FakeClock(T0.timestamp() + 125)
    timers = ContactTimers(clock=clock)
    async with Host(timers).run_test(size=(80, 24)) as pilot:
        timers.set_state_since(T0.timestamp() + 5)
        timers.set_contact(contact(hold_seconds=30.0))
        timers.set_queues([
            QueueStats(queue="cards", channel=Channel.CHAT, waiting=3, longest_wait_seconds=95),
            QueueStats(queue="loans\x1b[31m", channel=Channel.PHONE, waiting=1, longest_wait_seconds=10),
        ])
        await pilot.pause()
        shown = rendered(timers)
        assert "In state 02:00" in shown and "Handle 02:05" in shown and "Hold 00:30" in shown
        assert "Waiting in queue: 4" in shown and "longest 01:35" in shown
        assert "\x1b" not in shown
        # On hold: the running hold counts up from when the desk saw it.
        timers.set_contact(contact(hold_seconds=30.0, on_hold=True))
        clock.now += 10
        timers.tick()
        assert timers.values()["hold"] == pytest.approx(40)
        assert "ON HOLD" in rendered(timers) and "Hold 00:40" in rendered(timers)
        # ACW countdown; handle time stops at the end.
        ended = T0 + timedelta(seconds=200)
        timers.set_contact(contact(ended_at=ended, acw_deadline=ended + timedelta(seconds=60),
                                   status=ContactStatus.WRAP_UP), clock_skew=0)
        clock.now = ended.timestamp() + 15
        timers.tick()
        shown = rendered(timers)
        assert "Handle 03:20" in shown and "ACW left 00:45" in shown


async def test_timers_under_linux_console_and_monochrome(monkeypatch: pytest.MonkeyPatch) -> None:
    from csdesk.themes import CUSTOM_THEMES, MONOCHROME

    monkeypatch.setenv("TERM", "linux")
    clock = FakeClock(T0.timestamp())
    timers = ContactTimers(clock=clock)
    async with Host(timers).run_test(size=(80, 24)) as pilot:
        for theme in CUSTOM_THEMES:
            pilot.app.register_theme(theme)
        pilot.app.theme = MONOCHROME.name
        timers.set_contact(contact(on_hold=True))
        await pilot.pause()
        text = timers.render_timers()
        assert "●" not in text.plain and "* ON HOLD" in text.plain
        assert all("red" not in str(span.style) and "yellow" not in str(span.style) for span in text.spans)


# -- CustomerCardView ---------------------------------------------------------------


def customer(**kw: object) -> CustomerCard:
    base: dict[str, object] = dict(
        customer_ref="C-1", name="张伟 [b]Zhang[/b]\x1b[31m", segment="Gold",
        phone_masked="138****5678", id_number_masked="110***********1234",
        cards=[CardView(number_masked="622202*********0123", product="Debit", status="frozen")],
        risk_rating=3, open_work_orders=2,
        last_contacts=[PastContact(at=T0, channel=Channel.PHONE, disposition="card.lost")],
    )
    base.update(kw)
    return CustomerCard(**base)  # type: ignore[arg-type]


async def test_customer_card_shows_masked_values_level_and_plain_name() -> None:
    card = CustomerCardView()
    async with Host(card).run_test(size=(80, 24)) as pilot:
        card.show_card(customer())
        card.set_verification(2)
        await pilot.pause()
        shown = rendered(card)
        assert "ID&V L2" in shown
        assert "138****5678" in shown and "110***********1234" in shown and "622202*********0123" in shown
        assert "张伟 [b]Zhang[/b]" in shown and "\x1b" not in shown
        assert "Gold" in shown and "Open work orders: 2" in shown and "R3" in shown and "frozen" in shown
        assert "POSSIBLE FRAUD" not in shown
        assert "card.lost" in shown


async def test_customer_card_never_shows_a_clear_number() -> None:
    card = CustomerCardView()
    async with Host(card).run_test(size=(80, 24)) as pilot:
        card.show_card(customer(phone_masked="13812345678", id_number_masked="110101199003071234",
                                cards=[CardView(number_masked="6222021234567890123", product="Credit", status="active")]))
        await pilot.pause()
        shown = rendered(card)
        for clear in ("13812345678", "110101199003071234", "6222021234567890123"):
            assert clear not in shown
        assert "138****5678" in shown and "110***********1234" in shown and "622202*********0123" in shown


async def test_customer_card_possible_fraud_and_locked() -> None:
    card = CustomerCardView()
    async with Host(card).run_test(size=(80, 24)) as pilot:
        card.show_card(customer(possible_fraud=True))
        await pilot.pause()
        assert "POSSIBLE FRAUD" in rendered(card)
        card.show_card(customer())
        card.set_verification(0, locked=True)
        await pilot.pause()
        assert "POSSIBLE FRAUD" in rendered(card) and "verification locked" in rendered(card)
        card.show_card(None)
        await pilot.pause()
        assert "No customer identified" in rendered(card)


# -- ProcedureChecklist ---------------------------------------------------------------


async def test_checklist_marks_steps_and_missed() -> None:
    checklist = ProcedureChecklist()
    async with Host(checklist).run_test(size=(80, 24)) as pilot:
        facts = ProcedureFacts(lines=((1, "customer", "message", "hi"), (2, "agent", "message", "Hello")))
        result = evaluate_procedure(facts)
        checklist.show_result(result)
        await pilot.pause()
        shown = rendered(checklist)
        assert "✓ Greet" in shown
        assert "→ Learn the need" in shown
        assert "Verify identity (not needed)" in shown
        checklist.show_missed()
        await pilot.pause()
        assert "✗ Wrap up" in rendered(checklist)
        assert result.current is ChecklistStep.LEARN_NEED
        set_language("zh-CN")
        checklist.retranslate()
        assert "问候" in rendered(checklist)


async def test_checklist_says_verification_is_locked_not_that_it_was_not_needed() -> None:
    """QA round 8: after 3 failed ID&V attempts the step read "(not needed)"."""
    checklist = ProcedureChecklist()
    async with Host(checklist).run_test(size=(80, 24)) as pilot:
        facts = ProcedureFacts(lines=((1, "customer", "message", "hi"), (2, "agent", "message", "Hello")))
        checklist.show_result(evaluate_procedure(facts), verification_locked=True)
        await pilot.pause()
        shown = rendered(checklist)
        assert "! Verify identity (locked: possible fraud)" in shown
        assert "Verify identity (not needed)" not in shown
        checklist.show_result(evaluate_procedure(facts))
        await pilot.pause()
        assert "Verify identity (not needed)" in rendered(checklist)


# -- DeskPanels ------------------------------------------------------------------


def panels() -> DeskPanels:
    conversation = Vertical(Transcript(id="t"), Composer(id="c"), id="conv")
    return DeskPanels(conversation, CustomerCardView(id="card"), ProcedureChecklist(id="check"), id="panels")


async def test_panels_are_tabs_at_80x24_and_switch_with_alt_keys() -> None:
    desk = panels()
    async with Host(desk).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app = pilot.app
        assert not desk.wide
        assert desk.query_one(Tabs).display
        conv, card, check = (app.query_one(s) for s in ("#conv", "#card", "#check"))
        assert conv.region.width > 0 and card.region.width == 0 and check.region.width == 0
        app.query_one("#c", Composer).focus_input()
        await pilot.press("alt+2")
        await wait_for(pilot, lambda: card.region.width > 0 and conv.region.width == 0)
        assert desk.active == "card"
        await pilot.press("alt+3")
        await wait_for(pilot, lambda: check.region.width > 0 and card.region.width == 0)
        assert desk.active == "checklist"
        await pilot.press("alt+1")
        await wait_for(pilot, lambda: conv.region.width > 0 and check.region.width == 0)
        assert desk.active == "conversation"
        assert "Conversation (alt+c)" in screen_plain(app)


async def test_panels_side_by_side_at_140_columns() -> None:
    desk = panels()
    async with Host(desk).run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        app = pilot.app
        assert desk.wide
        assert not desk.query_one(Tabs).display
        conv, card, check = (app.query_one(s) for s in ("#conv", "#card", "#check"))
        assert conv.region.width > 0 and card.region.width > 0 and check.region.width > 0
        assert conv.region.x < card.region.x
        assert card.region.y < check.region.y
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: not desk.wide and card.region.width == 0)
