"""Markdown building blocks for step summaries; every cell is escaped (it may hold hostile text)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def escape_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>").replace("\r", "")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(escape_cell(h) for h in header) + " |",
             "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(escape_cell(str(c)) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
