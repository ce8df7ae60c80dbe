"""Explain a failed or stopped deployment: which hook failed on which target, why, and its log tail;
or who stopped it and what was running then."""

from __future__ import annotations

from dataclasses import dataclass

from deploy_actions.codedeploy.state import DeploymentState, TargetState

LOG_TAIL_LINES = 40
ANNOTATION_TAIL_LINES = 10  # an annotation is read at a glance; the full tail is in the log
# errorInformation.code MANUAL_STOP: someone called StopDeployment; CodeDeploy does not say who.
STOPPED_FROM_OUTSIDE = "StopDeployment: console, CLI or another pipeline"


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
        if state.status == "Stopped" and not diagnostics.get("errorCode"):
            continue  # cut short by the stop, not failed by its hook: stop_explanation() says so
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
    reason = stop_explanation(state) or str(error.get("message", ""))
    return f"deployment {state.id} ended {state.status} [{error.get('code', '')}]: {reason}"


def failure_message(state: DeploymentState, failures: list[HookFailure]) -> str:
    """The step's last word on a failed deployment: the failing hook and instance first (the cause), then
    CodeDeploy's own summary (often only "too many individual instances failed")."""
    if not failures:
        return deployment_error(state)
    first = failures[0]
    failed = len({f.target for f in failures})
    others = f" and {failed - 1} more" if failed > 1 else ""
    count = f" ({failed} of {len(state.targets)} instances failed)" if state.targets else ""
    tail = "; its log tail is above" if first.log_tail else ""
    error = state.error
    codedeploy = f" CodeDeploy: [{error.get('code', '')}] {str(error.get('message', '')).strip()}" if error else ""
    return (f"deployment {state.id} ended {state.status}: {first.event} failed on {first.target}{others}{count}"
            f"{tail}.{codedeploy}")


def stop_explanation(state: DeploymentState) -> str:
    """Who or what stopped the deployment, and what ran then; "" when it was not stopped.

    A stop lets the lifecycle event in flight run to its end, skips the rest and leaves the instances
    it cut short Failed without a failed hook: so this, not a hook failure, is what to tell the user.
    """
    if state.status != "Stopped":
        return ""
    code, message = str(state.error.get("code", "")), str(state.error.get("message", "")).strip()
    where = _where_stopped(state)
    if code == "MANUAL_STOP":
        return f"the deployment was stopped ({STOPPED_FROM_OUTSIDE}) {where}"
    if code == "ALARM_ACTIVE":
        return f"{message or 'a CloudWatch alarm went into ALARM'}; the deployment was stopped {where}"
    return message


def _where_stopped(state: DeploymentState) -> str:
    cut_short: dict[str, list[str]] = {}
    for target in state.targets:
        moment = _moment_cut_short(target)
        if moment:
            cut_short.setdefault(moment, []).append(target.id)
    if cut_short:
        return "; ".join(f"{moment} on {', '.join(ids)}" for moment, ids in cut_short.items())
    if state.traffic_rerouted:
        return "while CodeDeploy waited to terminate the original fleet (traffic was already rerouted)"
    if any(event.start for target in state.targets for event in target.events):
        return "between lifecycle events"
    return "before any lifecycle event ran"


def _moment_cut_short(target: TargetState) -> str:
    """What ran on an instance the stop cut short ("" for one it finished or never reached)."""
    if target.status in ("Succeeded", "Skipped"):
        return ""
    started = [index for index, event in enumerate(target.events) if event.start is not None]
    if not started:
        return ""
    rest = target.events[started[-1] + 1:]
    if not rest or any(e.status not in ("Skipped", "Pending") for e in rest):
        return ""
    event = target.events[started[-1]]
    if target.fleet == "replacement" and rest[0].name == "BeforeAllowTraffic" and event.status == "Succeeded":
        return "while the replacement fleet waited in Ready for traffic to be rerouted"
    return f"while {event.name} ran"
