"""CloudWatch Logs filter patterns, as FilterLogEvents, metric and subscription filters read them.

`compile_pattern(text)` returns a matcher or raises `InvalidFilterPattern` (AWS: InvalidParameterException
"Invalid filter pattern"). What a pattern is follows from how it starts:

- empty: every event;
- `{ ... }`: a JSON pattern (`json_pattern`);
- `[ ... ]`: a space-delimited pattern (`delimited`);
- `%regex%`: a regular expression searched in the message (`values.compile_regex` holds it to AWS's
  subset);
- anything else: terms ("Using filter patterns to match terms in unstructured log events"). Terms
  are case-sensitive; `ERROR Exception` needs both, `?ERROR ?WARN` either, `-healthcheck` excludes,
  `"exact phrase"` is one term; `" "` matches every event.

How a term matches: anywhere in the message, as AWS's examples show (`ERROR` matches `Exiting with
ERRORCODE: -1`; `ERROR Exception` matches `[ERROR] Caught IllegalArgumentException`). An unquoted term
is letters, digits and `_` only ("terms that include characters other than alphanumeric or underscore
must be placed inside double quotes"); AWS refuses the others (`"event": "x"` with a bare colon, a
`{$.x IS TRUE}` preceded by a space), so does this.

The pattern is not trimmed: it is JSON or space-delimited only when `{` or `[` is its first character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from deploy_actions.emulator.logs.delimited import DelimitedPattern
from deploy_actions.emulator.logs.json_pattern import JsonPattern
from deploy_actions.emulator.logs.values import MESSAGE, InvalidFilterPattern, compile_regex

__all__ = ["MESSAGE", "InvalidFilterPattern", "Pattern", "compile_pattern", "extracted_values"]


class Pattern(Protocol):
    def matches(self, message: str) -> bool: ...


class Everything:
    def matches(self, message: str) -> bool:
        return True


@dataclass(frozen=True)
class Regex:
    regex: re.Pattern[str]

    def matches(self, message: str) -> bool:
        return self.regex.search(message) is not None


UNQUOTED = re.compile(r"[A-Za-z0-9_]+")


def term_in(term: str, message: str) -> bool:
    if not term.strip():
        return True  # " " matches everything (AWS: "match everything")
    return term in message


@dataclass(frozen=True)
class Terms:
    required: tuple[str, ...]
    optional: tuple[str, ...]  # ?term: at least one of them, when there are any
    excluded: tuple[str, ...]  # -term

    def matches(self, message: str) -> bool:
        return (all(term_in(t, message) for t in self.required)
                and (not self.optional or any(term_in(t, message) for t in self.optional))
                and not any(term_in(t, message) for t in self.excluded))


def _terms(text: str) -> Terms:
    required: list[str] = []
    optional: list[str] = []
    excluded: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        kind = ""
        if text[i] in "?-":
            kind = text[i]
            i += 1
            while i < n and text[i].isspace():  # AWS's older example writes "ERROR" - "Exiting"
                i += 1
            if i == n:
                raise InvalidFilterPattern(f"{kind} without a term after it")
        if text[i] == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= n:
                raise InvalidFilterPattern("a phrase without its closing double quote")
            term = text[i + 1:end].replace('\\"', '"')
            i = end + 1
            if i < n and not text[i].isspace():
                raise InvalidFilterPattern(f'text right after the phrase "{term}"')
        else:
            end = i
            while end < n and not text[end].isspace():
                end += 1
            term = text[i:end]
            i = end
            if not UNQUOTED.fullmatch(term):
                raise InvalidFilterPattern(f"{term}: a term with characters other than letters, digits and _ "
                                           "goes in double quotes")
        {"": required, "?": optional, "-": excluded}[kind].append(term)
    return Terms(tuple(required), tuple(optional), tuple(excluded))


def compile_pattern(text: str | None) -> Pattern:
    """The matcher for a filter pattern; `InvalidFilterPattern` where AWS refuses it."""
    pattern = text or ""
    if not pattern.strip():
        return Everything()
    if pattern.startswith("{"):
        return JsonPattern(pattern)
    if pattern.startswith("["):
        return DelimitedPattern(pattern)
    if len(pattern) >= 2 and pattern.startswith("%") and pattern.endswith("%"):
        return Regex(compile_regex(pattern[1:-1]))
    return _terms(pattern)


def extracted_values(pattern: Pattern, message: str) -> dict[str, str]:
    """TestMetricFilter's extractedValues: the fields of a space-delimited pattern, else none."""
    if isinstance(pattern, DelimitedPattern):
        return pattern.extract(message) or {}
    return {}
