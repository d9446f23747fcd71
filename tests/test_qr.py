"""The enrolment QR code: fits 80×24 and decodes back to the same URI."""

from __future__ import annotations

from csdesk.widgets.qr import qr_lines

URI = "otpauth://totp/csdesk:A1004?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=csdesk"


def modules_from_lines(lines: list[str]) -> list[list[bool]]:
    top = {"█": True, "▀": True, "▄": False, " ": False}
    bottom = {"█": True, "▀": False, "▄": True, " ": False}
    rows: list[list[bool]] = []
    for line in lines:
        rows.append([top[c] for c in line])
        rows.append([bottom[c] for c in line])
    return rows


def test_qr_fits_an_80x24_terminal() -> None:
    lines = qr_lines(URI)
    assert len(lines) <= 21 and max(len(line) for line in lines) <= 41
    assert set("".join(lines)) <= {"█", "▀", "▄", " "}


def test_qr_lines_hold_the_same_modules_as_segno() -> None:
    import segno

    code = segno.make(URI, error="L", micro=False)
    expected = [[bool(m) for m in row] for row in code.matrix_iter(border=2)]
    got = modules_from_lines(qr_lines(URI))[: len(expected)]
    assert got == expected
