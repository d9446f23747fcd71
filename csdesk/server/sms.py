"""SMS one-time codes: the pluggable sender and the senders shipped with csdesk.

Operating guide §1.2 allows a phone verification code (手机验证码) as the
second factor; the bank switches it on with ``ServerSettings.sms_enabled``.
Codes are 6 random digits, live ``sms_code_ttl`` seconds (300), are single
use and are stored only as Argon2id hashes (``models.SmsCode``), so a copy
of the database does not yield a usable code within its lifetime.

A sender is anything with ``send(agent_id, phone_masked, text)``
(:class:`SmsSender`); the backend calls it after the code is stored. A
production sender hands the text to the bank's SMS gateway, which resolves
the agent's registered number from ``agent_id``; it receives only the masked
number (``138****5678``, design §8) for its own records. csdesk ships:

- :class:`FileSmsSender` — the demo/training sender: appends one line per
  message to a file beside the database (``sms.log``), which plays the
  agent's phone; a trainer reads the code there. Demo only: that file holds
  live codes.
- :class:`MemorySmsSender` — keeps messages in memory, for tests.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

#: Digits in an SMS code.
SMS_CODE_DIGITS = 6


class SmsSender(Protocol):
    """Sends one SMS. ``text`` holds the code; raise to report a failure."""

    def send(self, agent_id: str, phone_masked: str, text: str) -> None:
        """Deliver ``text`` to the phone registered for ``agent_id``."""
        ...


def mask_phone(phone: str) -> str:
    """A phone number as agents and logs may see it: first 3 and last 4 digits (``138****5678``).

    Numbers with fewer than 8 digits keep only their last 2.
    """
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 8:
        return "*" * max(0, len(digits) - 2) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def sms_text(code: str, ttl_seconds: int) -> str:
    """The message that carries ``code`` (Chinese, then English)."""
    minutes = max(1, ttl_seconds // 60)
    return (
        f"【csdesk】登录验证码 {code}，{minutes} 分钟内有效，请勿告诉他人。"
        f" csdesk sign-in code {code}, valid {minutes} min. Never share it."
    )


class FileSmsSender:
    """Demo sender: appends ``<UTC time>\\t<agent>\\t<masked phone>\\t<text>`` lines to ``path``.

    The file is created 0600 in a 0700 folder; each message is one
    ``O_APPEND`` write, so lines from parallel requests do not interleave.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def send(self, agent_id: str, phone_masked: str, text: str) -> None:
        """Append one line for this message."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        line = f"{stamp}\t{agent_id}\t{phone_masked}\t{text}\n".encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


@dataclass(frozen=True)
class SmsMessage:
    """One message handed to :class:`MemorySmsSender`."""

    agent_id: str
    phone_masked: str
    text: str

    @property
    def code(self) -> str:
        """The 6-digit code in the text."""
        match = re.search(rf"\b\d{{{SMS_CODE_DIGITS}}}\b", self.text)
        if match is None:
            raise ValueError("no code in the message")
        return match.group(0)


class MemorySmsSender:
    """Test sender: ``messages`` lists what was sent, oldest first (thread-safe)."""

    def __init__(self) -> None:
        self.messages: list[SmsMessage] = []
        self._lock = threading.Lock()

    def send(self, agent_id: str, phone_masked: str, text: str) -> None:
        """Record the message."""
        with self._lock:
            self.messages.append(SmsMessage(agent_id, phone_masked, text))

    def last_code(self, agent_id: str) -> str:
        """The code of the newest message to ``agent_id`` (``LookupError`` when none)."""
        with self._lock:
            for message in reversed(self.messages):
                if message.agent_id == agent_id:
                    return message.code
        raise LookupError(f"no SMS to {agent_id}")
