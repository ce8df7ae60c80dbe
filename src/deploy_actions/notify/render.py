"""Messages rendered from Jinja templates into each platform's JSON, every value escaped for that platform.

A template is JSON with `{{ }}` expressions. Every expression's value is escaped for the platform (the
environment's `finalize`, so no template can forget it) and then encoded as the inside of a JSON string, so
`"text": "*{{ environment }}*"` stays one valid JSON string whatever the environment's name holds. Filters:

- `clip(n)`: escape and cut to n characters without breaking an escape (an ellipsis marks the cut);
- `oneline`: line breaks (LF, CR, U+2028, U+2029, ...) become spaces, for titles and single-line fields;
- `url`: an http(s) URL, percent-encoded so it can close no link or markup; anything else becomes empty;
- `tojson`: the value as JSON (strings inside escaped), for use outside quotes.

The rendered JSON then goes through the platform's limits (`limits.fit`), which also hold for a user's template.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from deploy_actions.notify.escape import ESCAPERS, Escaper, clip, one_line
from deploy_actions.notify.limits import fit

CHANNELS = ("slack", "discord", "teams", "webhook")


class Escaped(str):
    """Text already escaped for the platform (by `clip` or `url`): encoded as JSON, not escaped again."""


class Raw(str):
    """JSON text (from `tojson`): emitted as it is."""


class TemplateProblem(ValueError):
    """A template that does not compile, fails to render or renders something that is not a JSON object."""


def _json_inside(text: str) -> str:
    return json.dumps(text)[1:-1]


def safe_url(value: object) -> str:
    """An http(s) URL that can end no string, link or markup: characters outside RFC 3986's percent-encoded."""
    text = str(value or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return quote(text, safe=":/?#@!$&+,;=%-._~")


class _Environment(SandboxedEnvironment):
    def __init__(self, channel: str) -> None:
        escape: Escaper = ESCAPERS[channel]

        def finalize(value: Any) -> str:
            if isinstance(value, Raw):
                return str(value)
            if isinstance(value, Escaped):
                text = str(value)
            elif value is None:
                text = ""
            elif isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, (int, float)):
                text = str(value)
            else:
                text = escape(str(value))
            return _json_inside(text)

        super().__init__(undefined=StrictUndefined, finalize=finalize, autoescape=False, trim_blocks=True,
                         lstrip_blocks=True)

        def url(value: object) -> Escaped:
            found = safe_url(value)
            return Escaped(found.replace("&", "&amp;") if channel == "slack" else found)

        def escape_all(value: Any) -> Any:
            if isinstance(value, str):
                return escape(value)
            if isinstance(value, Mapping):
                return {str(k): escape_all(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [escape_all(v) for v in value]
            return value

        self.filters["clip"] = lambda value, limit: Escaped(clip(str(value if value is not None else ""),
                                                                 int(limit), escape))
        self.filters["oneline"] = lambda value: one_line(str(value if value is not None else ""))
        self.filters["url"] = url
        self.filters["tojson"] = lambda value: Raw(json.dumps(escape_all(value)))


def builtin_template(channel: str) -> str:
    return (resources.files("deploy_actions.notify") / "templates" / f"{channel}.json.j2").read_text(encoding="utf-8")


def read_template(path: str) -> str:
    """A user's template file; OSError and UnicodeDecodeError for the caller to report."""
    return Path(path).read_text(encoding="utf-8")


def compile_check(channel: str, source: str) -> None:
    """TemplateProblem when the template does not compile for the channel."""
    try:
        _Environment(channel).from_string(source)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise TemplateProblem(f"does not compile{f' (line {line})' if line else ''}: {exc.message}") from None


def render(channel: str, source: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """The payload for `channel`: the template rendered, parsed as JSON and fitted to the platform's limits."""
    try:
        text = _Environment(channel).from_string(source).render(**context)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise TemplateProblem(f"fails to render{f' (line {line})' if line else ''}: {exc.message}"
                              f"{_suggestion(exc.message, context)}") from None
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise TemplateProblem(f"does not render valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise TemplateProblem("must render a JSON object")
    return fit(channel, payload)


def _suggestion(problem: str | None, context: Mapping[str, Any]) -> str:
    """For `'enviroment' is undefined`: the variable meant (` (did you mean environment?)`), else the list."""
    match = re.fullmatch(r"'(\w+)' is undefined", problem or "")
    if not match:
        return ""
    close = difflib.get_close_matches(match.group(1), list(context), n=1)
    return f" (did you mean {close[0]}?)" if close else f" (the variables: {', '.join(sorted(context))})"
