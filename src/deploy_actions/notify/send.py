"""Posting a payload to a webhook: 429 and 5xx retried as the server asks (Retry-After), within a bounded time.

The URL is a secret: no message from here contains it, nor any part of it.
"""

from __future__ import annotations

import email.utils
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deploy_actions import __version__

REQUEST_TIMEOUT = 10.0
BUDGET = 60.0  # all attempts for one channel, waits included
MAX_ATTEMPTS = 6
FIRST_BACKOFF = 1.0


@dataclass
class Delivery:
    ok: bool
    attempts: int
    status: int | None  # the last HTTP status, None when nothing answered
    message: str  # for the log: what happened, never the URL
    waits: list[float] = field(default_factory=list)
    asked: bool = False  # every wait was the time the server asked for (Retry-After), none our own backoff


def retry_after(headers: Any, body: bytes, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: Retry-After (seconds or an HTTP date), else Discord's JSON retry_after."""
    value = headers.get("Retry-After") if headers is not None else None
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (ValueError, TypeError, IndexError):  # neither seconds nor a date: as if not sent
            parsed = None
        if parsed is not None:
            return max(0.0, parsed.timestamp() - (time.time() if now is None else now))
    try:
        data = json.loads(body.decode("utf-8", "replace")) if body else None
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("retry_after"), (int, float)):
        return max(0.0, float(data["retry_after"]))
    return None


def post_json(url: str, payload: dict[str, Any], *, sleep: Callable[[float], bool],
              budget: float = BUDGET, request_timeout: float = REQUEST_TIMEOUT,
              clock: Callable[[], float] = time.monotonic) -> Delivery:
    """POST `payload`; `sleep(seconds)` returns True when the run was cancelled meanwhile (no more attempts)."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    started = clock()
    waits: list[float] = []
    asked_every_time = True
    backoff = FIRST_BACKOFF
    attempt = 0
    while True:
        attempt += 1
        status, answer, headers, reason = _post(url, body, min(request_timeout, max(1.0, budget)))
        if status is not None and 200 <= status < 300:
            return Delivery(True, attempt, status, f"accepted (HTTP {status})", waits, asked_every_time)
        retryable = status is None or status == 429 or status >= 500
        what = f"HTTP {status}{_snippet(answer)}" if status is not None else f"no answer ({reason})"
        if not retryable:
            return Delivery(False, attempt, status, f"refused: {what}", waits, asked_every_time)
        asked = retry_after(headers, answer) if status is not None else None
        wait = asked if asked is not None else backoff
        backoff = min(backoff * 2, 16.0)
        left = budget - (clock() - started)
        if attempt >= MAX_ATTEMPTS:  # the caller says how many attempts were made
            return Delivery(False, attempt, status, what, waits, asked_every_time)
        if wait > left:
            return Delivery(False, attempt, status, f"{what}; the next attempt (in {wait:.0f}s) would pass the "
                            f"{budget:.0f}s allowed for sending", waits, asked_every_time)
        waits.append(wait)
        asked_every_time = asked_every_time and asked is not None
        if sleep(wait):
            return Delivery(False, attempt, status, f"{what}; cancelled before the next attempt", waits,
                            asked_every_time)


def _snippet(answer: bytes) -> str:
    text = " ".join(answer.decode("utf-8", "replace").split())  # an HTML error page on one readable line
    return f": {text[:200]}" if text else ""


def _post(url: str, body: bytes, timeout: float) -> tuple[int | None, bytes, Any, str]:
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 (http(s), checked)
        "Content-Type": "application/json; charset=utf-8", "User-Agent": f"deploy-actions/{__version__}"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status), response.read(65536), response.headers, ""
    except urllib.error.HTTPError as error:
        try:
            answer = error.read(65536)
        except OSError:
            answer = b""
        return int(error.code), answer, error.headers, ""
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, b"", None, _reason(reason)


def _reason(reason: object) -> str:
    """A connection failure in words without the URL (urllib's messages may carry the host or the request)."""
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, ConnectionResetError):
        return "connection reset"
    if isinstance(reason, OSError) and reason.strerror:
        return str(reason.strerror)
    return reason.__class__.__name__


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is misconfigured; following it would repost the message (and the URL's token)
    elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)
