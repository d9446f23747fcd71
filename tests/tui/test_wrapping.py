"""Long lines wrap whole in the activity log and the transcript, scrollbar or not.

Found by testers at 80×24: the log cut line ends (RichLog renders at least 78
cells wide unless told otherwise) and the transcript lost the last 2 cells of
lines wrapped before its scrollbar appeared.
"""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App, ComposeResult

from csdesk.domain.contact_schemas import TranscriptLine
from csdesk.domain.contacts import Speaker
from csdesk.widgets.activity_log import ActivityLog
from csdesk.widgets.transcript import Transcript

WORDS = "Nothing was lost; try again. 请稍后再试，谢谢您的耐心等待 ENDMARK"


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ActivityLog(id="log")


class TranscriptApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Transcript(id="transcript")


def rows(app: App) -> list[str]:
    """The text of each screen row (the compositor's current frame)."""
    lines = app.screen._compositor.render_update(full=True)
    return ["".join(segment.text for segment in strip) for strip in lines.strips]


async def test_the_activity_log_wraps_every_line_whole_at_40_columns() -> None:
    app = LogApp()
    async with app.run_test(size=(40, 30)) as pilot:
        log = app.query_one(ActivityLog)
        for i in range(3):
            log.add(f"{i} {WORDS}")
        await pilot.pause(0.2)
        text = "".join(row.strip(" │") for row in rows(app)).replace(" ", "")
        assert text.count("ENDMARK") == 3
        assert "tryagain." in text


async def test_transcript_lines_keep_their_last_cells_once_the_scrollbar_shows() -> None:
    app = TranscriptApp()
    async with app.run_test(size=(40, 8)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.add_line(TranscriptLine(seq=1, at=datetime.now(UTC), speaker=Speaker.CUSTOMER, text=WORDS))
        await pilot.pause(0.1)
        for seq in range(2, 12):  # the scrollbar appears
            transcript.add_line(TranscriptLine(seq=seq, at=datetime.now(UTC), speaker=Speaker.AGENT, text=WORDS))
        await pilot.pause(0.2)
        width = transcript.scrollable_content_region.width
        assert all(strip.cell_length <= width for strip in transcript._strips)
        transcript.scroll_home(animate=False)
        await pilot.pause(0.1)
        text = "".join(rows(app)).replace(" ", "")
        assert "ENDMARK" in text and "tryagain." in text


async def test_lines_logged_while_the_log_is_hidden_wrap_when_it_shows() -> None:
    """The desk hides the log during a contact: lines logged then came out one
    character a line once it showed again."""
    app = LogApp()
    async with app.run_test(size=(40, 30)) as pilot:
        log = app.query_one(ActivityLog)
        log.display = False
        await pilot.pause(0.1)
        log.add("Offer: Chat")
        log.add(WORDS)
        await pilot.pause(0.1)
        log.display = True
        await pilot.pause(0.3)
        text = [row.strip(" │") for row in rows(app)]
        assert any(row.endswith("Offer: Chat") for row in text)
        assert "".join(text).replace(" ", "").count("ENDMARK") == 1


async def test_lines_waiting_while_hidden_stay_capped_after_a_flush() -> None:
    """Lines waiting while the log is hidden are capped at ``max_lines``, also
    after the first time they were written out (the cap was lost then, so a
    desk that kept its log hidden grew without bound)."""
    app = LogApp()
    async with app.run_test(size=(40, 30)) as pilot:
        log = app.query_one(ActivityLog)
        for _round in range(2):
            log.display = False
            await pilot.pause(0.05)
            for i in range(log.max_lines + 50):
                log.add(f"line {i}")
            assert len(log._waiting) == log.max_lines
            log.display = True
            await pilot.pause(0.1)
            log.flush_waiting()
            assert len(log._waiting) == 0
        assert len(log.lines) <= log.max_lines
