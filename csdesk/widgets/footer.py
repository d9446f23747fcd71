"""The key footer, without Textual 8's leak of its old keys.

Textual's ``Footer`` rebuilds its ``FooterKey`` widgets whenever the screen's
bindings change, and binds each key's ``compact`` to the footer's
(``data_bind``). The footer keeps those bindings (its reactive watchers)
after the keys are removed, until ``compact`` itself changes — which it
never does — so every rebuild leaked its keys: about 140 widgets (0.7 MiB)
per contact on the desk, whose keys change with each state. This footer
drops the watchers of removed keys after each rebuild.
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter

from csdesk.widgets.watchers import prune_detached_watchers


class Footer(TextualFooter):
    """Textual's footer; watchers of keys no longer on screen are dropped."""

    async def recompose(self) -> None:
        """Rebuild the keys, then forget the watchers of the old ones."""
        await super().recompose()
        self.prune_watchers()

    def prune_watchers(self) -> int:
        """Drop the watchers of keys no longer on screen; returns how many."""
        return prune_detached_watchers(self)
