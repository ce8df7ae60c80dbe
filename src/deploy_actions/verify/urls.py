"""HTTP checks: the `urls` input's lines, and what one request shows against their expectations.

A line is a URL followed by expectations, separated by spaces (quote a value that holds spaces):
`https://api.example.com/health expect-status=200 expect-json=status=UP expect-body="all good"`.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from deploy_actions import __version__

KEYS = ("expect-status", "expect-body", "expect-json", "expect-version")
_STATUS = re.compile(r"^[1-5](\d\d|xx)$")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
MAX_BODY = 1024 * 1024  # what a health endpoint answers; more is read no further


@dataclass(frozen=True)
class UrlCheck:
    url: str
    statuses: tuple[str, ...] = ()  # "200", "2xx"; empty: any 2xx
    body: tuple[str, ...] = ()  # substrings
    body_patterns: tuple[str, ...] = ()  # regular expressions (written /.../)
    json_fields: tuple[tuple[str, str], ...] = ()  # (path, expected)
    version: str | None = None  # expected version ("" until the version input fills it)

    @property
    def name(self) -> str:
        return f"GET {shown_url(self.url)}"

    def expects(self) -> str:
        """The expectations in words, for the log."""
        parts = [f"status {'|'.join(self.statuses) or '2xx'}"]
        parts += [f"body has {b!r}" for b in self.body] + [f"body ~ /{p}/" for p in self.body_patterns]
        parts += [f"{path}={value}" for path, value in self.json_fields]
        if self.version:
            parts.append(f"version {self.version}")
        return ", ".join(parts)


def parse_url_line(line: str, version: str | None) -> UrlCheck:
    """One `urls` line; ValueError saying what is wrong and how to write it."""
    splitter = shlex.shlex(line, posix=True)
    splitter.whitespace_split, splitter.escape, splitter.commenters = True, "", ""  # backslashes belong to regexes
    try:
        words = list(splitter)
    except ValueError as exc:
        raise ValueError(f"cannot split the line into words ({exc}); close the quote") from None
    url, *rest = words
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{shown_url(url)!r} is not an http(s) URL with a host, e.g. https://api.example.com/health")
    try:
        parts.port  # noqa: B018 (urlsplit checks the port only when asked)
    except ValueError:
        raise ValueError(f"{shown_url(url)!r} has an invalid port") from None
    statuses: list[str] = []
    body: list[str] = []
    patterns: list[str] = []
    fields: list[tuple[str, str]] = []
    expected_version: str | None = None
    for word in rest:
        key, sep, value = word.partition("=")
        if key not in KEYS:
            raise ValueError(f"unknown expectation {key!r}; use {', '.join(KEYS)} (KEY=VALUE after the URL)")
        if key == "expect-version":
            expected_version = value if sep and value else (version or "")
            if not expected_version:
                raise ValueError("expect-version without a value needs the version input (or write "
                                 "expect-version=1.2.3)")
            continue
        if not sep or not value:
            raise ValueError(f"{key} needs a value: {key}=...")
        if key == "expect-status":
            for code in value.split(","):
                if not _STATUS.match(code.strip().lower()):
                    raise ValueError(f"expect-status={value}: give HTTP statuses such as 200, 204 or 2xx, "
                                     "separated by commas")
                statuses.append(code.strip().lower())
        elif key == "expect-body":
            if len(value) >= 2 and value.startswith("/") and value.endswith("/"):
                try:
                    re.compile(value[1:-1])
                except re.error as exc:
                    raise ValueError(f"expect-body={value}: not a valid regular expression ({exc})") from None
                patterns.append(value[1:-1])
            else:
                body.append(value)
        else:
            path, sep2, expected = value.partition("=")
            if not sep2 or not path or not all(_PATH_PART.fullmatch(p) for p in _split_path(path)):
                raise ValueError(f"expect-json={value}: write PATH=VALUE, e.g. expect-json=status=UP or "
                                 "expect-json=components.db.status=UP or expect-json=items[0].id=3")
            fields.append((path, expected))
    return UrlCheck(url, tuple(statuses), tuple(body), tuple(patterns), tuple(fields), expected_version)


def _split_path(path: str) -> list[str]:
    """`a.b[0].c` -> ['a', 'b[0]', 'c'] checked piecewise: names and [index]es."""
    pieces: list[str] = []
    for dotted in path.split("."):
        if not dotted:
            return ["."]  # an empty segment: invalid
        head, bracket, tail = dotted.partition("[")
        if head:
            pieces.append(head)
        if bracket:
            pieces += [f"[{index}" for index in tail.split("[")]
    return pieces


def json_value(document: Any, path: str) -> tuple[bool, Any]:
    """The value at `path` (dots and [index]) in a JSON document: (found, value)."""
    current = document
    for name, index in _PATH_PART.findall(path):
        if name:
            if not isinstance(current, dict) or name not in current:
                return False, None
            current = current[name]
        else:
            position = int(index)
            if not isinstance(current, list) or position >= len(current):
                return False, None
            current = current[position]
    return True, current


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


@dataclass
class Answer:
    status: int | None
    body: str
    millis: float
    error: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status is not None and not self.problems


def password(url: str) -> str | None:
    """The password of a URL's user information (https://user:password@host/): a secret to mask."""
    return urlsplit(url).password or None


def shown_url(url: str) -> str:
    """The URL as logs and outputs show it: a password replaced by ***."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def fetch(url: str, timeout: float) -> Answer:
    """GET the URL; user information in it (https://user:password@host/) is sent as Basic authentication."""
    parts = urlsplit(url)
    headers = {"User-Agent": f"deploy-actions/{__version__}", "Accept": "application/json, text/plain, */*"}
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
        url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http(s), checked)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s), checked)
            status, raw = int(response.status), response.read(MAX_BODY)
    except urllib.error.HTTPError as error:
        try:
            raw = error.read(MAX_BODY)
        except OSError:
            raw = b""
        status = int(error.code)
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        text = "timed out" if isinstance(reason, TimeoutError) or "timed out" in str(reason) else str(reason)
        return Answer(None, "", (time.monotonic() - started) * 1000, error=text)
    return Answer(status, raw.decode("utf-8", "replace"), (time.monotonic() - started) * 1000)


def _status_matches(status: int, expected: tuple[str, ...]) -> bool:
    if not expected:
        return 200 <= status < 300
    code = str(status)
    return any(code == e or (e.endswith("xx") and code[0] == e[0]) for e in expected)


def judge(check: UrlCheck, answer: Answer) -> Answer:
    """`answer` with what does not meet the check's expectations, in words."""
    if answer.status is None:
        answer.problems.append(answer.error or "no answer")
        return answer
    if not _status_matches(answer.status, check.statuses):
        answer.problems.append(f"status {answer.status}, expected {'|'.join(check.statuses) or '2xx'}")
    for text in check.body:
        if text not in answer.body:
            answer.problems.append(f"body lacks {text!r}")
    for pattern in check.body_patterns:
        if not re.search(pattern, answer.body):
            answer.problems.append(f"body does not match /{pattern}/")
    if check.json_fields:
        try:
            document = json.loads(answer.body)
        except ValueError:
            answer.problems.append("body is not JSON")
            document = None
        if document is not None:
            for path, expected in check.json_fields:
                found, value = json_value(document, path)
                if not found:
                    answer.problems.append(f"{path} missing")
                elif as_text(value) != expected:
                    answer.problems.append(f"{path}={as_text(value)[:100]}, expected {expected}")
    if check.version and not _serves_version(answer.body, check.version):
        answer.problems.append(f"version {check.version} not served{_served(answer.body)}")
    return answer


def _serves_version(body: str, version: str) -> bool:
    """The version appears in the body as a whole token (1.2 is not 1.20), or as a JSON `version` field."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if isinstance(document, dict):
        for key in ("version", "Version", "app_version", "build"):
            if key in document and as_text(document[key]) == version:
                return True
    return re.search(rf"(?<![\w.-]){re.escape(version)}(?![\w-]|\.\d)", body) is not None


def _served(body: str) -> str:
    shown = " ".join(body.split())[:80]
    return f" (body: {shown!r})" if shown else ""
