"""The `{{...}}` expressions of docker/metadata-action's tag rules, flavor and labels, without Handlebars.

What metadata-action documents, rendered the same way: `{{branch}}`, `{{tag}}`, `{{sha}}`, `{{base_ref}}`,
`{{is_default_branch}}`, `{{is_not_default_branch}}`, `{{date 'FORMAT' tz='Zone'}}` and
`{{commit_date 'FORMAT' tz='Zone'}}` (moment.js formats), plus a rule's own names (semver's `{{version}}`,
`{{major}}` ...). An unknown name is an error here, where Handlebars would quietly render nothing: a tag
rule with a typo would otherwise push a tag nobody asked for.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Helper = Callable[[list[str | None], dict[str, str]], str]

_QUOTED = r"(?:'[^']*'|\"[^\"]*\")"
_BARE = r"[A-Za-z0-9_.:-]+"  # an unquoted argument: Handlebars looks it up as a name, finds nothing
_ARGS = rf"(?:\s+(?:{_QUOTED}|[A-Za-z_]+={_QUOTED}|{_BARE}))*"
_EXPRESSION = re.compile(rf"\{{\{{\s*([A-Za-z_][A-Za-z0-9_]*)({_ARGS})\s*\}}\}}")
_ARGUMENT = re.compile(r"([A-Za-z_]+)=(?:'([^']*)'|\"([^\"]*)\")|'([^']*)'|\"([^\"]*)\"|(" + _BARE + ")")


class ExpressionError(ValueError):
    """A template names something that does not exist, or a date helper got a bad argument."""


def render(template: str, names: Mapping[str, str | Helper]) -> str:
    """`template` with every `{{...}}` replaced; ExpressionError for an unknown name or a stray `{{`."""

    def replace(match: re.Match[str]) -> str:
        name, rest = match.group(1), match.group(2) or ""
        if name not in names:
            known = ", ".join(sorted(names))
            close = difflib.get_close_matches(name, list(names), n=1)
            hint = f" (did you mean {{{{{close[0]}}}}}?)" if close else ""
            raise ExpressionError(f"unknown expression {{{{{name}}}}}{hint}; known: {known}")
        value = names[name]
        if isinstance(value, str):
            if rest.strip():
                raise ExpressionError(f"{{{{{name}}}}} takes no arguments")
            return value
        positional: list[str | None] = []
        keywords: dict[str, str] = {}
        for arg in _ARGUMENT.finditer(rest):
            if arg.group(1):
                keywords[arg.group(1)] = arg.group(2) if arg.group(2) is not None else arg.group(3)
            elif arg.group(6) is not None:
                positional.append(None)  # {{date YYYYMMDD}}: metadata-action formats with moment's default
            else:
                positional.append(arg.group(4) if arg.group(4) is not None else arg.group(5))
        return value(positional, keywords)

    rendered = _EXPRESSION.sub(replace, template)
    if "{{" in rendered:
        raise ExpressionError(f"cannot read the expression in {template!r}: write {{{{name}}}} or "
                              "{{date 'YYYYMMDD'}}")
    return rendered


def date_helper(moment: datetime) -> Helper:
    """`{{date 'FORMAT' tz='Zone'}}` for a fixed instant (now, or the commit's time)."""

    def helper(positional: list[str | None], keywords: dict[str, str]) -> str:
        unknown = set(keywords) - {"tz"}
        if unknown:
            raise ExpressionError(f"unknown date attribute {sorted(unknown)[0]}: only tz='Zone' is known")
        if len(positional) != 1:
            raise ExpressionError("a date expression takes one format, e.g. {{date 'YYYYMMDD'}}")
        zone_name = keywords.get("tz", "UTC")
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ExpressionError(f"unknown time zone {zone_name!r}: use an IANA name such as Europe/Paris") from None
        pattern = positional[0]
        if pattern is None:  # moment's default format (UTC: a Z; elsewhere the offset)
            pattern = "YYYY-MM-DDTHH:mm:ss[Z]" if zone_name == "UTC" else "YYYY-MM-DDTHH:mm:ssZ"
        return format_moment(moment.astimezone(zone), pattern)

    return helper


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_TOKEN = re.compile(r"\[[^\]]*\]|YYYY|YY|MMMM|MMM|MM|M|Do|DD|D|dddd|ddd|HH|H|hh|h|mm|m|ss|s|SSS|A|a|ZZ|Z|X|x")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _offset(moment: datetime, colon: bool) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}" if colon else f"{sign}{hours:02d}{mins:02d}"


def format_moment(moment: datetime, pattern: str) -> str:
    """A moment.js format string rendered for `moment` (the tokens metadata-action's examples use and their kin)."""
    hour12 = moment.hour % 12 or 12
    tokens: dict[str, Callable[[], str]] = {
        "YYYY": lambda: f"{moment.year:04d}", "YY": lambda: f"{moment.year % 100:02d}",
        "MMMM": lambda: _MONTHS[moment.month - 1], "MMM": lambda: _MONTHS[moment.month - 1][:3],
        "MM": lambda: f"{moment.month:02d}", "M": lambda: str(moment.month),
        "Do": lambda: _ordinal(moment.day), "DD": lambda: f"{moment.day:02d}", "D": lambda: str(moment.day),
        "dddd": lambda: _DAYS[moment.weekday()], "ddd": lambda: _DAYS[moment.weekday()][:3],
        "HH": lambda: f"{moment.hour:02d}", "H": lambda: str(moment.hour),
        "hh": lambda: f"{hour12:02d}", "h": lambda: str(hour12),
        "mm": lambda: f"{moment.minute:02d}", "m": lambda: str(moment.minute),
        "ss": lambda: f"{moment.second:02d}", "s": lambda: str(moment.second),
        "SSS": lambda: f"{moment.microsecond // 1000:03d}",
        "A": lambda: "AM" if moment.hour < 12 else "PM", "a": lambda: "am" if moment.hour < 12 else "pm",
        "ZZ": lambda: _offset(moment, False), "Z": lambda: _offset(moment, True),
        "X": lambda: str(int(moment.timestamp())), "x": lambda: str(int(moment.timestamp() * 1000)),
    }

    def token(match: re.Match[str]) -> str:
        text = match.group()
        return text[1:-1] if text.startswith("[") else tokens[text]()

    return _TOKEN.sub(token, pattern)
