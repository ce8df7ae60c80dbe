"""Space-delimited filter patterns: `[ip, user, ..., status_code = 5*, bytes > 1000]`.

As AWS documents them ("Using filter patterns to match terms in space-delimited log events"): the
message is split at spaces, text between double quotes or between square brackets being one field;
the pattern names one field per comma, `...` stands for any number of fields, an empty name (a
trailing comma) for one unnamed field. Without `...` the message must have exactly as many fields
as the pattern (AWS's example: `[w1=ERROR, w2]` matches `ERROR message`, not `ERROR WARN message`).
A field may carry conditions on itself: `status_code = 4*`, `bytes > 1000`, `request = %regex%`,
joined by `&&` and `||` (`[w1=ERROR || w1=WARN, w2]`); a condition on another field is refused, as
AWS refuses `[..., status_code = 4* && bytes > 1000]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deploy_actions.emulator.logs.values import OPERATORS, InvalidFilterPattern, Value, parse_value, scan

NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$\-]*|\d+")
ELLIPSIS = "..."
MAX_REGEXES = 2


@dataclass(frozen=True)
class Field:
    name: str  # "" for an unnamed field, ELLIPSIS for any number of fields
    # Alternatives (||) of conjunctions (&&) of (operator, value).
    conditions: tuple[tuple[tuple[str, Value], ...], ...] = ()

    def accepts(self, text: str) -> bool:
        if not self.conditions:
            return True
        return any(all(value.compare(op, text) for op, value in both) for both in self.conditions)


def message_fields(message: str) -> list[str]:
    """The message's fields: split at spaces; "quoted text" and [bracketed text] are one field each."""
    fields: list[str] = []
    i, n = 0, len(message)
    while i < n:
        char = message[i]
        if char.isspace():
            i += 1
            continue
        closing = {'"': '"', "[": "]"}.get(char)
        if closing is not None:
            end = i + 1
            while end < n and message[end] != closing:
                end += 2 if message[end] == "\\" and closing == '"' else 1
            if end < n:
                fields.append(message[i + 1:end])
                i = end + 1
                continue
        end = i
        while end < n and not message[end].isspace():
            end += 1
        fields.append(message[i:end])
        i = end
    return fields


class DelimitedPattern:
    def __init__(self, text: str) -> None:
        body = text
        if not (body.startswith("[") and body.endswith("]")):
            raise InvalidFilterPattern("a space-delimited pattern is enclosed in [ ]")
        self.fields = [_field(part) for part in _split(body[1:-1])]
        regexes = sum(value.regex is not None for f in self.fields for both in f.conditions for _, value in both)
        if regexes > MAX_REGEXES:
            raise InvalidFilterPattern(f"more than {MAX_REGEXES} regexes in one space-delimited pattern")

    def matches(self, message: str) -> bool:
        return self.extract(message) is not None

    def extract(self, message: str) -> dict[str, str] | None:
        """The fields the pattern names (`$name`) and the others by position (`$3`), or None: no match."""
        tokens = message_fields(message)
        assigned = _assign(self.fields, tokens, 0, 0)
        if assigned is None:
            return None
        values: dict[str, str] = {}
        for position, (token, field) in enumerate(zip(tokens, assigned, strict=True), start=1):
            named = field.name not in ("", ELLIPSIS) and not field.name.isdigit()
            values[f"${field.name}" if named else f"${position}"] = token
        return values


def _assign(fields: list[Field], tokens: list[str], f: int, t: int) -> list[Field] | None:
    """Which pattern field takes each token (backtracking over `...`), or None."""
    if f == len(fields):
        return [] if t == len(tokens) else None
    field = fields[f]
    if field.name == ELLIPSIS:
        for taken in range(len(tokens) - t + 1):
            rest = _assign(fields, tokens, f + 1, t + taken)
            if rest is not None:
                return [field] * taken + rest
        return None
    if t == len(tokens) or not field.accepts(tokens[t]):
        return None
    rest = _assign(fields, tokens, f + 1, t + 1)
    return None if rest is None else [field, *rest]


def _split(body: str) -> list[str]:
    """The pattern's fields, at commas outside "strings" and %regexes%."""
    parts, current, quote = [], "", ""
    for char in body:
        if quote:
            current += char
            if char == quote:
                quote = ""
        elif char in '"%':
            quote = char
            current += char
        elif char == ",":
            parts.append(current)
            current = ""
        else:
            current += char
    if quote:
        raise InvalidFilterPattern("an unterminated string or regex")
    parts.append(current)
    if len(parts) == 1 and not parts[0].strip():
        raise InvalidFilterPattern("an empty space-delimited pattern [ ]")
    return parts


def _field(part: str) -> Field:
    text = part.strip()
    if text in ("", ELLIPSIS):
        return Field(text)
    if NAME.fullmatch(text):
        return Field(text)
    tokens = scan(text)
    alternatives: list[tuple[tuple[str, Value], ...]] = []
    current: list[tuple[str, Value]] = []
    name = None
    i = 0
    while True:
        if i + 3 > len(tokens):
            raise InvalidFilterPattern(f"the field {text!r} is neither a name nor name OPERATOR value")
        field_name, op, raw = tokens[i:i + 3]
        if not NAME.fullmatch(field_name) or op not in OPERATORS:
            raise InvalidFilterPattern(f"the field {text!r} is neither a name nor name OPERATOR value")
        if name is not None and field_name != name:
            raise InvalidFilterPattern(f"a condition in the field {name} names another field, {field_name}")
        name = field_name
        current.append((op, parse_value(op, raw)))
        i += 3
        if i == len(tokens):
            break
        joiner = tokens[i]
        if joiner == "||":
            alternatives.append(tuple(current))
            current = []
        elif joiner != "&&":
            raise InvalidFilterPattern(f"{joiner!r} in the field {text!r}: conditions are joined by && or ||")
        i += 1
    alternatives.append(tuple(current))
    assert name is not None
    return Field(name, tuple(alternatives))
