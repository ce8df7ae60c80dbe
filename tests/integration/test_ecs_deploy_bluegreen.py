"""ecs-deploy on native blue/green and canary services (the emulator's ecs-blue-green scenario, over HTTP): it
stops past the test traffic shift for tests, continues the PAUSE hook with mode: continue, and follows a canary
whose weights the log shows while the ALB really splits the traffic."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.integration.emulator.conftest import _no_faults_left as _no_faults_left
from tests.integration.emulator.conftest import emulator as emulator
from tests.integration.emulator.conftest import unique as unique
from tests.integration.emulator.conftest import wait_for
from tests.integration.emulator.test_ecs_blue_green import TEST_HOST, BlueGreen
from tests.integration.emulator.test_ecs_blue_green import blue_green as blue_green


def args(env: BlueGreen, *extra: str) -> list[str]:
    return ["ecs-deploy", "--cluster", env.cluster, "--services", env.name, "--timeout", "5m", *extra]


def test_wait_until_test_traffic_shift_then_mode_continue(blue_green: Callable[..., BlueGreen], aws_emulator: Any,
                                                          run_cli: Any) -> None:
    env = blue_green()

    held = run_cli(*args(env, "--containers", "web=shop-web:2", "--wait-until", "TEST_TRAFFIC_SHIFT"),
                   env=aws_emulator.env())

    assert held.code == 0, held.log
    assert held.outputs["status"] == "PAST_TEST_TRAFFIC_SHIFT"
    assert "traffic 0% production, 100% test" in held.log and "awaiting action" in held.log
    assert env.share(host=TEST_HOST) == 20 and env.share() == 0  # tests can run against the test listener
    # the log says what holds it, until when, and the next step
    assert f"{env.name}: past TEST_TRAFFIC_SHIFT, held by PAUSE hook " in held.log
    assert " UTC (then ROLLBACK)" in held.log
    assert "run ecs-deploy with mode: continue" in held.log

    result = run_cli(*args(env, "--mode", "continue"), env=aws_emulator.env())

    assert result.code == 0, result.log
    assert result.outputs["status"] == "SUCCESSFUL"
    assert "continued past hook" in result.log
    # a later step (a notification) learns what went live, as after a deploy
    assert result.outputs["task-definition-arn"] == held.outputs["task-definition-arn"]
    assert result.outputs["previous-task-definition-arn"] == held.outputs["previous-task-definition-arn"]
    assert env.share() == 20
    arn = env.describe()["currentServiceDeployment"]
    assert env.deployment(arn)["status"] == "SUCCESSFUL"


def test_a_stage_the_strategy_lacks_is_refused_before_anything_registers(
        blue_green: Callable[..., BlueGreen], aws_emulator: Any, run_cli: Any) -> None:
    env = blue_green()
    before = env.ecs.list_task_definitions(familyPrefix=env.family)["taskDefinitionArns"]

    result = run_cli(*args(env, "--containers", "web=shop-web:2", "--wait-until", "TEST_TRAFIC_SHIFT"),
                     env=aws_emulator.env())

    assert result.code == 2
    assert "input 'wait-until' = 'TEST_TRAFIC_SHIFT'" in result.log and "did you mean TEST_TRAFFIC_SHIFT?" in result.log
    assert env.ecs.list_task_definitions(familyPrefix=env.family)["taskDefinitionArns"] == before


def test_a_canary_is_followed_while_the_alb_splits_the_traffic(blue_green: Callable[..., BlueGreen], aws_emulator: Any,
                                                               run_cli: Any) -> None:
    env = blue_green(strategy="CANARY", lifecycleHooks=[], bakeTimeInMinutes=1,
                     canaryConfiguration={"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 60})
    done: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: done.update(result=run_cli(*args(env, "--containers", "web=shop-web:2"),
                                                                        env=aws_emulator.env())))
    runner.start()
    shares: list[int] = []
    while runner.is_alive():
        shares.append(env.share())
    runner.join()
    result = done["result"]

    assert result.code == 0, result.log
    assert result.outputs["status"] == "SUCCESSFUL"
    assert "traffic 20% production" in result.log  # the canary step, as the log shows it
    assert any(0 < share < 20 for share in shares), shares  # the ALB answered from both revisions
    assert wait_for(lambda: env.share() == 20, timeout=20)


def test_mode_rollback_at_the_pause_hook_sends_test_traffic_back(blue_green: Callable[..., BlueGreen],
                                                                 aws_emulator: Any, run_cli: Any) -> None:
    env = blue_green()
    held = run_cli(*args(env, "--containers", "web=shop-web:2", "--wait-until", "TEST_TRAFFIC_SHIFT"),
                   env=aws_emulator.env())
    assert held.code == 0, held.log
    assert env.share(host=TEST_HOST) == 20  # the tests found the new revision wanting

    result = run_cli(*args(env, "--mode", "rollback"), env=aws_emulator.env())

    assert result.code == 0, result.log
    assert result.outputs["status"] == "ROLLED_BACK" and result.outputs["rolled-back"] == "true"
    assert "ROLLBACK_SUCCESSFUL" in result.log
    assert wait_for(lambda: env.share(host=TEST_HOST) == 0, timeout=20) and env.share() == 0
    # what the service went back to, and what it left
    assert result.outputs["task-definition-arn"] == held.outputs["previous-task-definition-arn"]
    assert result.outputs["previous-task-definition-arn"] == held.outputs["task-definition-arn"]

    # continuing it now (or after its PAUSE hook timed out) says what became of the deployment it looks for
    late = run_cli(*args(env, "--mode", "continue"), env=aws_emulator.env())
    assert late.code == 2, late.log
    assert "no deployment of it is in progress (mode: continue); its last deployment, " in late.log
    assert " ended ROLLBACK_SUCCESSFUL" in late.log
