"""A stopped deployment is explained as a stop (who, and what ran then), never as a hook failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from deploy_actions.codedeploy.diagnostics import deployment_error, failure_message, hook_failures, stop_explanation
from deploy_actions.codedeploy.state import DeploymentState, parse_target

T0 = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
IN_PLACE = ["ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall", "ApplicationStart",
            "ValidateService"]
REPLACEMENT = [*IN_PLACE, "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
MANUAL_STOP = {"code": "MANUAL_STOP", "message": "The deployment was stopped by the user."}


def target(target_id: str, status: str, events: list[str], ran: int, last: str = "Succeeded",
           label: str | None = None, diagnostics: dict[str, str] | None = None) -> dict[str, Any]:
    """`ran` events started (the last of them ended `last`), the rest Skipped."""
    lifecycle: list[dict[str, Any]] = []
    for index, name in enumerate(events):
        if index < ran:
            event: dict[str, Any] = {"lifecycleEventName": name, "startTime": T0 + timedelta(seconds=index),
                                     "endTime": T0 + timedelta(seconds=index + 1),
                                     "status": last if index == ran - 1 else "Succeeded"}
            if index == ran - 1 and diagnostics is not None:
                event["diagnostics"] = diagnostics
        else:
            event = {"lifecycleEventName": name, "status": "Skipped"}
        lifecycle.append(event)
    body: dict[str, Any] = {"targetId": target_id, "status": status, "lifecycleEvents": lifecycle}
    if label:
        body["instanceLabel"] = label
    return {"instanceTarget": body}


def stopped(*targets: dict[str, Any], error: dict[str, str] | None = None, **info: Any) -> DeploymentState:
    state = DeploymentState("d-STOPPED01", "Stopped", {"errorInformation": error or MANUAL_STOP, **info})
    state.targets = [parse_target(t) for t in targets]
    return state


def test_a_stop_from_outside_names_who_and_the_event_that_ran() -> None:
    # As AWS leaves it: the event in flight ran to its end, the rest skipped, the instance Failed.
    state = stopped(target("i-111", "Failed", IN_PLACE, ran=3), target("i-222", "Skipped", IN_PLACE, ran=0))
    assert hook_failures(state) == []
    assert deployment_error(state) == (
        "deployment d-STOPPED01 ended Stopped [MANUAL_STOP]: the deployment was stopped (StopDeployment: console, "
        "CLI or another pipeline) while BeforeInstall ran on i-111")


def test_an_event_cut_short_without_diagnostics_is_no_hook_failure() -> None:
    # A stop that ends the event in flight, with no script and no message: not "BlockTraffic failed".
    events = ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic", *IN_PLACE]
    state = stopped(target("i-111", "Failed", events, ran=2, last="Failed"))
    assert hook_failures(state) == []
    assert stop_explanation(state).endswith("while BlockTraffic ran on i-111")


def test_a_hook_that_failed_on_its_own_during_a_stop_is_still_a_hook_failure() -> None:
    failed = {"errorCode": "ScriptFailed", "scriptName": "scripts/before.sh", "message": "exit code 3", "logTail": ""}
    state = stopped(target("i-111", "Failed", IN_PLACE, ran=3, last="Failed", diagnostics=failed))
    (failure,) = hook_failures(state)
    assert failure.event == "BeforeInstall" and failure.error_code == "ScriptFailed"


def test_stops_between_the_fleet_waits_say_which_wait() -> None:
    ready = stopped(target("i-333", "Failed", REPLACEMENT, ran=7, label="Green"),
                    target("i-444", "Skipped", ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"], ran=0,
                           label="Blue"))
    assert stop_explanation(ready) == ("the deployment was stopped (StopDeployment: console, CLI or another "
                                       "pipeline) while the replacement fleet waited in Ready for traffic to be "
                                       "rerouted on i-333")
    waiting = stopped(target("i-333", "Succeeded", REPLACEMENT, ran=10, label="Green"),
                      instanceTerminationWaitTimeStarted=True)
    assert stop_explanation(waiting).endswith("while CodeDeploy waited to terminate the original fleet "
                                              "(traffic was already rerouted)")
    assert stop_explanation(stopped()).endswith("before any lifecycle event ran")


def test_other_stops_keep_codedeploys_reason() -> None:
    alarm = {"code": "ALARM_ACTIVE", "message": "One or more alarms have been activated: web-5xx"}
    state = stopped(target("i-111", "Failed", IN_PLACE, ran=5), error=alarm)
    assert stop_explanation(state) == ("One or more alarms have been activated: web-5xx; the deployment was stopped "
                                       "while AfterInstall ran on i-111")
    expired = {"code": "TIMEOUT", "message": "Traffic rerouting was not started within the ready wait"}
    assert deployment_error(stopped(error=expired)).endswith("[TIMEOUT]: Traffic rerouting was not started within "
                                                             "the ready wait")
    failed = DeploymentState("d-F", "Failed", {"errorInformation": {"code": "HEALTH_CONSTRAINTS", "message": "x"}})
    assert stop_explanation(failed) == "" and deployment_error(failed) == "deployment d-F ended Failed " \
        "[HEALTH_CONSTRAINTS]: x"


def test_the_last_word_on_a_failed_deployment_names_the_hook_and_instance_before_codedeploys_summary() -> None:
    diagnostics = {"errorCode": "ScriptFailed", "scriptName": "scripts/validate.sh", "message": "exit 7",
                   "logTail": "no answer"}
    state = DeploymentState("d-F", "Failed", {"errorInformation": {
        "code": "HEALTH_CONSTRAINTS",
        "message": "The overall deployment failed because too many individual instances failed deployment"}})
    state.targets = [parse_target(target("i-111", "Succeeded", IN_PLACE, ran=7)),
                     parse_target(target("i-222", "Failed", IN_PLACE, ran=7, last="Failed", diagnostics=diagnostics))]
    assert failure_message(state, hook_failures(state)) == (
        "deployment d-F ended Failed: ValidateService failed on i-222 (1 of 2 instances failed); its log tail is "
        "above. CodeDeploy: [HEALTH_CONSTRAINTS] The overall deployment failed because too many individual "
        "instances failed deployment")
