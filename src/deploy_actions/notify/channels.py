"""The `notify` and `template` inputs: which channels get a message, where, and from which template.

`notify` holds webhook URLs, which are secrets: nothing here ever puts one into an error message. A problem
names the line number and the channel instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from deploy_actions.core.inputs import input_lines
from deploy_actions.notify.render import CHANNELS


@dataclass(frozen=True)
class Channel:
    kind: str  # slack | discord | teams | webhook
    url: str  # a secret
    label: str  # what logs and outputs call it: the kind, numbered when the kind repeats ("slack#2")

    def __repr__(self) -> str:  # a stray repr in a debug line must not print the URL
        return f"Channel({self.label})"


class ChannelProblem(ValueError):
    """A `notify` line that cannot be used; the message never quotes the line (it holds a secret)."""


# A URL written as a variable reference: GitLab masks only single-line variables, so one per channel.
_REFERENCE = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$")


def parse_channels(text: str, environ: Mapping[str, str] | None = None) -> list[Channel]:
    """The channels of the `notify` input. A URL may be a variable reference ($SLACK_WEBHOOK or ${SLACK_WEBHOOK}),
    read from `environ`; without `environ` (checking the input alone) a reference is taken as written."""
    found: list[tuple[str, str]] = []
    for number, raw in enumerate(input_lines(text), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind, sep, url = line.partition("=")
        kind, url = kind.strip().lower(), url.strip()
        if not sep:
            raise ChannelProblem(f"line {number} has no '=': write each channel as CHANNEL=URL, CHANNEL one of "
                                 f"{', '.join(CHANNELS)}")
        if kind not in CHANNELS:
            raise ChannelProblem(f"line {number}: unknown channel {kind[:20]!r}; use one of {', '.join(CHANNELS)}")
        reference = _REFERENCE.match(url)
        if reference:
            name = reference.group(1) or reference.group(2)
            if environ is None:
                found.append((kind, url))
                continue
            url = environ.get(name, "").strip()
            if not url:
                raise ChannelProblem(f"line {number} ({kind}): the variable {name} is not set or empty; set it (a "
                                     "masked CI/CD variable or a secret in the step's env) or write the URL")
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname or any(c.isspace() for c in url):
            raise ChannelProblem(f"line {number} ({kind}): the URL must be an http(s) URL with a host, such as "
                                 "the webhook URL the platform gave you (passed as a secret)")
        found.append((kind, url))
    counts: dict[str, int] = {}
    channels = []
    for kind, url in found:
        counts[kind] = counts.get(kind, 0) + 1
        channels.append(Channel(kind, url, kind if counts[kind] == 1 else f"{kind}#{counts[kind]}"))
    return channels


def secret_parts(url: str) -> list[str]:
    """What to mask of a webhook URL: all of it, and its path and query (where the token lives), which an error
    or a proxy's log line could show without the host."""
    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return [url] + ([tail] if len(tail.strip("/")) >= 8 else [])


def parse_templates(lines: list[str]) -> dict[str, str]:
    """`template` lines CHANNEL=PATH, by channel; ValueError naming the line's problem."""
    templates: dict[str, str] = {}
    for line in lines:
        kind, sep, path = line.partition("=")
        kind, path = kind.strip().lower(), path.strip()
        if not sep or not path:
            raise ValueError(f"{line!r}: write CHANNEL=PATH, e.g. slack=.github/notify/slack.json.j2")
        if kind not in CHANNELS:
            raise ValueError(f"{line!r}: unknown channel {kind!r}; use one of {', '.join(CHANNELS)}")
        if kind in templates:
            raise ValueError(f"{line!r}: a second template for {kind}")
        templates[kind] = path
    return templates
