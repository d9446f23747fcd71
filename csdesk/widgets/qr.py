"""A QR code drawn with half-block characters, so it fits an 80×24 terminal.

Each character cell holds two modules, one above the other (``▀``, ``▄``,
``█``, space), which halves the height: a version-5 code with a 2-module quiet
zone is 41 cells wide and 21 rows high. Dark modules are drawn black on white
whatever the theme, since phone scanners expect dark on light (ISO/IEC 18004
quiet zone: 4 modules recommended; 2 scan reliably from a screen).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

_CELLS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def qr_lines(data: str, *, border: int = 2) -> list[str]:
    """Return the QR code of ``data`` as lines of half-block characters.

    Uses segno with error correction L (the URI is short and shown on a
    screen, not printed). Raises ``ValueError`` when ``data`` is too long for
    a QR code.
    """
    import segno

    try:
        code = segno.make(data, error="L", micro=False)
    except segno.DataOverflowError as exc:  # pragma: no cover - data we make is short
        raise ValueError(str(exc)) from exc
    rows = [[bool(m) for m in row] for row in code.matrix_iter(border=border)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    return [
        "".join(_CELLS[(top, bottom)] for top, bottom in zip(rows[i], rows[i + 1]))
        for i in range(0, len(rows), 2)
    ]


class QrCode(Static):
    """Shows ``data`` as a scannable QR code (black on white, no wrapping)."""

    DEFAULT_CSS = """
    QrCode {
        width: auto;
        height: auto;
    }
    """

    def __init__(self, data: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data = data

    def on_mount(self) -> None:
        self.show(self.data)

    def show(self, data: str) -> None:
        """Draw ``data`` (an ``otpauth://`` URI, say); empty draws nothing."""
        self.data = data
        if not data:
            self.update("")
            return
        text = Text(no_wrap=True, end="")
        for index, line in enumerate(qr_lines(data)):
            if index:
                text.append("\n")
            text.append(line, style="black on white")
        self.update(text)
