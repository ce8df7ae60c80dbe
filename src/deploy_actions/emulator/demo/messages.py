"""A Slack incoming-webhook payload as a person would read it in the channel: its blocks' text (in an attachment
or not), the fields as label and value, the context line; Slack's mrkdwn (`*bold*`, `<url|label>`, `&lt;`) undone."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

SLACK_LINK = re.compile(r"<((?:https?|mailto):[^<>|]+)(?:\|([^<>]+))?>")
SLACK_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
SHORTCODES = {":x:": "❌", ":white_check_mark:": "✅", ":warning:": "⚠️", ":large_green_circle:": "🟢",
              ":red_circle:": "🔴"}


@dataclass
class Part:
    kind: str  # text, fields, context
    text: str = ""  # mrkdwn as sent
    fields: list[tuple[str, str]] = field(default_factory=list)  # label, value (mrkdwn)


@dataclass
class ChatMessage:
    fallback: str  # the notification text (`text`)
    color: str = ""
    parts: list[Part] = field(default_factory=list)  # in the channel's order


def read_slack(payload: Any) -> ChatMessage:
    payload = payload if isinstance(payload, dict) else {}
    message = ChatMessage(str(payload.get("text", "")))
    blocks = list(payload.get("blocks") or [])
    for attachment in payload.get("attachments") or []:
        if isinstance(attachment, dict):
            message.color = message.color or str(attachment.get("color", ""))
            if attachment.get("text"):
                message.parts.append(Part("text", str(attachment["text"])))
            blocks += attachment.get("blocks") or []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            message.parts.append(Part("text", str(text["text"])))
        fields = [str(item.get("text", "")).partition("\n") for item in block.get("fields") or []]
        if fields:
            message.parts.append(Part("fields", fields=[(label.strip().strip("*"), value)
                                                        for label, _, value in fields]))
        if block.get("type") == "context":
            message.parts += [Part("context", str(element.get("text", ""))) for element in block.get("elements") or []]
    if not message.parts and message.fallback:
        message.parts.append(Part("text", message.fallback))
    return message


def _shortcodes(text: str) -> str:
    for code, glyph in SHORTCODES.items():
        text = text.replace(code, glyph)
    return text


def mrkdwn_text(text: str) -> str:
    """Slack mrkdwn as plain text: a link as its label (its URL when it has none), bold as the words."""
    text = SLACK_LINK.sub(lambda link: link.group(2) or link.group(1), text)
    return _shortcodes(html.unescape(SLACK_BOLD.sub(r"\1", text)))


def mrkdwn_html(text: str) -> str:
    out, position = [], 0
    for link in SLACK_LINK.finditer(text):
        out.append(_plain_html(text[position:link.start()]))
        label = html.unescape(link.group(2) or link.group(1))
        out.append(f'<a href="{html.escape(html.unescape(link.group(1)))}">{html.escape(label)}</a>')
        position = link.end()
    out.append(_plain_html(text[position:]))
    return "".join(out).replace("\n", "<br>")


def _plain_html(text: str) -> str:
    escaped = html.escape(_shortcodes(html.unescape(text)))
    return SLACK_BOLD.sub(r"<strong>\1</strong>", escaped)


def as_text(message: ChatMessage, indent: str = "  │ ") -> list[str]:
    lines = []
    for part in message.parts:
        if part.kind == "fields":
            label_width = max(len(label) for label, _ in part.fields)
            lines += [f"{indent}{label.ljust(label_width)}  {mrkdwn_text(value)}" for label, value in part.fields]
        else:
            lines += [indent + line for line in mrkdwn_text(part.text).splitlines()[:20]]
    return lines


def as_html(message: ChatMessage) -> str:
    color = message.color if re.fullmatch(r"#[0-9A-Fa-f]{3,8}", message.color) else "#888"
    body = []
    for part in message.parts:
        if part.kind == "fields":
            body.append('<div class="fields">' + "".join(
                f"<div><strong>{html.escape(label)}</strong><br>{mrkdwn_html(value)}</div>"
                for label, value in part.fields) + "</div>")
        else:
            body.append(f'<p class="{part.kind}">{mrkdwn_html(part.text)}</p>')
    return f'<div class="slack" style="border-left-color:{color}">{"".join(body)}</div>'
