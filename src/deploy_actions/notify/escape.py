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


# Inline formatting anywhere; block formatting (headings, lists, quotes) only where a line starts.
_DISCORD_INLINE = re.compile(r"([\\*_~`|\[\]()<])")
_TEAMS_INLINE = re.compile(r"([\\*_~`\[\]()<>])")
# A marker acts only followed by a space or the line's end ("1.2.3" and "-rf" start no list): `> quote`,
# `# heading`, `- item`, `+ item`, `1. item`, `1) item`.
_LINE_START = re.compile(r"(?m)^([ \t]*)(>|[#+-](?=[ \t]|$)|\d+[.)](?=[ \t]|$))")


def _backslashed(text: str, inline: re.Pattern[str]) -> str:
    escaped = inline.sub(r"\\\1", plain(text))
    def block(match: re.Match[str]) -> str:
        marker = match.group(2)
        return match.group(1) + (marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker)

    return _break_mentions(_LINE_START.sub(block, escaped))


def discord(text: str) -> str:
    """Discord markdown: formatting characters backslash-escaped, @everyone/@here broken."""
    return _backslashed(text, _DISCORD_INLINE)


def teams(text: str) -> str:
    """Teams TextBlock markdown (a CommonMark subset): formatting characters backslash-escaped."""
    return _backslashed(text, _TEAMS_INLINE)


def identity(text: str) -> str:
    """Plain JSON (the generic webhook): control characters dropped; JSON encoding does the rest."""
    return plain(text)


ESCAPERS: dict[str, Escaper] = {"slack": slack, "discord": discord, "teams": teams, "webhook": identity}


def clip(text: str, limit: int, escape: Escaper) -> str:
    """`escape(text)` within `limit` characters: cut between escapes, never inside one (`&amp;`, `\\*`), with an
    ellipsis when anything was cut."""
    if limit <= 0:
        return ""
    return cut_escaped(escape(text), limit)


_PARTIAL_ENTITY = re.compile(r"&[#a-zA-Z0-9]{0,8}$")


def cut_escaped(text: str, limit: int) -> str:
    """Already escaped text cut to `limit` characters (the safety net over a rendered payload): never leaving half
    an entity or a dangling backslash that would escape the ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    head = text[: limit - len(ELLIPSIS)].rstrip()
    while True:
        before = head
        head = _PARTIAL_ENTITY.sub("", head)
        if (len(head) - len(head.rstrip("\\"))) % 2:
            head = head[:-1]
        if head == before:
            return head + ELLIPSIS
