from __future__ import annotations

import time

from deploy_actions.codedeploy.follow import FINAL_INTERVAL, DeploymentFollower
from deploy_actions.codedeploy.state import DeploymentState, parse_target
from deploy_actions.core.platform import Reporter


def state(overview: dict[str, int], events: list[tuple[str, str]]) -> DeploymentState:
    target = {"instanceTarget": {"targetId": "i-1", "status": "InProgress", "lifecycleEvents": [
        {"lifecycleEventName": name, "status": status} for name, status in events]}}
    result = DeploymentState("d-1", "InProgress", {"deploymentOverview": overview})
    result.targets = [parse_target(target)]
    return result


def follower_at(current: DeploymentState) -> DeploymentFollower:
    follower = DeploymentFollower(None, Reporter(), "d-1")
    follower.state = current
    return follower


def test_polling_stays_fast_while_the_last_instance_finishes() -> None:
    last = state({"Succeeded": 2, "InProgress": 1, "Pending": 0}, [("BlockTraffic", "InProgress")])
    assert follower_at(last).near_the_end


def test_backing_off_is_kept_while_instances_still_wait() -> None:
    more_to_come = state({"Succeeded": 1, "InProgress": 1, "Pending": 1}, [("AllowTraffic", "InProgress")])
    ready = state({"Succeeded": 0, "InProgress": 1, "Pending": 0, "Ready": 2}, [("AllowTraffic", "InProgress")])
    assert not follower_at(more_to_come).near_the_end
    assert not follower_at(ready).near_the_end


def test_the_final_status_comes_after_the_events_that_led_to_it() -> None:
    import io

    out = io.StringIO()
    follower = DeploymentFollower(None, Reporter(out, {}), "d-1")
    follower._report(state({"InProgress": 1}, [("AllowTraffic", "InProgress")]))
    done = state({"Succeeded": 1}, [("AllowTraffic", "Succeeded")])
    done.status = "Succeeded"
    follower._report(done)
    lines = out.getvalue().splitlines()
    assert lines.index("d-1: Succeeded") == len(lines) - 1
    assert lines.index("  i-1 AllowTraffic ✔ Succeeded") < lines.index("d-1: Succeeded")


def test_the_end_is_watched_closely_only_in_the_last_instances_final_events() -> None:
    from deploy_actions.codedeploy.follow import _final_events

    names = ["BeforeInstall", "Install", "AfterInstall", "ApplicationStart", "ValidateService", "AllowTraffic",
             "AfterAllowTraffic"]
    early = state({"Succeeded": 2, "InProgress": 1}, [(n, "Succeeded" if i < 2 else "Pending")
                                                      for i, n in enumerate(names)])
    final = state({"Succeeded": 2, "InProgress": 1}, [(n, "Succeeded" if i < 5 else "InProgress" if i == 5
                                                       else "Pending") for i, n in enumerate(names)])
    not_last = state({"Succeeded": 1, "InProgress": 1, "Pending": 1}, [(n, "Succeeded" if i < 5 else "Pending")
                                                                        for i, n in enumerate(names)])
    assert not _final_events(early, early)
    assert _final_events(final, final)
    assert not _final_events(not_last, not_last)


class ScriptedCodeDeploy:
    """Answers GetDeployment and BatchGetDeploymentTargets from the scripted state, recording each call."""

    def __init__(self, overview: dict[str, int], status: str, events: list[tuple[str, str]]) -> None:
        self.calls: list[str] = []
        self.set(overview, status, events)

    def set(self, overview: dict[str, int], status: str, events: list[tuple[str, str]]) -> None:
        self.overview, self.status, self.events = overview, status, events

    def get_deployment(self, deploymentId: str) -> dict[str, object]:
        self.calls.append("GetDeployment")
        return {"deploymentInfo": {"status": "InProgress", "deploymentOverview": self.overview}}

    def batch_get_deployment_targets(self, deploymentId: str, targetIds: list[str]) -> dict[str, object]:
        self.calls.append("BatchGetDeploymentTargets")
        return {"deploymentTargets": [{"instanceTarget": {"targetId": "i-1", "status": self.status, "lifecycleEvents": [
            {"lifecycleEventName": name, "status": status} for name, status in self.events]}}]}


def test_the_last_instance_is_followed_through_its_target_alone_until_its_status_moves() -> None:
    last = {"InProgress": 1, "Pending": 0}  # one instance: this is its last stretch
    events = [("BlockTraffic", "InProgress"), ("Install", "Pending"), ("ValidateService", "Pending"),
              ("AllowTraffic", "Pending"), ("AfterAllowTraffic", "Pending")]
    cd = ScriptedCodeDeploy(last, "InProgress", events)
    follower = DeploymentFollower(cd, Reporter(), "d-1")
    follower.state = state(last, events)
    follower._deployment_read = time.monotonic()  # as the poll that produced that state left it

    follower.poll()
    follower.poll()
    assert cd.calls == ["BatchGetDeploymentTargets", "BatchGetDeploymentTargets"]  # nothing else can move

    cd.calls.clear()
    cd.set({"InProgress": 0, "Failed": 1}, "Failed", [(n, "Failed") for n, _ in events])
    follower.poll()
    assert cd.calls == ["BatchGetDeploymentTargets", "GetDeployment"]  # the status moved: read the deployment
    assert follower.state is not None and follower.state.overview["Failed"] == 1


def test_the_end_is_watched_closely_once_every_target_has_ended() -> None:
    ended = {"Succeeded": 1}
    cd = ScriptedCodeDeploy(ended, "Succeeded", [("AfterAllowTraffic", "Succeeded")])
    follower = DeploymentFollower(cd, Reporter(), "d-1")
    follower.state = state(ended, [("AfterAllowTraffic", "Succeeded")])
    poll = follower.check()  # CodeDeploy still says InProgress: its Succeeded is seconds away
    assert not poll.done and poll.max_interval == FINAL_INTERVAL
