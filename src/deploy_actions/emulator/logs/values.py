"""What the three kinds of filter pattern share: the error, values compared with `=`/`<`/…, regexes.

A value in a JSON or space-delimited condition is a number (`400`, `-1.5`, `10e-3`), a string
(`"UpdateTrail"`, or bare `UpdateTrail`, `123.123.*`), or a `%regex%`. Strings take `*` as a wildcard
at their start and end; a `*` inside a string is a literal character (AWS's example: `Ev*ent` only
matches the string `Ev*ent`).

Regexes are held to the syntax AWS documents for filter patterns ("Supported regular expressions
(regex) syntax"): letters, digits, the symbols `: _ # = @ / ; , -` and the operators
`^ $ ? [ ] { } | \\ * + .` — no parentheses, no multi-byte characters (nor spaces: write `\\s`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MESSAGE = "Invalid filter pattern"  # what AWS answers (InvalidParameterException) for any pattern it refuses

NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
REGEX_CHARS = re.compile(r"[A-Za-z0-9:_#=@/;,\-^$?\[\]{}|\\*+.]*")
OPERATORS = ("!=", "<=", ">=", "=", "<", ">")  # longest first
BARE = re.compile(r"[^\s()&|=!<>\"]+")


class InvalidFilterPattern(ValueError):
    """A pattern AWS refuses; `detail` says why (AWS itself only says "Invalid filter pattern")."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{MESSAGE}: {detail}")
        self.detail = detail


def compile_regex(body: str) -> re.Pattern[str]:
    """The regex between the `%` signs, refused as AWS refuses it."""
    if not body:
        raise InvalidFilterPattern("an empty regex (%%)")
    if not REGEX_CHARS.fullmatch(body):
        bad = next(c for c in body if not REGEX_CHARS.fullmatch(c))
        raise InvalidFilterPattern(f"the regex %{body}% uses {bad!r}, which filter-pattern regexes do not support")
    try:
        return re.compile(body)
    except re.error as error:
        raise InvalidFilterPattern(f"the regex %{body}% does not compile ({error})") from None


class JsonNumber(float):
    """A number of a JSON message that remembers how it was written (`12.0` stays "12.0")."""

    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def unescape(quoted: str) -> str:
    """The text between double quotes, `\\"` and `\\\\` read as `"` and `\\` (as AWS's CDK escapes them)."""
    return re.sub(r"\\(.)", r"\1", quoted)


def as_number(text: str) -> float | None:
    return float(text) if NUMBER.fullmatch(text) else None


def wildcard_match(pattern: str, value: str) -> bool:
    """`*` at the start or end of `pattern` matches any text there; elsewhere it is itself."""
    if pattern == "*" or pattern == "**":
        return True
    head = pattern.startswith("*")
    tail = pattern.endswith("*") and len(pattern) > 1
    core = pattern[1 if head else 0: len(pattern) - 1 if tail else len(pattern)]
    if head and tail:
        return core in value
    if head:
        return value.endswith(core)
    if tail:
        return value.startswith(core)
    return value == core


@dataclass(frozen=True)
class Value:
    """The right-hand side of a condition: exactly one of number, text (with wildcards) or regex."""

    source: str
    number: float | None = None
    text: str | None = None
    regex: re.Pattern[str] | None = None
    quoted: bool = False

    def compare(self, op: str, actual: str | float) -> bool:
        """`actual` (a string, or a JSON number) against this value; False where the types do not meet."""
        if self.regex is not None:
            found = self.regex.search(actual if isinstance(actual, str) else _number_text(actual)) is not None
            return found if op == "=" else not found
        if self.number is not None and not self.quoted:
            number = actual if isinstance(actual, float) else as_number(actual)
            if number is None:  # a string field: = and != compare its text with the number as written
                if op in ("=", "!="):
                    return (actual == self.source) == (op == "=")
                return False
            return _ordered(op, number, self.number)
        assert self.text is not None
        if op not in ("=", "!="):
            return False
        text = actual if isinstance(actual, str) else _number_text(actual)
        equal = wildcard_match(self.text, text)
        return equal if op == "=" else not equal


def _number_text(value: float) -> str:
    if isinstance(value, JsonNumber):
        return value.text
    return str(int(value)) if value.is_integer() else repr(value)


def _ordered(op: str, left: float, right: float) -> bool:
    return {"=": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
            ">": left > right, ">=": left >= right}[op]


def parse_value(op: str, raw: str) -> Value:
    """The value written after `op` (already cut out of the pattern, quotes included)."""
    raw = raw.strip()
    if not raw:
        raise InvalidFilterPattern(f"nothing after {op}")
    if len(raw) >= 2 and raw.startswith("%") and raw.endswith("%"):
        if op not in ("=", "!="):
            raise InvalidFilterPattern(f"a regex cannot be compared with {op}")
        return Value(raw, regex=compile_regex(raw[1:-1]))
    if raw.startswith('"'):
        if len(raw) < 2 or not raw.endswith('"'):
            raise InvalidFilterPattern(f"an unterminated string {raw}")
        text = unescape(raw[1:-1])
        if op not in ("=", "!="):
            raise InvalidFilterPattern(f"a string cannot be compared with {op}")
        return Value(raw, text=text, quoted=True)
    number = as_number(raw)
    if number is not None:
        return Value(raw, number=number)
    if op not in ("=", "!="):
        raise InvalidFilterPattern(f"{op} needs a number, not {raw}")
    if not re.fullmatch(r"[A-Za-z0-9_.*+\-:/]+", raw):
        raise InvalidFilterPattern(f"{raw} must be in double quotes")
    return Value(raw, text=raw)


def scan(text: str) -> list[str]:
    """Tokens of a condition list: ( ) && || operators, "strings", %regexes%, bare words ($.selectors, names)."""
    tokens: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(char)
            i += 1
        elif text.startswith(("&&", "||"), i):
            tokens.append(text[i:i + 2])
            i += 2
        elif (op := next((o for o in OPERATORS if text.startswith(o, i)), None)) is not None:
            tokens.append(op)
            i += len(op)
        elif char == '"':
            end = i + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                raise InvalidFilterPattern("an unterminated string")
            tokens.append(text[i:end + 1])
            i = end + 1
        elif char == "%":
            end = text.find("%", i + 1)
            if end < 0:
                raise InvalidFilterPattern("a regex without its closing %")
            tokens.append(text[i:end + 1])
            i = end + 1
        else:
            match = BARE.match(text, i)
            if match is None:
                raise InvalidFilterPattern(f"unexpected {char!r}")
            tokens.append(match.group())
            i = match.end()
    return tokens
