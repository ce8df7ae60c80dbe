"""What the load balancer answers, asked once or polled while a deployment runs (both demos show it)."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

Say = Callable[[str], None]


def fetch(url: str) -> str:
    """The body (stripped) of a GET of `url`; `HTTP <code>` or `(<error>)` when it does not answer 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - a loopback URL we built
            return str(response.read().decode().strip())
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except OSError as error:
        return f"({type(error).__name__})"


class Watcher:
    """Polls the load balancer while a deployment runs and reports each change of answer."""

    def __init__(self, url: str, say: Say, initial: str | None = None) -> None:
        """`initial`: the answer already shown (only a change from it is reported)."""
        self.url, self.say = url, say
        self.seen: list[str] = [] if initial is None else [initial]
        self.changes: list[tuple[float, str]] = []  # seconds since the start, the new answer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.wait(0.1):
            answer = fetch(self.url)
            if not self.seen or self.seen[-1] != answer:
                self.seen.append(answer)
                self.changes.append((time.monotonic() - started, answer))
                self.say(f"  ⇄ {time.monotonic() - started:5.1f}s  load balancer answers: {answer}")
