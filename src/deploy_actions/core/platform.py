"""Platform adapters: how groups, annotations, masks and summaries look on each CI.

Action code talks to a ``Reporter`` and never checks which CI it runs on.
"""

from __future__ import annotations

import os
import re
import secrets as _secrets
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from actions_toolkit.command import Command

from deploy_actions.core.environment import Env

# Control characters other than tab and newline: in a hook log or a commit message they could move
# the cursor, recolour a line or close a GitLab collapsible section (ESC [0K section_end).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _on(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def printable(text: str) -> str:
    """Text we do not control, its control characters shown as \\xNN escapes instead of acting."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class Reporter:
    """Plain terminal output; the base the CI adapters refine."""

    name = "terminal"
    annotations = False  # whether error()/warning() become annotations shown apart from the log

    def __init__(self, stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.environ = dict(os.environ if environ is None else environ)
        self._secrets: set[str] = set()
        # Debug lines go through redact() like every other line: no switch ever prints a secret.
        self.debug_enabled = (_on(self.environ.get(Env.DEBUG)) or self.environ.get(Env.RUNNER_DEBUG) == "1"
                              or _on(self.environ.get(Env.ACTIONS_STEP_DEBUG)))
        self.summary_path: Path | None = None

    # -- secrets -------------------------------------------------------------------------------
    def mask(self, secret: str) -> None:
        """Register a secret: it is redacted from everything this reporter writes from now on. Each of its lines
        too, and each KEY=VALUE line's value of 8 characters or more (a `notify` line's webhook URL is then printed
        nowhere alone; a short value such as `true` stays readable in the rest of the log)."""
        lines = secret.splitlines()
        values = [value for line in lines if len(value := line.partition("=")[2].strip()) >= 8]
        for part in [secret, *lines, *values]:
            part = part.strip()
            if len(part) >= 4 and part not in self._secrets:
                self._secrets.add(part)
                self._announce_mask(part)

    def _announce_mask(self, secret: str) -> None:
        """CI-specific registration (GitHub's add-mask); the terminal only redacts."""

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def _write(self, text: str) -> None:
        self.stream.write(self.redact(text) + "\n")
        self.stream.flush()

    # -- log lines -----------------------------------------------------------------------------
    def info(self, message: str) -> None:
        self._write(message)

    def debug(self, message: str) -> None:
        if self.debug_enabled:
            self._write(f"debug: {message}")

    def warning(self, message: str, *, title: str | None = None, file: str | None = None,
                line: int | None = None) -> None:
        self._tagged("warning: ", _located(message, title, file, line))

    def error(self, message: str, *, title: str | None = None, file: str | None = None,
              line: int | None = None) -> None:
        self._tagged("error: ", _located(message, title, file, line))

    def _tagged(self, tag: str, message: str, color: str = "", reset: str = "") -> None:
        """A message under its tag; the lines after the first indented beneath it, so a multi-line message
        (a failure and the log lines that explain it) reads as one block, not as lines of its own."""
        first, *rest = printable(message).split("\n")
        self._write(f"{color}{tag}{first}{reset}")
        for line in rest:
            self._write(f"{color}{' ' * len(tag)}{line}{reset}")

    def untrusted(self, text: str) -> None:
        """Print text we do not control (hook logs, commit messages) so it cannot act as a command."""
        for line in text.splitlines():
            self._write(f"  | {printable(line)}")

    # -- groups --------------------------------------------------------------------------------
    @contextmanager
    def group(self, title: str, *, live: bool = False) -> Iterator[None]:
        """A collapsible section. `live`: something the reader watches as it happens (a deployment being
        followed) stays open where the CI lets it (GitLab; GitHub's groups always start collapsed)."""
        started = time.monotonic()
        self._start_group(title, live)
        try:
            yield
        finally:
            self._end_group(title, time.monotonic() - started)

    def _start_group(self, title: str, live: bool) -> None:
        self._write(f"▶ {title}")

    def _end_group(self, title: str, seconds: float) -> None:
        self._write(f"◀ {title} ({seconds:.1f}s)")

    # -- summary -------------------------------------------------------------------------------
    def summary(self, markdown: str) -> None:
        """Append markdown to the run summary: the file named by DEPLOY_ACTIONS_SUMMARY (the GitLab components
        set it and keep it as an artifact). Unasked, a terminal run writes no file into the working tree."""
        target = self.environ.get(Env.SUMMARY)
        if not target:
            return
        path = Path(target)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(self.redact(markdown).rstrip("\n") + "\n\n")
        if self.summary_path is None:
            self.summary_path = path
            self.info(f"Summary written to {path}")


class GitHubReporter(Reporter):
    name = "github"
    annotations = True

    def _command(self, command: str, message: str, **properties: object) -> None:
        props = {k: v for k, v in properties.items() if v is not None}
        self.stream.write(self.redact(str(Command(command, props, message))) + "\n")
        self.stream.flush()

    def _announce_mask(self, secret: str) -> None:
        # The one line that must carry the secret itself: the runner masks it from here on.
        self.stream.write(str(Command("add-mask", {}, secret)) + "\n")
        self.stream.flush()

    def debug(self, message: str) -> None:
        self._command("debug", message)

    def warning(self, message: str, *, title: str | None = None, file: str | None = None,
                line: int | None = None) -> None:
        self._command("warning", printable(message), title=title, file=file, line=line)

    def error(self, message: str, *, title: str | None = None, file: str | None = None,
              line: int | None = None) -> None:
        self._command("error", printable(message), title=title, file=file, line=line)

    def untrusted(self, text: str) -> None:
        # Between stop-commands markers the runner ignores '::' lines, so a hostile log line or
        # commit message cannot set outputs, masks or annotations.
        token = _secrets.token_hex(16)
        self._write(f"::stop-commands::{token}")
        super().untrusted(text)
        self._write(f"::{token}::")

    def _start_group(self, title: str, live: bool) -> None:
        self._write(f"::group::{title}")

    def _end_group(self, title: str, seconds: float) -> None:
        self._write(f"{title}: {seconds:.1f}s")
        self._write("::endgroup::")

    def summary(self, markdown: str) -> None:
        target = self.environ.get(Env.GITHUB_STEP_SUMMARY)
        if not target:
            super().summary(markdown)
            return
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(self.redact(markdown).rstrip("\n") + "\n\n")


class GitLabReporter(Reporter):
    name = "gitlab"
    _RED = "\x1b[31;1m"
    _YELLOW = "\x1b[33;1m"
    _RESET = "\x1b[0m"

    def __init__(self, stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(stream, environ)
        self._sections: list[str] = []

    def warning(self, message: str, *, title: str | None = None, file: str | None = None,
                line: int | None = None) -> None:
        self._tagged("WARNING: ", _located(message, title, file, line), self._YELLOW, self._RESET)

    def error(self, message: str, *, title: str | None = None, file: str | None = None,
              line: int | None = None) -> None:
        self._tagged("ERROR: ", _located(message, title, file, line), self._RED, self._RESET)

    def _start_group(self, title: str, live: bool) -> None:
        name = f"deploy_actions_{len(self._sections)}_{int(time.time())}"
        self._sections.append(name)
        # GitLab fixes a section's state when it starts: a live one is left open, the rest collapsed.
        options = "" if live else "[collapsed=true]"
        self._write(f"\x1b[0Ksection_start:{int(time.time())}:{name}{options}\r\x1b[0K{title}")

    def _end_group(self, title: str, seconds: float) -> None:
        name = self._sections.pop()
        self._write(f"{title}: {seconds:.1f}s")
        self._write(f"\x1b[0Ksection_end:{int(time.time())}:{name}\r\x1b[0K")


def detect_reporter(environ: Mapping[str, str] | None = None, stream: TextIO | None = None) -> Reporter:
    env = os.environ if environ is None else environ
    forced = env.get(Env.PLATFORM, "").lower()
    if forced == "github" or (not forced and env.get(Env.GITHUB_ACTIONS) == "true"):
        return GitHubReporter(stream, env)
    if forced == "gitlab" or (not forced and env.get(Env.GITLAB_CI) == "true"):
        return GitLabReporter(stream, env)
    return Reporter(stream, env)


def _located(message: str, title: str | None, file: str | None, line: int | None) -> str:
    where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
    head = f"{title}: " if title else ""
    return f"{head}{where}{message}"
