"""What is new in each csdesk version, shown once after sign-in (guide §1.2:
"after sign-in, announcements, release notes and to-dos pop up").

One entry per version, newest last, in both UI languages. The agent's
settings remember the last version whose notes were shown
(``release_notes_seen``), so the notes follow the agent across terminals.
"""

from __future__ import annotations

#: version → {language → text}. Plain text; lines start with "• ".
RELEASE_NOTES: dict[str, dict[str, str]] = {
    "0.1.0": {
        "en": (
            "• Sign in with employee ID, password and an authenticator code (or SMS when your bank allows it).\n"
            "• First sign-in: set your own password and scan the QR code into your authenticator.\n"
            "• F2 Ready / Not Ready with a reason; the header shows your state, time in state and sync status.\n"
            "• Work goes on when the network drops: acknowledgements and settings are sent when it is back.\n"
            "• ctrl+s personal settings (theme, language, keys, idle lock); ctrl+l locks the screen.\n"
            "• ctrl+p finds every action; F1 lists the keys of the screen you are on."
        ),
        "zh-CN": (
            "• 使用工号、密码和身份验证器动态码登录（银行开通时也可用短信验证码）。\n"
            "• 首次登录：设置个人密码，并用身份验证器扫描二维码。\n"
            "• F2 切换就绪/未就绪（需选择原因）；顶栏显示状态、持续时间和同步状态。\n"
            "• 网络中断时可继续工作：公告确认和设置在恢复后自动发送。\n"
            "• ctrl+s 个人设置（主题、语言、快捷键、锁屏时间）；ctrl+l 立即锁屏。\n"
            "• ctrl+p 查找所有操作；F1 显示当前界面的快捷键。"
        ),
    },
}


def notes_to_show(current: str, last_seen: str | None) -> list[tuple[str, dict[str, str]]]:
    """The entries newer than ``last_seen`` up to ``current``, oldest first.

    ``last_seen`` None (never shown) gives only the current version's notes,
    not the whole history. Versions compare as dotted integers.
    """

    def key(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split(".") if part.isdigit())

    if last_seen is None:
        return [(current, RELEASE_NOTES[current])] if current in RELEASE_NOTES else []
    return [
        (version, notes)
        for version, notes in sorted(RELEASE_NOTES.items(), key=lambda item: key(item[0]))
        if key(last_seen) < key(version) <= key(current)
    ]
