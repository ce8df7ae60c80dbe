"""Explain a failed deployment: which hook failed on which target, why, and its log tail."""

from __future__ import annotations

from dataclasses import dataclass

from deploy_actions.codedeploy.state import DeploymentState

LOG_TAIL_LINES = 40
ANNOTATION_TAIL_LINES = 10  # an annotation is read at a glance; the full tail is in the log


@dataclass(frozen=True)
class HookFailure:
    target: str
    fleet: str
    event: str
    script: str
    error_code: str
    message: str
    log_tail: str

    def headline(self) -> str:
        fleet = f" ({self.fleet} fleet)" if self.fleet else ""
        script = f" running {self.script}" if self.script else ""
        code = f" [{self.error_code}]" if self.error_code else ""
        message = f": {self.message}" if self.message else ""
        return f"{self.event} failed on {self.target}{fleet}{script}{code}{message}"

    def annotation(self) -> str:
        """The headline and the last lines of the hook's log (annotation text is escaped, never a command)."""
        tail = self.log_tail.splitlines()[-ANNOTATION_TAIL_LINES:]
        if not tail:
            return self.headline()
        return self.headline() + "\n\nlast lines of the log:\n" + "\n".join(tail)


def hook_failures(state: DeploymentState) -> list[HookFailure]:
    failures = []
    for target in state.targets:
        event = target.failed_event
        if event is None:
            continue
        diagnostics = event.diagnostics or {}
        tail = str(diagnostics.get("logTail") or "")
        lines = tail.splitlines()[-LOG_TAIL_LINES:]
        failures.append(HookFailure(
            target=target.id, fleet=target.fleet, event=event.name,
            script=str(diagnostics.get("scriptName") or ""),
            error_code=str(diagnostics.get("errorCode") or ""),
            message=str(diagnostics.get("message") or "").strip(),
            log_tail="\n".join(lines),
        ))
    return failures


def deployment_error(state: DeploymentState) -> str:
    error = state.error
    if not error:
        return f"deployment {state.id} ended {state.status}"
    return f"deployment {state.id} ended {state.status} [{error.get('code', '')}]: {error.get('message', '')}"
