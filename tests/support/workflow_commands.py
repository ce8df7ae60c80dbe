"""What GitHub's runner does with a step's output: which lines it executes as workflow commands.

A model of actions/runner's ActionCommandManager.TryProcessCommand (src/Runner.Worker): each line is
parsed as a `::command props::data` command (after trimming leading whitespace) or, failing that, as a
legacy `##[command props]data` command found ANYWHERE in the line; only registered names count.
`::stop-commands::TOKEN` stops processing until a command named TOKEN (`::TOKEN::` or `##[TOKEN]`)
arrives; an empty token, or one that names a registered command, is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REGISTERED = frozenset({"set-env", "set-output", "save-state", "add-mask", "add-path", "add-matcher",
                        "remove-matcher", "debug", "warning", "error", "notice", "group", "endgroup", "echo",
                        "stop-commands"})


def parse(line: str, registered: set[str]) -> tuple[str, str] | None:
    """(command name, data) when the runner reads `line` as a command, else None."""
    text = line.lstrip()  # TryParseV2: "the message needs to start with the keyword after trim leading space"
    if text.startswith("::"):
        end = text.find("::", 2)
        if end >= 0:
            name = text[2:end].split(" ", 1)[0]
            if name.lower() in registered:
                return name.lower(), text[end + 2:]
    start = line.find("##[")  # TryParse (legacy): anywhere in the line
    if start >= 0:
        end = line.find("]", start)
        if end >= 0:
            name = line[start + 3:end].split(" ", 1)[0]
            if name.lower() in registered:
                return name.lower(), line[end + 1:]
    return None


@dataclass
class WorkflowRunner:
    """Feed it a step's output; `executed` lists the commands the runner would have carried out."""

    executed: list[tuple[str, str]] = field(default_factory=list)
    stop_token: str | None = None
    _registered: set[str] = field(default_factory=lambda: set(REGISTERED))

    def feed(self, output: str) -> WorkflowRunner:
        for line in output.split("\n"):
            self.line(line.removesuffix("\r"))
        return self

    def line(self, line: str) -> None:
        command = parse(line, self._registered)
        if command is None:
            return
        name, data = command
        if self.stop_token is not None:
            if name == self.stop_token.lower():
                self._registered.discard(self.stop_token.lower())
                self.stop_token = None
            return
        if name == "stop-commands":
            if not data or data.lower() in REGISTERED:
                raise AssertionError(f"the runner refuses this stop token: {line!r}")
            self.stop_token = data
            self._registered.add(data.lower())
            return
        self.executed.append(command)
