"""ECS native blue/green, linear and canary deployments on the emulator, over HTTP: lifecycle stages,
PAUSE hooks answered by ContinueServiceDeployment, and traffic through the emulated ALB following
the listener rules' weights at every step (a load loop counts which revision answers).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from deploy_actions.emulator import Emulator
from deploy_actions.emulator.seed import load_scenario, seed
from tests.integration.emulator.conftest import wait_for

TEST_HOST = "test.shop.example"


def _get(url: str, host: str | None = None) -> str:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return str(response.read().decode().strip())
    except OSError:
        return ""


class BlueGreen:
    def __init__(self, emulator: Emulator, prefix: str, configuration: dict[str, Any], grace: int | None = None,
                 completed: bool = True) -> None:
        scenario = load_scenario("ecs-blue-green")
        scenario["ecs"]["service"]["deployment_configuration"].update(configuration)
        if grace is not None:
            scenario["ecs"]["service"]["health_check_grace_period"] = grace
        self.out = seed(emulator.client, scenario, prefix=prefix)
        self.ecs = emulator.client("ecs")
        self.elbv2 = emulator.client("elbv2")
        self.cluster, self.name, self.family = self.out["cluster"], self.out["service"], self.out["task_family"]
        self.first = self.out["task_definition_arn"]
        self.url = emulator.listener_url(self.out["listener_arn"]) + "/"
        if completed:
            wait_for(lambda: self.describe()["deployments"][0]["rolloutState"] == "COMPLETED", timeout=60)
            wait_for(lambda: _get(self.url) == f"{self.family}:1", timeout=30)

    def describe(self) -> dict[str, Any]:
        return dict(self.ecs.describe_services(cluster=self.cluster, services=[self.name])["services"][0])

    def deploy(self, **update: Any) -> str:
        containers = self.ecs.describe_task_definition(taskDefinition=self.first)["taskDefinition"][
            "containerDefinitions"]
        second = self.ecs.register_task_definition(
            family=self.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=containers)["taskDefinition"]["taskDefinitionArn"]
        self.ecs.update_service(cluster=self.cluster, service=self.name, taskDefinition=second, **update)
        return str(self.describe()["currentServiceDeployment"])

    def deployment(self, arn: str) -> dict[str, Any]:
        return dict(self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0])

    def paused(self, arn: str, count: int = 1) -> dict[str, Any]:
        """Wait until the `count`-th PAUSE hook awaits an action; the deployment then."""
        def waiting() -> Any:
            found = self.deployment(arn)
            hooks = found.get("lifecycleHookDetails") or []
            return len(hooks) >= count and hooks[count - 1]["status"] == "AWAITING_ACTION" and found
        return dict(wait_for(waiting, timeout=60))

    def finished(self, arn: str) -> dict[str, Any]:
        done = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
        return dict(wait_for(lambda: (d := self.deployment(arn))["status"] in done and d, timeout=60))

    def share(self, requests: int = 20, host: str | None = None) -> int:
        """How many of `requests` the new revision answers through the ALB."""
        answers = [_get(self.url, host) for _ in range(requests)]
        assert set(answers) <= {f"{self.family}:1", f"{self.family}:2"}, answers
        return answers.count(f"{self.family}:2")


@pytest.fixture
def blue_green(emulator: Emulator, unique: str) -> Iterator[Callable[..., BlueGreen]]:
    made: list[BlueGreen] = []

    def make(grace: int | None = None, completed: bool = True, **configuration: Any) -> BlueGreen:
        made.append(BlueGreen(emulator, f"t{unique}-", configuration, grace, completed))
        return made[-1]

    yield make
    for env in made:  # the session's emulator keeps probing what is left running
        env.ecs.delete_service(cluster=env.cluster, service=env.name, force=True)


def test_blue_green_waits_at_a_pause_hook_then_shifts_production(blue_green: Callable[..., BlueGreen]) -> None:
    env = blue_green()
    arn = env.deploy()

    paused = env.paused(arn)
    assert (paused["status"], paused["lifecycleStage"]) == ("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT")
    target = paused["targetServiceRevision"]
    assert (target["requestedTestTrafficWeight"], target["requestedProductionTrafficWeight"]) == (100.0, 0.0)
    assert target["runningTaskCount"] == 2
    assert env.share(host=TEST_HOST) == 20 and env.share() == 0  # test traffic on green, production on blue
    assert [d["status"] for d in env.describe()["deployments"]] == ["PRIMARY", "ACTIVE"]

    hook = paused["lifecycleHookDetails"][0]
    env.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="CONTINUE")
    done = env.finished(arn)

    assert (done["status"], done["lifecycleStage"]) == ("SUCCESSFUL", "CLEAN_UP")
    assert done["lifecycleHookDetails"][0]["status"] == "SUCCEEDED"
    assert done["targetServiceRevision"]["requestedProductionTrafficWeight"] == 100.0
    assert env.share() == 20
    service = env.describe()
    assert [(d["status"], d["rolloutState"]) for d in service["deployments"]] == [("PRIMARY", "COMPLETED")]
    green = env.out["target_groups"]["shop-green"]
    registered = env.elbv2.describe_target_health(TargetGroupArn=green)["TargetHealthDescriptions"]
    assert len(registered) == 2
    rule = env.elbv2.describe_rules(RuleArns=[env.out["rules"]["production"]])["Rules"][0]
    weights = {g["TargetGroupArn"]: g["Weight"] for g in rule["Actions"][0]["ForwardConfig"]["TargetGroups"]}
    assert weights == {env.out["target_groups"]["shop-blue"]: 0, green: 100}


def test_blue_green_rolled_back_at_the_pause_hook(blue_green: Callable[..., BlueGreen]) -> None:
    env = blue_green()
    arn = env.deploy()
    hook = env.paused(arn)["lifecycleHookDetails"][0]

    env.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="ROLLBACK")
    done = env.finished(arn)

    assert done["status"] == "ROLLBACK_SUCCESSFUL"
    assert done["rollback"]["serviceRevisionArn"] == done["sourceServiceRevisions"][0]["arn"]
    assert done["lifecycleHookDetails"][0]["status"] == "FAILED"
    assert env.share() == 0 and env.share(host=TEST_HOST) == 0
    service = env.describe()
    assert service["taskDefinition"] == env.first
    assert [(d["taskDefinition"], d["rolloutState"]) for d in service["deployments"]] == [(env.first, "COMPLETED")]
    messages = [e["message"] for e in service["events"]]
    assert any("rolling back to deployment" in m for m in messages)


@pytest.mark.parametrize(("strategy", "settings", "weights"), [
    ("LINEAR", {"linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 1}}, [0, 25, 50, 75]),
    ("CANARY", {"canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}}, [0, 10]),
])
def test_linear_and_canary_shifts_are_seen_through_the_alb(blue_green: Callable[..., BlueGreen], strategy: str,
                                                          settings: dict[str, Any], weights: list[int]) -> None:
    # A PAUSE before each production step holds the weights of the step before it.
    env = blue_green(strategy=strategy, **settings, lifecycleHooks=[
        {"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"],
         "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}])
    arn = env.deploy()

    for step, weight in enumerate(weights, start=1):
        paused = env.paused(arn, step)
        assert paused["targetServiceRevision"]["requestedProductionTrafficWeight"] == float(weight)
        assert abs(env.share(20) - weight * 20 // 100) <= 1, f"step {step}: {weight}%"
        hook = paused["lifecycleHookDetails"][step - 1]
        env.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="CONTINUE")

    assert env.finished(arn)["status"] == "SUCCESSFUL"
    assert env.share() == 20


def test_a_failing_lambda_hook_rolls_back_by_the_emulators_rule(blue_green: Callable[..., BlueGreen]) -> None:
    function = "arn:aws:lambda:us-east-1:123456789012:function:smoke-test"
    env = blue_green(lifecycleHooks=[{
        "targetType": "AWS_LAMBDA", "hookTargetArn": function, "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
        "roleArn": "arn:aws:iam::123456789012:role/ecs-hooks",
        "hookDetails": {"emulator": {"result": "FAILED", "seconds": 60}}}])
    arn = env.deploy()

    running = wait_for(lambda: (d := env.deployment(arn)).get("lifecycleHookDetails") and d)
    assert running["lifecycleHookDetails"][0]["status"] in ("IN_PROGRESS", "FAILED")
    done = env.finished(arn)

    assert done["status"] == "ROLLBACK_SUCCESSFUL"
    [hook] = done["lifecycleHookDetails"]
    assert (hook["targetType"], hook["targetArn"], hook["status"]) == ("AWS_LAMBDA", function, "FAILED")
    assert env.share() == 0 and env.share(host=TEST_HOST) == 0


def test_green_tasks_that_cannot_start_trip_the_breaker_and_blue_keeps_serving(
        blue_green: Callable[..., BlueGreen]) -> None:
    env = blue_green(lifecycleHooks=[])
    containers = env.ecs.describe_task_definition(taskDefinition=env.first)["taskDefinition"]["containerDefinitions"]
    containers[0]["dockerLabels"] = {"deploy-actions.emulator.fail-to-start": "CannotPullContainerError: not found"}
    broken = env.ecs.register_task_definition(
        family=env.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=containers)["taskDefinition"]["taskDefinitionArn"]
    env.ecs.update_service(cluster=env.cluster, service=env.name, taskDefinition=broken)
    arn = str(env.describe()["currentServiceDeployment"])

    done = env.finished(arn)

    assert (done["status"], done["lifecycleStage"]) == ("ROLLBACK_SUCCESSFUL", "SCALE_UP")
    assert done["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert env.describe()["taskDefinition"] == env.first
    assert env.share() == 0


def test_a_pause_hook_on_a_traffic_shift_stage_is_refused(blue_green: Callable[..., BlueGreen]) -> None:
    env = blue_green()
    hooks = [{"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}]

    with pytest.raises(env.ecs.exceptions.InvalidParameterException, match="PAUSE lifecycle hooks"):
        env.ecs.update_service(cluster=env.cluster, service=env.name,
                               deploymentConfiguration={"lifecycleHooks": hooks})

    assert env.describe()["deploymentConfiguration"]["lifecycleHooks"][0]["lifecycleStages"] == [
        "POST_TEST_TRAFFIC_SHIFT"]


def test_stop_service_deployment_rolls_blue_green_back_and_a_pause_times_out(
        blue_green: Callable[..., BlueGreen]) -> None:
    env = blue_green()
    arn = env.deploy()
    env.paused(arn)
    assert env.share(host=TEST_HOST) == 20

    env.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    done = env.finished(arn)

    assert done["status"] == "ROLLBACK_SUCCESSFUL"
    assert env.share(host=TEST_HOST) == 0 and env.share() == 0
    # a PAUSE hook nobody answers ends by its timeout action (CONTINUE here) after timeoutInMinutes
    env.ecs.update_service(cluster=env.cluster, service=env.name, deploymentConfiguration={"lifecycleHooks": [
        {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"],
         "timeoutConfiguration": {"timeoutInMinutes": 1, "action": "CONTINUE"}}]})
    timed_out = env.finished(env.deploy())
    assert timed_out["status"] == "SUCCESSFUL"
    assert timed_out["lifecycleHookDetails"][0]["status"] == "TIMED_OUT"
    assert {_get(env.url) for _ in range(10)} == {f"{env.family}:3"}


def test_stop_service_deployment_rolls_blue_green_back_to_a_blue_that_never_completed(
        blue_green: Callable[..., BlueGreen], emulator: Emulator, unique: str) -> None:
    """ROLLBACK goes back to the revision blue/green shifts from, completed or not (rolling needs a
    completed one); blue then completes as the rollback, the service deployment it superseded stays STOPPED."""
    emulator.faults.make_unhealthy(f"t{unique}-shop-blue")  # blue's tasks in their grace period: not healthy yet
    env = blue_green(grace=86400, completed=False)
    first = wait_for(lambda: (s := env.describe())["deployments"][0]["runningCount"] == 2 and s)
    arn = env.deploy()
    assert env.deployment(first["currentServiceDeployment"])["status"] == "STOPPED"  # superseded, never completed
    env.paused(arn)

    env.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    done = env.finished(arn)

    assert done["status"] == "ROLLBACK_SUCCESSFUL"
    assert done["rollback"]["serviceRevisionArn"] == done["sourceServiceRevisions"][0]["arn"]
    assert env.describe()["taskDefinition"] == env.first
    emulator.faults.clear()  # blue's tasks healthy: its rollout completes
    service = wait_for(lambda: (s := env.describe())["deployments"][0]["rolloutState"] == "COMPLETED" and s)
    assert [(d["taskDefinition"], d["status"]) for d in service["deployments"]] == [(env.first, "PRIMARY")]
    assert env.deployment(first["currentServiceDeployment"])["status"] == "STOPPED"
    assert env.deployment(arn)["status"] == "ROLLBACK_SUCCESSFUL"
    assert wait_for(lambda: _get(env.url) == f"{env.family}:1")


def test_a_blue_scaled_to_zero_is_still_the_blue_the_next_deployment_shifts_from(
        blue_green: Callable[..., BlueGreen]) -> None:
    """The blue is the service's current revision, with tasks or without: production moves off its
    target group even when nothing runs there."""
    env = blue_green(lifecycleHooks=[])
    second = env.finished(env.deploy())  # green (the alternate group) takes production
    assert second["status"] == "SUCCESSFUL" and env.share() == 20
    env.ecs.update_service(cluster=env.cluster, service=env.name, desiredCount=0)
    wait_for(lambda: env.describe()["runningCount"] == 0)

    done = env.finished(env.deploy(desiredCount=2))

    assert (done["status"], done["lifecycleStage"]) == ("SUCCESSFUL", "CLEAN_UP")
    assert [r["arn"] for r in done["sourceServiceRevisions"]] == [second["targetServiceRevision"]["arn"]]
    assert {_get(env.url) for _ in range(10)} == {f"{env.family}:3"}
    rule = env.elbv2.describe_rules(RuleArns=[env.out["rules"]["production"]])["Rules"][0]
    weights = {g["TargetGroupArn"]: g["Weight"] for g in rule["Actions"][0]["ForwardConfig"]["TargetGroups"]}
    assert weights == {env.out["target_groups"]["shop-blue"]: 100, env.out["target_groups"]["shop-green"]: 0}
    # that deployment, a blue/green one itself, is the blue a stopped deployment goes back to
    env.ecs.update_service(cluster=env.cluster, service=env.name, deploymentConfiguration={"lifecycleHooks": [
        {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]})
    arn = env.deploy()
    env.paused(arn)
    env.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    assert env.finished(arn)["status"] == "ROLLBACK_SUCCESSFUL"
    assert {_get(env.url) for _ in range(10)} == {f"{env.family}:3"}


def test_a_failed_deployment_rolls_back_to_a_blue_scaled_to_zero(blue_green: Callable[..., BlueGreen]) -> None:
    env = blue_green(lifecycleHooks=[{
        "targetType": "AWS_LAMBDA", "hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:smoke-test",
        "lifecycleStages": ["POST_SCALE_UP"], "hookDetails": {"emulator": {"result": "FAILED"}}}])
    env.ecs.update_service(cluster=env.cluster, service=env.name, desiredCount=0)
    wait_for(lambda: env.describe()["runningCount"] == 0)

    done = env.finished(env.deploy(desiredCount=2))

    assert done["status"] == "ROLLBACK_SUCCESSFUL"
    assert done["rollback"]["serviceRevisionArn"] == done["sourceServiceRevisions"][0]["arn"]
    service = wait_for(lambda: (s := env.describe())["runningCount"] == 2 and s)  # blue scaled back up
    assert [(d["taskDefinition"], d["status"]) for d in service["deployments"]] == [(env.first, "PRIMARY")]
    assert wait_for(lambda: _get(env.url) == f"{env.family}:1")
