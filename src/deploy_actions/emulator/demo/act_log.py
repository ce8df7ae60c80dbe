"""act's `--json` log, read line by line: a readable live view, the full log as text, and what the report needs.

act prefixes every line with `[workflow/job]` and reports each composite action's inner steps, outputs and masks
too. The live view keeps what a person follows on GitHub: each job, each workflow step with its result and time,
the steps' own output with their `::group::` titles, annotations; a tool's output the step fenced off with
`::stop-commands::` (docker build, docker push, a hook's log) is cut to its last lines. Everything stays in the full
log.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
LONG_SHA = re.compile(r"@([0-9a-f]{7})[0-9a-f]{33}\b")
QUIET_COMMANDS = {"set-output", "add-mask", "set-env", "add-path", "save-state", "summary", "debug", "echo"}
ANNOTATIONS = {"error": "✘ error", "warning": "⚠ warning", "notice": "ℹ notice"}


@dataclass(frozen=True)
class Summary:
    """What one workflow step wrote to GITHUB_STEP_SUMMARY."""

    job: str
    step: str
    markdown: str


@dataclass
class ActLog:
    summaries: list[Summary] = field(default_factory=list)
    jobs: dict[str, str] = field(default_factory=dict)  # job name -> act's result (success, failure)
    steps: list[tuple[str, str, str, float]] = field(default_factory=list)  # job, step, result, seconds
    outputs: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # (job id, step id) -> outputs
    text: list[str] = field(default_factory=list)  # the full log, act's own text format
    _job: str = ""
    _hidden: str = ""  # the stop-commands token while a tool's output runs
    _hidden_lines: list[str] = field(default_factory=list)  # fenced-off output not shown yet
    _in_group: bool = False

    def feed(self, line: str) -> list[str]:
        """Take one line of act's output; return the live view's lines for it (often none)."""
        line = line.rstrip("\n")
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, dict):  # act's own complaint before its log starts
            self.text.append(line)
            return [ANSI.sub("", line)] if line.strip() else []
        self.text.extend(_as_text(event))
        self._collect(event)
        return self._live(event)

    def _collect(self, event: dict[str, Any]) -> None:
        job, step_id = job_name(event), event.get("stepID") or []
        if len(step_id) != 1:  # the composite action's inner steps repeat what their workflow step reports
            if "jobResult" in event:
                self.jobs[job] = str(event["jobResult"])
            return
        if event.get("command") == "summary" and event.get("content"):
            self.summaries.append(Summary(job, step_label(event), str(event["content"])))
        elif event.get("command") == "set-output":
            self.outputs.setdefault((str(event.get("jobID")), step_id[0]), {})[str(event.get("name"))] = \
                str(event.get("arg", ""))
        elif "stepResult" in event and event.get("stage") == "Main":
            self.steps.append((job, step_label(event), str(event["stepResult"]),
                               int(event.get("executionTime") or 0) / 1e9))

    def _live(self, event: dict[str, Any]) -> list[str]:
        if not event.get("jobID"):
            return []  # act's own notes (docker host, cache): the full log has them
        command, message = event.get("command"), str(event.get("msg", ""))
        if self._hidden:
            if command == self._hidden:
                self._hidden = ""  # its lines wait: the step may fence off the tool's next chunk right away
            elif event.get("raw_output"):
                self._hidden_lines += [ANSI.sub("", text) for text in message.rstrip("\n").split("\n")]
            return []
        if command == "stop-commands":
            self._hidden = str(event.get("arg", ""))
            return []
        out = [] if command in QUIET_COMMANDS else self._tail()
        job = job_name(event)
        if job != self._job:
            self._job = job
            out.append(f"\n━━ {job}")
        depth = len(event.get("stepID") or [])
        if command == "group":
            self._in_group = True
            out.append(f"      ▸ {event.get('arg', '')}")
        elif command == "endgroup":
            self._in_group = False
        elif command in ANNOTATIONS:
            out += self._annotation(str(command), event)
        elif command in QUIET_COMMANDS or command:
            pass
        elif event.get("raw_output"):
            out += [f"{self._indent()}{shortened(ANSI.sub('', text))}" for text in message.rstrip("\n").split("\n")
                    if ANSI.sub("", text).strip()]
        elif message.startswith("⭐ Run Main ") and depth == 1:
            self._in_group = False
            out.append(f"  ▶ {step_label(event)}")
        elif "stepResult" in event:
            out += self._result(event, depth)
        elif "jobResult" in event:
            mark = "✔" if event["jobResult"] == "success" else "✘"
            out.append(f"  {mark} job {event['jobResult']}")
        return out

    def _tail(self, keep: int = 3) -> list[str]:
        """A tool's output (or a hook's log) the step fenced off: its last lines, the rest counted."""
        lines, self._hidden_lines = [line for line in self._hidden_lines if line.strip()], []
        if len(lines) <= keep + 1:
            return [f"{self._indent()}{shortened(line)}" for line in lines]
        return [f"{self._indent()}  ({len(lines) - keep} lines before these: in the full log)",
                *(f"{self._indent()}{shortened(line)}" for line in lines[-keep:])]

    def _indent(self) -> str:
        return "        " if self._in_group else "      "

    def _result(self, event: dict[str, Any], depth: int) -> list[str]:
        result, stage = str(event["stepResult"]), event.get("stage")
        seconds = int(event.get("executionTime") or 0) / 1e9
        if depth == 1 and stage == "Main":
            self._in_group = False
            mark = {"success": "✔", "skipped": "–"}.get(result, "✘")
            said = "" if result == "success" else f": {result}"
            return [f"  {mark} {step_label(event)}{said}" + (f" ({seconds:.1f}s)" if seconds else "")]
        if result == "failure" and depth <= 1:  # setting up, completing, a Pre or Post step
            stage_label = f"{stage} {step_label(event)}" if stage else step_label(event)
            return [f"  ✘ {stage_label}: failure"]
        return []

    def _annotation(self, command: str, event: dict[str, Any]) -> list[str]:
        pairs = event.get("kvPairs") or {}
        title = pairs.get("title") if isinstance(pairs, dict) else None
        text = unescape_command(str(event.get("arg", "")))
        lines = text.split("\n")
        head = f"{self._indent()}{ANNOTATIONS[command]}: " + (f"{title}: " if title else "") + lines[0]
        more = [f"{self._indent()}  {line}" for line in lines[1:13]]
        if len(lines) > 13:
            more.append(f"{self._indent()}  ({len(lines) - 13} more lines: in the full log)")
        return [head, *more]


def shortened(line: str, limit: int = 200) -> str:
    """A live line cut for the eye (a docker command line runs to a screenful); the full log has it whole."""
    return line if len(line) <= limit else line[:limit - 1] + "…"


def job_name(event: dict[str, Any]) -> str:
    """`deploy-api/Deploy to production   ` -> `Deploy to production` (act pads job names to one width)."""
    return str(event.get("job", "")).split("/", 1)[-1].strip()


def step_label(event: dict[str, Any]) -> str:
    """The step's name, its id when the workflow gave one: `image: org/deploy-actions/build-push-ecr@v1`."""
    name = LONG_SHA.sub(r"@\1", str(event.get("step", "")))
    step_id = (event.get("stepID") or [""])[0]
    return f"{step_id}: {name}" if step_id and not str(step_id).isdigit() and not step_id.startswith("-") else name


def unescape_command(text: str) -> str:
    """A workflow command's data as written (GitHub escapes %, CR and LF in it)."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _as_text(event: dict[str, Any]) -> list[str]:
    """act's own text format: `[workflow/job] message`, a step's output as `[workflow/job]   | line`."""
    prefix = f"[{str(event.get('job', '')).strip()}] " if event.get("job") else ""
    message = str(event.get("msg", "")).rstrip("\n")
    if event.get("raw_output"):
        return [f"{prefix}  | {line}" for line in message.split("\n")]
    return [f"{prefix}{line}" for line in message.split("\n")]
