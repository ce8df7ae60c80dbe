"""Each platform's documented payload limits, and the last pass that makes any rendered payload fit them.

Built-in templates already clip each value to its share (`clip` filter); this pass is the safety net that holds
for a user's template too. Sources: Slack Block Kit reference (section text 3000, fields 10 x 2000, header 150,
context 10 elements, 50 blocks per message, message text truncated past 40000), Discord's embed limits (title 256,
description 4096, 25 fields, field name 256 and value 1024, footer 2048, author 256, 6000 in all embeds, 10
embeds, content 2000), Teams (a Workflows webhook message is refused above about 28 KB).
"""

from __future__ import annotations

import json
from typing import Any

from deploy_actions.notify.escape import cut_escaped

SLACK_BLOCKS = 50
SLACK_SECTION_TEXT = 3000
SLACK_FIELDS = 10
SLACK_FIELD_TEXT = 2000
SLACK_HEADER_TEXT = 150
SLACK_CONTEXT_ELEMENTS = 10
SLACK_CONTEXT_TEXT = 2000  # a context element is a text object; Slack caps them with the section's fields
SLACK_MESSAGE_TEXT = 40000

DISCORD_CONTENT = 2000
DISCORD_EMBEDS = 10
DISCORD_TITLE = 256
DISCORD_DESCRIPTION = 4096
DISCORD_FIELDS = 25
DISCORD_FIELD_NAME = 256
DISCORD_FIELD_VALUE = 1024
DISCORD_FOOTER = 2048
DISCORD_AUTHOR = 256
DISCORD_TOTAL = 6000
DISCORD_KEEP = 500  # description characters kept before fields are dropped

TEAMS_BYTES = 28 * 1024
TEAMS_TARGET = TEAMS_BYTES - 1024  # room for what the Workflows flow adds around the card


def _text(obj: Any, limit: int) -> None:
    """A text object's (or a plain string field's) text cut to `limit`."""
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        obj["text"] = cut_escaped(obj["text"], limit)


def _fit_blocks(blocks: list[Any]) -> list[Any]:
    if len(blocks) > SLACK_BLOCKS:
        dropped = len(blocks) - SLACK_BLOCKS + 1
        blocks = [*blocks[: SLACK_BLOCKS - 1],
                  {"type": "context", "elements": [{"type": "mrkdwn", "text": f"… {dropped} more blocks not shown"}]}]
    for block in blocks:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "header":
            _text(block.get("text"), SLACK_HEADER_TEXT)
        elif kind == "section":
            _text(block.get("text"), SLACK_SECTION_TEXT)
            if isinstance(block.get("fields"), list):
                block["fields"] = block["fields"][:SLACK_FIELDS]
                for field in block["fields"]:
                    _text(field, SLACK_FIELD_TEXT)
        elif kind == "context" and isinstance(block.get("elements"), list):
            block["elements"] = block["elements"][:SLACK_CONTEXT_ELEMENTS]
            for element in block["elements"]:
                _text(element, SLACK_CONTEXT_TEXT)
    return blocks


def fit_slack(payload: dict[str, Any]) -> dict[str, Any]:
    if isinstance(payload.get("text"), str):
        payload["text"] = cut_escaped(payload["text"], SLACK_MESSAGE_TEXT)
    if isinstance(payload.get("blocks"), list):
        payload["blocks"] = _fit_blocks(payload["blocks"])
    for attachment in payload.get("attachments") or []:
        if isinstance(attachment, dict) and isinstance(attachment.get("blocks"), list):
            attachment["blocks"] = _fit_blocks(attachment["blocks"])
    return payload


def _cut_key(obj: Any, key: str, limit: int) -> None:
    if isinstance(obj, dict) and isinstance(obj.get(key), str):
        obj[key] = cut_escaped(obj[key], limit)


def discord_embed_length(embed: dict[str, Any]) -> int:
    """The characters Discord counts towards 6000: title, description, field names and values, footer, author."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or []:
        total += len(field.get("name") or "") + len(field.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "")
    return total


def fit_discord(payload: dict[str, Any]) -> dict[str, Any]:
    # Whatever a template says, nobody is pinged: no @everyone, @here, role or user mention is parsed.
    payload["allowed_mentions"] = {"parse": []}
    _cut_key(payload, "content", DISCORD_CONTENT)
    embeds = [e for e in payload.get("embeds") or [] if isinstance(e, dict)][:DISCORD_EMBEDS]
    for embed in embeds:
        _cut_key(embed, "title", DISCORD_TITLE)
        _cut_key(embed, "description", DISCORD_DESCRIPTION)
        _cut_key(embed.get("footer"), "text", DISCORD_FOOTER)
        _cut_key(embed.get("author"), "name", DISCORD_AUTHOR)
        fields = [f for f in embed.get("fields") or [] if isinstance(f, dict)][:DISCORD_FIELDS]
        for field in fields:
            _cut_key(field, "name", DISCORD_FIELD_NAME)
            _cut_key(field, "value", DISCORD_FIELD_VALUE)
        if "fields" in embed:
            embed["fields"] = fields
    if embeds or "embeds" in payload:
        payload["embeds"] = embeds
    # 6000 characters across all embeds: descriptions shortened to DISCORD_KEEP first, then fields dropped from the
    # end (the latest failed checks), then descriptions shortened further.
    for keep in (DISCORD_KEEP, 1):
        for embed in reversed(embeds):
            excess = sum(discord_embed_length(e) for e in embeds) - DISCORD_TOTAL
            description = embed.get("description") or ""
            if excess > 0 and len(description) > keep:
                embed["description"] = cut_escaped(description, max(keep, len(description) - excess))
        while keep == DISCORD_KEEP and sum(discord_embed_length(e) for e in embeds) > DISCORD_TOTAL:
            holder = next((e for e in reversed(embeds) if e.get("fields")), None)
            if holder is None:
                break
            holder["fields"].pop()
    return payload


def payload_bytes(payload: dict[str, Any]) -> int:
    return len(json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def _teams_texts(node: Any) -> list[tuple[dict[str, Any], str]]:
    """Every (object, key) holding card text: TextBlock text, Fact title/value."""
    found: list[tuple[dict[str, Any], str]] = []
    if isinstance(node, dict):
        if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
            found.append((node, "text"))
        if "title" in node and "value" in node and isinstance(node.get("value"), str):
            found.append((node, "value"))
        for value in node.values():
            found.extend(_teams_texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_teams_texts(item))
    return found


def fit_teams(payload: dict[str, Any]) -> dict[str, Any]:
    """Under the Workflows webhook's size limit: the longest texts halved until the message fits."""
    while payload_bytes(payload) > TEAMS_TARGET:
        texts = _teams_texts(payload)
        if not texts:
            break
        holder, key = max(texts, key=lambda pair: len(pair[0][pair[1]]))
        current = holder[key]
        if len(current) <= 16:
            break
        holder[key] = cut_escaped(current, len(current) // 2)
    return payload


FITTERS = {"slack": fit_slack, "discord": fit_discord, "teams": fit_teams}


def fit(channel: str, payload: dict[str, Any]) -> dict[str, Any]:
    fitter = FITTERS.get(channel)
    return fitter(payload) if fitter else payload
