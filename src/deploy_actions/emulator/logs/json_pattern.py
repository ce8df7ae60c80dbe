"""JSON filter patterns: `{ $.level = "ERROR" && ($.latency > 500 || $.retry IS TRUE) }`.

As AWS documents them ("Using filter patterns to match terms in JSON log events"): a selector
starts at the root `$` and walks properties (`.name`, letters, digits, `-` and `_`) and array
elements (`[0]`); a condition compares it (`=`, `!=` with strings, wildcards or `%regex%`; `=`, `!=`,
`<`, `<=`, `>`, `>=` with numbers) or tests it (`IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`);
`&&` binds tighter than `||`, parentheses group. A selector that reaches an object or an array, or
nothing, satisfies no comparison, `!=` included; a message that is not JSON matches no JSON pattern.
A JSON number compares as a number with an unquoted number, and as the text it is written with
otherwise: `12.0` is not `"12"` (seen on AWS through TestMetricFilter).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from deploy_actions.emulator.logs.values import OPERATORS, InvalidFilterPattern, JsonNumber, Value, parse_value, scan

SELECTOR = re.compile(r"\$((\.[A-Za-z0-9_\-]+)|(\[\d+\]))+")
KEYWORDS = ("IS", "NOT", "NULL", "TRUE", "FALSE", "EXISTS")
MAX_REGEXES = 2  # "a limit of 2 regex for each filter pattern when creating a delimited or JSON filter pattern"
_MISSING = object()


@dataclass(frozen=True)
class Condition:
    path: tuple[str | int, ...]
    op: str  # an operator, or IS NULL / IS TRUE / IS FALSE / NOT EXISTS
    value: Value | None = None

    def holds(self, document: Any) -> bool:
        node = resolve(document, self.path)
        if self.op == "NOT EXISTS":
            return node is _MISSING
        if self.op == "IS NULL":
            return node is None
        if self.op in ("IS TRUE", "IS FALSE"):
            return node is (self.op == "IS TRUE")
        if not isinstance(node, str | JsonNumber):
            return False
        assert self.value is not None
        return self.value.compare(self.op, node)


@dataclass(frozen=True)
class Either:
    parts: tuple[Any, ...]

    def holds(self, document: Any) -> bool:
        return any(part.holds(document) for part in self.parts)


@dataclass(frozen=True)
class Both:
    parts: tuple[Any, ...]

    def holds(self, document: Any) -> bool:
        return all(part.holds(document) for part in self.parts)


def resolve(document: Any, path: tuple[str | int, ...]) -> Any:
    node = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return _MISSING
        elif not isinstance(node, dict) or step not in node:
            return _MISSING
        node = node[step]
    return node


class JsonPattern:
    def __init__(self, text: str) -> None:
        body = text
        if not (body.startswith("{") and body.endswith("}")):
            raise InvalidFilterPattern("a JSON pattern is enclosed in { }")
        self.tokens = scan(body[1:-1])
        self.position = 0
        if not self.tokens:
            raise InvalidFilterPattern("an empty JSON pattern { }")
        self.root = self._either()
        if self.position != len(self.tokens):
            raise InvalidFilterPattern(f"unexpected {self.tokens[self.position]!r}")
        if sum(t.startswith("%") for t in self.tokens) > MAX_REGEXES:
            raise InvalidFilterPattern(f"more than {MAX_REGEXES} regexes in one JSON pattern")

    def matches(self, message: str) -> bool:
        try:
            document = json.loads(message, parse_int=JsonNumber, parse_float=JsonNumber)
        except ValueError:
            return False
        return bool(self.root.holds(document))

    # parsing: either := both ('||' both)* ; both := primary ('&&' primary)* ; primary := '(' either ')' | condition
    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise InvalidFilterPattern("the JSON pattern ends too early")
        self.position += 1
        return token

    def _either(self) -> Any:
        parts = [self._both()]
        while self._peek() == "||":
            self._take()
            parts.append(self._both())
        return parts[0] if len(parts) == 1 else Either(tuple(parts))

    def _both(self) -> Any:
        parts = [self._primary()]
        while self._peek() == "&&":
            self._take()
            parts.append(self._primary())
        return parts[0] if len(parts) == 1 else Both(tuple(parts))

    def _primary(self) -> Any:
        word = self._take()
        if word == "(":
            inner = self._either()
            if self._take() != ")":
                raise InvalidFilterPattern("a ( without its )")
            return inner
        if not SELECTOR.fullmatch(word):
            raise InvalidFilterPattern(f"{word!r} is not a selector (one starts with $., as in $.level)")
        path = _path(word)
        following = self._take()
        if following in OPERATORS:
            return Condition(path, following, parse_value(following, self._take()))
        if following == "IS":
            what = self._take()
            if what not in ("NULL", "TRUE", "FALSE"):
                raise InvalidFilterPattern(f"IS {what}: IS takes NULL, TRUE or FALSE")
            return Condition(path, f"IS {what}")
        if following == "NOT" and self._take() == "EXISTS":
            return Condition(path, "NOT EXISTS")
        raise InvalidFilterPattern(f"{word} {following}: a comparison or IS NULL/TRUE/FALSE, NOT EXISTS expected")


def _path(selector: str) -> tuple[str | int, ...]:
    return tuple(int(index) if index else name
                 for name, index in re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]", selector))
