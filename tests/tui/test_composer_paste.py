"""A multi-line paste in a terminal without bracketed paste, in the composer.

Such a terminal types the pasted text: Textual's driver reads the pty in
4 KB reads, parses each into key events (a CR — what terminals send for a
line break — becomes an "enter" key) and posts all the keys of a read at
once, long before the desk has handled the first. Found by QA:

1. a 3,000-line paste went out as thousands of messages (every line break
   an Enter), broken at arbitrary lines where the desk's send hold caught
   up, with whole stretches of lines lost in between;
2. the notice for what did not fit said "1 not added" (one per key) — or
   nothing at all — where a bracketed paste of the same text counted every
   character left out.

The keys are made by Textual's own parser from the pasted text and posted
through the driver (``Driver.process_message``, the path of the driver's
input thread), every read before the app gets to run: ``pilot.press`` waits
for each key to be handled, which a terminal never does.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual import events
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.widgets import Static

from csdesk.domain.contact_schemas import MAX_MESSAGE_CHARS
from csdesk.widgets.composer import BURST_GAP, Composer
from tests.tui.helpers import make_app, sign_in_to_desk, wait_for
from tests.tui.test_desk_live import AGENT, live, take_contact
from tests.tui.test_desk_widgets import Host, rendered

#: A real 3,000-line paste (29,999 characters with its line breaks).
LINES = 3_000
PASTE = "\n".join(f"line {n:04d}" for n in range(1, LINES + 1))


def terminal_reads(text: str, read_size: int = 4096, *, newline: str = "\r") -> list[list[events.Key]]:
    """The key events a terminal without bracketed paste delivers for ``text``:
    one list per ``read()`` of the driver (``read_size`` characters), made by
    Textual's parser. Line breaks are sent as ``newline``: CR (the Enter key)
    as terminals do, or LF (ctrl+j)."""
    parser = XTermParser()
    data = text.replace("\n", newline)
    reads = []
    for start in range(0, len(data), read_size):
        keys = list(parser.feed(data[start : start + read_size]))
        assert all(isinstance(key, events.Key) for key in keys)
        reads.append(keys)
    return reads


def deliver(app: App, reads: list[list[events.Key]], *, at: float | None = None) -> None:
    """Post every key of ``reads`` through the driver, none waiting for the one
    before (a read's keys all at once, as the driver's input thread does).
    ``at``: the time stamp the driver would have given them (seconds, Textual's
    clock; default: now)."""
    assert app._driver is not None
    for keys in reads:
        for key in keys:
            if at is not None:
                key.time = at
            app._driver.process_message(key)


async def settle(pilot, composer: Composer, timeout: float = 60.0) -> None:
    """Wait until every key posted so far has been handled by ``composer``."""
    await settle_on(pilot, composer.input, timeout)


async def settle_on(pilot, widget, timeout: float = 60.0) -> None:
    """Wait until every key posted so far has been handled by ``widget`` (the
    focused one): a callback sent the keys' way (through the driver to the
    app, then from the app to the widget) runs after them."""
    app = pilot.app
    handled = asyncio.Event()

    def at_the_app() -> None:
        widget.call_later(handled.set)

    assert app._driver is not None
    app._driver.send_message(events.Callback(callback=at_the_app))
    await asyncio.wait_for(handled.wait(), timeout)
    await pilot.pause()


def sends(app: Host) -> list[str]:
    return [m.text for m in app.messages if isinstance(m, Composer.Send)]


def of_type(app: Host, kind: type) -> list:
    return [m for m in app.messages if isinstance(m, kind)]


def status(composer: Composer) -> str:
    return rendered(composer.query_one("#composer-status", Static))


# -- 1. order: the paste is text in the composer, in order, never sent ---------------------


async def test_plain_paste_of_3000_lines_is_text_in_order_and_nothing_typed_is_lost() -> None:
    """Every Enter of the paste used to send the line before it: 2,999 messages."""
    composer = Composer(max_chars=40_000)  # the whole paste fits: every line must be there
    app = Host(composer)
    async with app.run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        await pilot.press(*"Hi:", "ctrl+j")
        deliver(app, terminal_reads(PASTE))
        await settle(pilot, composer)
        assert sends(app) == [] and of_type(app, Composer.Refused) == []
        assert composer.text == "Hi:\n" + PASTE
        assert composer.input.has_focus

        await pilot.pause(BURST_GAP * 3)  # the agent types on, then sends: one message
        await pilot.press("space", "o", "k")
        assert composer.text == "Hi:\n" + PASTE + " ok"
        await pilot.press("enter")
        await pilot.pause()
        assert sends(app) == ["Hi:\n" + PASTE + " ok"] and composer.text == ""


async def test_plain_paste_into_the_desk_sends_nothing_and_keeps_its_order(backend, tmp_path: Path) -> None:
    """On the desk (the real send hold): the first lines went out as hundreds of
    messages, then the hold kept a few hundred in the composer and dropped the rest."""
    app = make_app(backend.url, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_desk(pilot, AGENT)
        service = app.get_session().contact
        await take_contact(pilot, backend)
        composer = live(app).composer
        await wait_for(pilot, lambda: composer.input.has_focus)
        composer.clear()
        before = len(service.contact.transcript)
        deliver(app, terminal_reads(PASTE))
        await settle(pilot, composer)
        await pilot.pause(0.5)  # anything sent would be on its way by now
        desk = app.screen
        assert not desk._outgoing
        assert [line.text for line in service.contact.transcript[before:] if line.speaker == "agent"] == []
        assert composer.text == PASTE[:MAX_MESSAGE_CHARS]
        assert f"({len(PASTE) - MAX_MESSAGE_CHARS} not added)" in status(composer)


async def test_burst_of_keys_keeps_its_order_with_other_keys_in_it() -> None:
    """Any burst of queued keys, not only text: a tab stays text (it used to move
    the focus out of the composer, and the rest of the paste went elsewhere), CR LF
    is one line break (also split between two reads), a key that is not text
    (backspace) acts in its place, not after the keys queued behind it."""
    composer = Composer()
    app = Host(composer)
    async with app.run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        first = terminal_reads("ab\tc\r", newline="\n")
        deliver(app, first)
        await settle(pilot, composer)
        later = terminal_reads("\nd", newline="\n") + terminal_reads("x\x7fe\n")
        assert [key.key for key in later[-1]] == ["x", "backspace", "e", "enter"]
        deliver(app, later, at=first[-1][-1].time + BURST_GAP / 4)  # the next read
        await settle(pilot, composer)
        assert composer.text == "ab\tc\nde\n"
        assert composer.input.has_focus
        assert sends(app) == []


async def test_an_enter_alone_at_the_start_of_the_next_read_is_still_a_line_break() -> None:
    """A read may end just before a line break: the next read's Enter can reach the
    composer alone. Stamped (by the driver) right after the read before it, it is a
    line break; an Enter the agent presses later sends."""
    composer = Composer()
    app = Host(composer)
    async with app.run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        first = terminal_reads("first line")
        deliver(app, first)
        await settle(pilot, composer)
        stamp = first[-1][-1].time
        deliver(app, terminal_reads("\n"), at=stamp + BURST_GAP / 4)
        await settle(pilot, composer)
        deliver(app, terminal_reads("second line"), at=stamp + BURST_GAP / 2)
        await settle(pilot, composer)
        assert sends(app) == []
        assert composer.text == "first line\nsecond line"
        await pilot.pause(BURST_GAP * 3)
        await pilot.press("enter")
        await pilot.pause()
        assert sends(app) == ["first line\nsecond line"]


async def test_burst_while_sends_are_held_puts_the_held_line_break_first() -> None:
    composer = Composer()
    app = Host(composer)
    async with app.run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        composer.hold_sends = True
        await pilot.press(*"first", "enter")  # held: a line break before more text
        deliver(app, terminal_reads("second\nthird"))
        await settle(pilot, composer)
        assert composer.text == "first\nsecond\nthird" and sends(app) == []


# -- 2. the count of what was not added ----------------------------------------------------


@pytest.mark.parametrize("hold", [False, True], ids=["sending", "sends-held"])
async def test_plain_paste_over_the_cap_counts_every_character_left_out(hold: bool) -> None:
    """Cut to the cap, and counted as a bracketed paste of the same text is
    (it said "1 not added" — one key — or, sending line by line, nothing)."""
    plain, bracketed = Composer(id="plain"), Composer(id="bracketed")
    app = Host(plain, bracketed)
    async with app.run_test(size=(80, 24)) as pilot:
        plain.hold_sends = bracketed.hold_sends = hold
        bracketed.set_text("ok ")
        plain.focus_input()
        await pilot.press("o", "k", "space")
        deliver(app, terminal_reads(PASTE))
        await settle(pilot, plain)
        left_out = len(PASTE) - (MAX_MESSAGE_CHARS - 3)
        assert sends(app) == []
        assert plain.text == ("ok " + PASTE)[:MAX_MESSAGE_CHARS]
        assert f"Cut to {MAX_MESSAGE_CHARS} characters ({left_out} not added)" in status(plain)
        cuts = [m for m in of_type(app, Composer.Truncated) if m.composer is plain]
        assert sum(m.dropped for m in cuts) == left_out and cuts[-1].total == left_out

        bracketed.input.post_message(events.Paste(PASTE.replace("\n", "\r")))  # the same, bracketed
        await pilot.pause()
        assert bracketed.text == plain.text
        assert f"({left_out} not added)" in status(bracketed)


async def test_count_includes_the_first_keys_handled_alone() -> None:
    """The app may get to the first keys of a paste before the rest arrive: they
    are handled alone (each said as it is cut), yet counted with the paste they opened."""
    composer = Composer(max_chars=10)
    app = Host(composer)
    async with app.run_test(size=(80, 24)) as pilot:
        composer.focus_input()
        composer.set_text("0123456789")  # full
        await pilot.pause()
        head = terminal_reads("x")
        deliver(app, head)
        await settle(pilot, composer)
        assert "(1 not added)" in status(composer)
        deliver(app, terminal_reads("v"), at=head[0][0].time + BURST_GAP / 4)
        await settle(pilot, composer)
        assert "(1 not added)" in status(composer)
        deliver(app, terminal_reads("yz\nw"), at=head[0][0].time + BURST_GAP / 2)
        await settle(pilot, composer)
        assert composer.text == "0123456789"
        assert "(6 not added)" in status(composer)
        assert sends(app) == []
