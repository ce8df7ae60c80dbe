"""Every bad codedeploy-deploy input is rejected before any AWS call (exit 2)."""

from __future__ import annotations

import pytest

from deploy_actions.actions.codedeploy_deploy import Inputs
from deploy_actions.core.errors import InputError
from deploy_actions.core.inputs import parse_inputs

BASE = {"application": "api", "deployment-group": "prod", "revision": "s3://bkt/app.zip"}


def problems(**raw: str) -> list[str]:
    values = {k: v for k, v in {**BASE, **{k.replace("_", "-"): v for k, v in raw.items()}}.items() if v != ""}
    with pytest.raises(InputError) as caught:
        parse_inputs(Inputs, values)
    return [p.render() for p in caught.value.problems]


def test_a_valid_deploy() -> None:
    parsed = parse_inputs(Inputs, BASE)
    assert parsed.wait and parsed.timeout == "30m" and parsed.if_active == "wait"


@pytest.mark.parametrize(("raw", "expected"), [
    ({"timeout": "forever"}, "input 'timeout' = 'forever': expected a duration such as 90s, 30m, 1h30m"),
    ({"revision": "{oops"}, "input 'revision' = '{oops': not valid JSON"),
    ({"revision": ""}, "input 'revision' = (not set): required"),
    ({"appspec": "version: 0.0"}, "input 'appspec' = 'version: 0.0': give either revision or appspec"),
    ({"deployment_group": ""}, "input 'deployment-group' = (not set): mode: deploy needs the deployment group"),
    ({"deployment_id": "d-1"}, "input 'deployment-id' = 'd-1': only used with mode: stop"),
    ({"mode": "stop"}, "input 'deployment-id' = (not set): mode: stop needs the deployment to stop"),
    ({"mode": "rollback"}, "input 'revision' = 's3://bkt/app.zip': mode: rollback redeploys the previous"),
    ({"on_timeout": "panic"}, "input 'on-timeout' = 'panic': must be one of: stop-and-rollback, stop, leave"),
    ({"if_active": "queue"}, "input 'if-active' = 'queue': must be one of: wait, fail, stop-previous"),
    ({"auto_rollback": "yes"}, "input 'auto-rollback' = 'yes': must be one of: group, on-failure"),
    ({"application": ""}, "input 'application' = (not set): required; pass --application VALUE"),
])
def test_bad_inputs(raw: dict[str, str], expected: str) -> None:
    assert any(p.startswith(expected) for p in problems(**raw)), problems(**raw)
