"""No binding relies on an alt chord a terminal cannot deliver.

A terminal sends alt+x as ESC x. Textual's input parser reads some of those
pairs as other keys (ESC b / ESC f are iTerm's word jumps: ctrl+left /
ctrl+right), so a binding on alt+b or alt+f never fires from a real terminal.
A tester found the knowledge screen's favourites view (alt+f) and the desk's
second knowledge key (alt+b) dead this way.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual.binding import Binding
from textual.dom import DOMNode

import csdesk.screens
import csdesk.widgets


def swallowed_alt_chords() -> set[str]:
    """alt+<char> chords whose ESC <char> Textual parses as some other key."""
    return {f"alt+{seq[1]}" for seq in ANSI_SEQUENCES_KEYS if len(seq) == 2 and seq[0] == "\x1b"}


def all_bindings() -> list[tuple[str, str]]:
    found = []
    for package in (csdesk.screens, csdesk.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if not issubclass(cls, DOMNode) or not cls.__module__.startswith("csdesk."):
                    continue
                for binding in cls.__dict__.get("BINDINGS", ()):
                    if isinstance(binding, Binding):
                        for key in binding.key.split(","):
                            found.append((f"{cls.__module__}.{cls.__qualname__}", key.strip()))
    return found


def test_the_parser_swallows_alt_b_and_alt_f() -> None:
    assert {"alt+b", "alt+f"} <= swallowed_alt_chords()


def test_no_binding_uses_a_swallowed_alt_letter() -> None:
    """alt+<letter> is the documented second way in for F-keys an SSH client
    eats (DESIGN §6): it must arrive. (alt+<digit> become typographic
    characters in the parser; they are only extra keys for terminals that
    report them, next to a letter, see the next test.)"""
    bad = {chord for chord in swallowed_alt_chords() if chord[-1].isascii() and chord[-1].isalpha()}
    bindings = all_bindings()
    assert len(bindings) > 50
    assert [(owner, key) for owner, key in bindings if key in bad] == []


def test_every_binding_has_a_key_a_terminal_delivers() -> None:
    bad = swallowed_alt_chords()
    keys: dict[tuple[str, str], list[str]] = {}
    for package in (csdesk.screens, csdesk.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, DOMNode) and cls.__module__.startswith("csdesk."):
                    for binding in cls.__dict__.get("BINDINGS", ()):
                        if isinstance(binding, Binding):
                            keys[(cls.__qualname__, binding.action)] = [k.strip() for k in binding.key.split(",")]
    assert [owner for owner, chords in keys.items() if all(chord in bad for chord in chords)] == []
