"""verify-and-notify after a CodeDeploy rollout: the emulator's EC2 instances run the example app (deployed by
CodeDeploy, hooks and all) behind the scenario's load balancer; the checks go through the ALB's real HTTP and
read the target group's health."""

from __future__ import annotations

import json
from typing import Any

from deploy_actions.emulator import Emulator
from tests.conftest import AwsEndpoint
from tests.e2e.conftest import Fleet


def test_the_deployed_version_is_served_by_every_instance_and_a_wrong_one_is_caught(
        run_cli: Any, aws: AwsEndpoint, aws_emulator: Emulator) -> None:
    fleet = Fleet(aws_emulator, instances=2)
    fleet.deploy_version("3.1.0")
    url = aws_emulator.listener_url(fleet.out["listener_arn"])
    (group,) = fleet.out["target_groups"].values()
    assert fleet.serves() == "version: 3.1.0"

    # Each instance answers half the requests: attempts see them all, and all serve 3.1.0.
    good = run_cli("verify-and-notify", "--urls", f"{url}/version expect-version\n{url}/version expect-version",
                   "--version", "3.1.0", "--target-groups", group, "--attempts", "1", env=aws.env)
    assert good.code == 0, good.log
    checks = json.loads(good.outputs["checks"])
    assert [c["detail"] for c in checks] == ["200", "200", "2/2 targets healthy"]

    wrong = run_cli("verify-and-notify", "--urls", f"{url}/version expect-version=3.2.0", "--attempts", "2",
                    "--interval", "0.05s", env=aws.env)
    assert wrong.code == 1
    (check,) = json.loads(wrong.outputs["checks"])
    assert check["detail"] == "200: version 3.2.0 not served (body: 'version: 3.1.0')" and check["attempts"] == 2
