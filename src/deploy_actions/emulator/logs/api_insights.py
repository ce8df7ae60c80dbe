"""StartQuery (Logs Insights): moto's, refused where moto would answer wrongly.

moto evaluates `fields`, `sort` and `limit` and skips every other command: `filter @message like
/ERROR/` returns every event, the very trap the emulator's FilterLogEvents removes. A query with any
other command (filter, stats, parse, dedup, display, …) is refused here with InvalidParameterException
naming the commands, so a log scan written with Insights fails loudly on the emulator instead of
passing for the wrong reason; FilterLogEvents with a filter pattern is the emulated way to scan.

Each function becomes a method of moto's `LogsResponse` (see `extensions.py`).
"""

from __future__ import annotations

import re
from typing import Any

from moto.logs.exceptions import InvalidParameterException
from moto.logs.responses import LogsResponse

EVALUATED = ("fields", "sort", "limit")
_moto_start_query = LogsResponse.start_query  # captured before extensions.install() replaces it


def commands(query: str) -> list[str]:
    """The command of each `|`-separated part of an Insights query (outside quotes and /regexes/)."""
    parts, current, quote = [], "", ""
    for char in query:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'`/":
            quote = char
        elif char == "|":
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return [match.group(1).lower() for part in parts if (match := re.match(r"\s*(\w+)", part))]


def start_query(self: Any) -> str:
    query = self._get_param("queryString") or ""
    unevaluated = sorted({command for command in commands(query) if command not in EVALUATED})
    if unevaluated:
        raise InvalidParameterException(
            f"emulator: Logs Insights {', '.join(unevaluated)} not emulated; StartQuery evaluates only "
            f"{', '.join(EVALUATED)} (scan with FilterLogEvents and a filter pattern; see docs/emulator.md)")
    return str(_moto_start_query(self))


HANDLERS = {"start_query": start_query}
