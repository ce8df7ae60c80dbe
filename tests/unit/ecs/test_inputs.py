"""ecs-deploy's inputs: conflicting options are refused before any AWS call (exit 2)."""

from __future__ import annotations

import pytest

from deploy_actions.actions.ecs_deploy import Inputs
from deploy_actions.core.errors import InputError
from deploy_actions.core.inputs import parse_inputs
from deploy_actions.ecs.plan import Target, unheld

BASE = {"cluster": "prod", "services": "api\nworker", "containers": "app=repo/app:2"}


def problems(**raw: str) -> list[str]:
    values = {k: v for k, v in {**BASE, **{k.replace("_", "-"): v for k, v in raw.items()}}.items() if v != ""}
    with pytest.raises(InputError) as caught:
        parse_inputs(Inputs, values)
    return [p.render() for p in caught.value.problems]


def test_a_valid_deploy() -> None:
    parsed = parse_inputs(Inputs, BASE)
    assert parsed.services == ["api", "worker"] and parsed.wait_until == "completed" and parsed.timeout == "30m"


@pytest.mark.parametrize(("raw", "expected"), [
    ({"wait_until": "TEST_TRAFIC_SHIFT"}, "input 'wait-until' = 'TEST_TRAFIC_SHIFT': expected completed, stable or"),
    ({"mode": "continue"}, "input 'containers' = (not set): mode: continue deploys nothing new"),
    ({"mode": "stop", "containers": "", "services": ""}, "input 'services' = (not set): mode: stop acts on services"),
    ({"mode": "rollback", "containers": "", "task_definition": "web:3"}, "input 'task-definition' = 'web:3': mode: "
     "rollback deploys nothing new"),
    ({"services": "", "run_task": "migrate"}, "input 'run-task' = 'migrate': run-task takes its network"),
    ({"services": "", "desired_count": "3"}, "input 'desired-count' = '3': only used with services"),
    ({"keep_revisions": "0"}, "input 'keep-revisions' = '0'"),
    ({"timeout": "30"}, "input 'timeout' = '30': give a unit"),
])
def test_bad_inputs(raw: dict[str, str], expected: str) -> None:
    found = problems(**raw)
    assert any(expected in p for p in found), found


def test_a_stage_with_no_pause_hook_after_it_is_named() -> None:
    held = Target("held", {"deploymentConfiguration": {"lifecycleHooks": [
        {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]}}, "", {})
    loose = Target("loose", {"deploymentConfiguration": {"lifecycleHooks": [
        {"targetType": "AWS_LAMBDA", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]}}, "", {})
    assert unheld([held, loose], "TEST_TRAFFIC_SHIFT") == ["loose"]
    assert unheld([held, loose], "completed") == []
