"""How long a busy webhook asks us to wait."""

from __future__ import annotations

from email.message import Message

import pytest

from deploy_actions.notify.send import retry_after


def headers(**values: str) -> Message:
    message = Message()
    for name, value in values.items():
        message[name.replace("_", "-")] = value
    return message


@pytest.mark.parametrize(("given", "body", "seconds"), [
    (headers(Retry_After="7"), b"", 7.0),
    (headers(Retry_After="1.5"), b"", 1.5),
    (headers(Retry_After="Wed, 02 Dec 2026 18:00:30 GMT"), b"", 30.0),
    (headers(Retry_After="Wed, 02 Dec 2026 17:00:00 GMT"), b"", 0.0),  # a date already past: at once
    (headers(), b'{"message": "You are being rate limited.", "retry_after": 0.25, "global": false}', 0.25),
    (headers(), b"slow down", None),
    (headers(Retry_After="soon"), b"", None),
    (None, b"", None),
])
def test_retry_after(given: Message | None, body: bytes, seconds: float | None) -> None:
    now = 1796234400.0  # Wed, 02 Dec 2026 18:00:00 GMT
    assert retry_after(given, body, now=now) == seconds
