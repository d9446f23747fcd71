"""Live checklist of the password rules while the agent types (guide §1.3)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from csdesk.domain.password_policy import PasswordPolicy, RuleResult
from csdesk.i18n import t


class PasswordChecklist(Static):
    """One line per rule: ✓ met, ✗ not yet; plus "the two entries match".

    ``update_for(password, confirmation, employee_id)`` redraws it; the
    ``history`` rule is known only to the server and is shown as a reminder
    until the server says otherwise (``mark_server_failures``).
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

    def update_for(self, password: str, confirmation: str, employee_id: str) -> bool:
        """Redraw for the typed values; True when every local rule passes and both match."""
        results = self.policy.check(password, employee_id)
        if self.policy.history:
            results.append(self.policy.history_result(reused="history" in self._server_failed))
        matches = bool(password) and password == confirmation
        text = Text()
        for result in results:
            self._line(text, result, pending=result.rule == "history" and not self._server_failed)
        text.append("✓ " if matches else "✗ ", style="green" if matches else "red")
        text.append(t("password.rule.match"))
        self.update(text)
        return matches and all(r.passed for r in results if r.rule != "history")

    def mark_server_failures(self, rules: set[str]) -> None:
        """Rules the server refused (e.g. ``history``); shown failed until retyped."""
        self._server_failed = set(rules)

    def _line(self, text: Text, result: RuleResult, *, pending: bool) -> None:
        if pending:
            text.append("• ", style="dim")
        elif result.passed and result.rule not in self._server_failed:
            text.append("✓ ", style="green")
        else:
            text.append("✗ ", style="red")
        text.append(t(result.message_key, **result.params) + "\n")
