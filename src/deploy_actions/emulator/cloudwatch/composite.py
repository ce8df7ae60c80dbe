"""Composite alarm rules: `ALARM("a") OR (OK(b) AND NOT INSUFFICIENT_DATA("c"))`, `AT_LEAST(2, ALARM, (a, b, c))`.

The grammar of AWS's AlarmRule: state functions ALARM, OK and INSUFFICIENT_DATA of an alarm name or
ARN (quoted or not), AND, OR, NOT, parentheses, TRUE and FALSE, and AT_LEAST(M or M%, STATE or
NOT STATE, (alarms)). `parse` refuses anything else with a message saying where.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
_TOKEN = re.compile(r'\s*(?:(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<punct>[(),])|(?P<word>[^\s(),"]+))')

# A rule evaluated against a lookup of alarm states (None: no such alarm).
Rule = Callable[[Callable[[str], str | None]], bool]


class RuleError(ValueError):
    pass


@dataclass
class _Token:
    text: str
    quoted: bool = False


def _tokens(rule: str) -> list[_Token]:
    found, position = [], 0
    rule = rule.rstrip()
    while position < len(rule):
        match = _TOKEN.match(rule, position)
        if match is None or match.end() == position:
            raise RuleError(f"unexpected character at {position}: {rule[position:position + 20]!r}")
        if match.group("quoted"):
            found.append(_Token(match.group("quoted")[1:-1].replace('\\"', '"'), quoted=True))
        else:
            found.append(_Token(match.group("punct") or match.group("word")))
        position = match.end()
    return found


def alarm_name(reference: str) -> str:
    """An alarm's name from its name or ARN (`arn:aws:cloudwatch:region:account:alarm:name`)."""
    return reference.split(":alarm:", 1)[1] if ":alarm:" in reference else reference


class _Parser:
    def __init__(self, rule: str) -> None:
        self.tokens, self.index = _tokens(rule), 0
        self.names: list[str] = []

    def _peek(self) -> str | None:
        return self.tokens[self.index].text if self.index < len(self.tokens) and \
            not self.tokens[self.index].quoted else (None if self.index >= len(self.tokens) else "\0name")

    def _take(self, expected: str | None = None) -> _Token:
        if self.index >= len(self.tokens):
            raise RuleError(f"the rule ends where {expected or 'more'} was expected")
        token = self.tokens[self.index]
        if expected is not None and (token.quoted or token.text.upper() != expected):
            raise RuleError(f"{expected} expected, found {token.text!r}")
        self.index += 1
        return token

    def parse(self) -> Rule:
        rule = self._or()
        if self.index != len(self.tokens):
            raise RuleError(f"unexpected {self.tokens[self.index].text!r}")
        return rule

    def _or(self) -> Rule:
        left = self._and()
        while (self._peek() or "").upper() == "OR":
            self._take()
            right, first = self._and(), left
            left = (lambda a, b: lambda states: a(states) or b(states))(first, right)
        return left

    def _and(self) -> Rule:
        left = self._not()
        while (self._peek() or "").upper() == "AND":
            self._take()
            right, first = self._not(), left
            left = (lambda a, b: lambda states: a(states) and b(states))(first, right)
        return left

    def _not(self) -> Rule:
        if (self._peek() or "").upper() == "NOT":
            self._take()
            inner = self._not()
            return lambda states: not inner(states)
        return self._atom()

    def _atom(self) -> Rule:
        word = (self._peek() or "").upper()
        if word == "(":
            self._take()
            inner = self._or()
            self._take(")")
            return inner
        if word in ("TRUE", "FALSE"):
            self._take()
            value = word == "TRUE"
            return lambda states: value
        if word in STATES:
            self._take()
            self._take("(")
            name = self._name()
            self._take(")")
            return lambda states: states(name) == word
        if word == "AT_LEAST":
            return self._at_least()
        found = self.tokens[self.index].text if self.index < len(self.tokens) else "the end"
        raise RuleError(f"ALARM(, OK(, INSUFFICIENT_DATA(, AT_LEAST(, NOT, TRUE, FALSE or ( expected, found {found!r}")

    def _name(self) -> str:
        token = self._take()
        if not token.quoted and token.text in "(),":
            raise RuleError(f"an alarm name expected, found {token.text!r}")
        name = alarm_name(token.text)
        self.names.append(name)
        return name

    def _at_least(self) -> Rule:
        self._take("AT_LEAST")
        self._take("(")
        count = self._take().text
        self._take(",")
        negate = (self._peek() or "").upper() == "NOT"
        if negate:
            self._take()
        state = self._take().text.upper()
        if state not in STATES:
            raise RuleError(f"a state expected in AT_LEAST, found {state!r}")
        self._take(",")
        self._take("(")
        names = [self._name()]
        while (self._peek() or "") == ",":
            self._take()
            names.append(self._name())
        self._take(")")
        self._take(")")
        try:
            needed = math.ceil(float(count[:-1]) / 100 * len(names)) if count.endswith("%") else int(count)
        except ValueError as error:
            raise RuleError(f"AT_LEAST takes a number or a percentage, not {count!r}") from error

        def at_least(states: Callable[[str], str | None]) -> bool:
            return sum(1 for n in names if (states(n) == state) != negate) >= needed

        return at_least


def parse(rule: str) -> tuple[Rule, list[str]]:
    """The rule as a function of alarm states, and the alarm names it refers to."""
    parser = _Parser(rule)
    return parser.parse(), parser.names
