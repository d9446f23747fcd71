"""Live checklist of the password rules while the agent types (guide §1.3)."""

from __future__ import annotations

import hashlib

from rich.text import Text
from textual.widgets import Static

from csdesk.domain.password_policy import PasswordPolicy, RuleResult
from csdesk.glyphs import glyph
from csdesk.i18n import t
from csdesk.themes import status_style


def _digest(password: str) -> bytes:
    """A fingerprint of ``password`` (the widget keeps no second copy of it)."""
    return hashlib.sha256(password.encode("utf-8", "surrogatepass")).digest()


class PasswordChecklist(Static):
    """One line per rule: ✓ met, ✗ not yet; plus "the two entries match".

    ``update_for(password, confirmation, employee_id)`` redraws it; the
    ``history`` rule is known only to the server and is shown as a reminder
    (•) until the server refuses a password for it (``mark_server_failures``).
    A refusal holds for the password it was about: as soon as the password
    is edited, the refused rules go back to what the client can tell (the
    history rule to •, the others to their local check).

    The marks carry the meaning (✓ ✗ •, or + x - on the Linux console); the
    colour only repeats it, and is left out under the monochrome theme.
    """

    DEFAULT_CSS = """
    PasswordChecklist {
        height: auto;
    }
    """

    def __init__(self, policy: PasswordPolicy, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.policy = policy
        self._server_failed: set[str] = set()
        self._failed_for: bytes | None = None
        self._shown_for: bytes | None = None

    @property
    def server_failures(self) -> frozenset[str]:
        """The rules the server refused for the password now typed."""
        return frozenset(self._server_failed)

    def update_for(self, password: str, confirmation: str, employee_id: str) -> bool:
        """Redraw for the typed values; True when every local rule passes and both match."""
        self._shown_for = _digest(password)
        if self._server_failed and self._shown_for != self._failed_for:
            self._server_failed = set()  # edited since the refusal: no longer known
        results = self.policy.check(password, employee_id)
        if self.policy.history:
            results.append(self.policy.history_result(reused="history" in self._server_failed))
        matches = bool(password) and password == confirmation
        text = Text()
        for result in results:
            self._line(text, result, pending=result.rule == "history" and not self._server_failed)
        self._mark(text, matches)
        text.append(t("password.rule.match"))
        self.update(text)
        return matches and all(r.passed for r in results if r.rule != "history")

    def mark_server_failures(self, rules: set[str], password: str | None = None) -> None:
        """Rules the server refused (e.g. ``history``) for ``password`` (default:
        the one shown last); they show ✗ until that password is edited."""
        self._server_failed = set(rules)
        self._failed_for = _digest(password) if password is not None else self._shown_for

    def _mark(self, text: Text, passed: bool) -> None:
        if passed:
            text.append(glyph("✓") + " ", style=status_style(self.app, "good"))
        else:
            text.append(glyph("✗") + " ", style=status_style(self.app, "bad"))

    def _line(self, text: Text, result: RuleResult, *, pending: bool) -> None:
        if pending:
            text.append(glyph("•") + " ", style="dim")
        else:
            self._mark(text, result.passed and result.rule not in self._server_failed)
        text.append(t(result.message_key, **result.params) + "\n")
