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
  `"exact phrase"` is one term; `" "` matches every event. A `?` starts an alternative and the terms
  after it, `-term`s included, belong to it: `?"ERROR" "MainThread" ?"WARN" "Deadlock"` is what AWS's
  CDK writes for "both ERROR and MainThread, or both WARN and Deadlock" (FilterPattern.anyTermGroup).

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
class Group:
    """Terms that must all appear (`wanted`) and terms that must not (`unwanted`, written -term)."""

    wanted: tuple[str, ...]
    unwanted: tuple[str, ...]

    def matches(self, message: str) -> bool:
        return (all(term_in(t, message) for t in self.wanted)
                and not any(term_in(t, message) for t in self.unwanted))


@dataclass(frozen=True)
class Terms:
    """Alternatives: `?` starts one, the terms after it belong to it (`?A B ?C D` is A and B, or C and D)."""

    groups: tuple[Group, ...]

    def matches(self, message: str) -> bool:
        return any(group.matches(message) for group in self.groups)


def _phrase(text: str, start: int) -> tuple[str, int]:
    """The phrase opening at `start` (a double quote; \\" and \\\\ escaped) and the index after it."""
    chars: list[str] = []
    i = start + 1
    while i < len(text) and text[i] != '"':
        if text[i] == "\\" and i + 1 < len(text):
            i += 1
        chars.append(text[i])
        i += 1
    if i >= len(text):
        raise InvalidFilterPattern("a phrase without its closing double quote")
    return "".join(chars), i + 1


def _terms(text: str) -> Terms:
    groups: list[tuple[list[str], list[str]]] = []
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
            term, i = _phrase(text, i)
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
        if kind == "?" or not groups:
            groups.append(([], []))
        (groups[-1][1] if kind == "-" else groups[-1][0]).append(term)
    return Terms(tuple(Group(tuple(wanted), tuple(unwanted)) for wanted, unwanted in groups))


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
