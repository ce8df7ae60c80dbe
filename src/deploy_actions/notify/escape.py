"""Hostile text made inert for each platform's format, and cut to a length without breaking an escape.

Commit messages, branch names, actors and log lines are text we do not control. Each platform has its own
control characters: Slack's mrkdwn gives meaning to `&`, `<` and `>` (`<!channel>` pings everybody, `<url|x>`
is a link); Discord's markdown to `*_~`|>#-[]()` and a backslash escapes them, and `@everyone` / `@here`
ping unless broken (the payload's `allowed_mentions: {parse: []}` stops them too); Teams' TextBlock markdown
to `*_[]()` and list markers. JSON encoding itself is left to the serializer (json.dumps escapes quotes,
backslashes, newlines and U+2028/U+2029).
"""

from __future__ import annotations

import re
from collections.abc import Callable

Escaper = Callable[[str], str]
ELLIPSIS = "…"

# C0/C1 control characters other than tab and newline; DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Line breaks a renderer may honour besides \n: CR, CRLF, NEL, U+2028, U+2029, VT, FF.
_BREAKS = re.compile(r"\r\n|[\r\x85\u2028\u2029\x0b\x0c]")
_MENTION = re.compile(r"@(everyone|here|channel)", re.IGNORECASE)
ZWSP = "\u200b"


def plain(text: str) -> str:
    """Every line break as \\n, other control characters dropped: the base of every platform's escaping."""
    return _CONTROL.sub("", _BREAKS.sub("\n", text))


def one_line(text: str) -> str:
    """Text for a single-line field (a title, a branch): every line break becomes a space."""
    return " ".join(plain(text).split("\n")).strip()


def _break_mentions(text: str) -> str:
    return _MENTION.sub(lambda m: "@" + ZWSP + m.group(1), text)


_SLACK = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def slack(text: str) -> str:
    """Slack mrkdwn: its three control characters as entities (so `<!channel>` is shown, never sent)."""
    return _break_mentions("".join(_SLACK.get(c, c) for c in plain(text)))


_DISCORD_SPECIAL = set("\\*_~`|>#-[]()<")


def discord(text: str) -> str:
    """Discord markdown: every formatting character backslash-escaped, @everyone/@here broken."""
    return _break_mentions("".join("\\" + c if c in _DISCORD_SPECIAL else c for c in plain(text)))


_TEAMS_SPECIAL = set("\\*_~`[]()<>#-")


def teams(text: str) -> str:
    """Teams TextBlock markdown (a CommonMark subset): formatting characters backslash-escaped."""
    return _break_mentions("".join("\\" + c if c in _TEAMS_SPECIAL else c for c in plain(text)))


def identity(text: str) -> str:
    """Plain JSON (the generic webhook): control characters dropped; JSON encoding does the rest."""
    return plain(text)


ESCAPERS: dict[str, Escaper] = {"slack": slack, "discord": discord, "teams": teams, "webhook": identity}


def clip(text: str, limit: int, escape: Escaper) -> str:
    """`escape(text)` within `limit` characters: cut between escaped characters, never inside one (`&amp;`,
    `\\*`), with an ellipsis when anything was cut."""
    if limit <= 0:
        return ""
    whole = escape(text)
    if len(whole) <= limit:
        return whole
    # Escape character by character (mentions are broken on the whole text first, so a cut cannot undo it).
    parts: list[str] = []
    used = 0
    budget = limit - len(ELLIPSIS)
    for char in _break_mentions(plain(text)):
        piece = escape(char) if char != ZWSP else char
        if used + len(piece) > budget:
            break
        parts.append(piece)
        used += len(piece)
    return "".join(parts).rstrip() + ELLIPSIS


_PARTIAL_ENTITY = re.compile(r"&[#a-zA-Z0-9]{0,8}$")


def cut_escaped(text: str, limit: int) -> str:
    """Already escaped text cut to `limit` characters (the safety net over a rendered payload): never leaving half
    an entity or a dangling backslash that would escape the ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    head = text[: limit - len(ELLIPSIS)]
    head = _PARTIAL_ENTITY.sub("", head)
    trailing = len(head) - len(head.rstrip("\\"))
    if trailing % 2:
        head = head[:-1]
    return head + ELLIPSIS
