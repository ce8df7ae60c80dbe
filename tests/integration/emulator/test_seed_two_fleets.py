"""The `ec2-blue-green-listener` scenario (seed 003): two fleets, each with its own target group and deployment
group, one listener forwarding to blue. A deployment to one fleet's group touches that fleet only."""

from __future__ import annotations

from deploy_actions.emulator import Emulator
from deploy_actions.emulator.seed import load_scenario, seed
from tests.e2e.conftest import EXAMPLE_APP
from tests.integration.emulator.conftest import wait_for
from tests.support.revisions import upload_revision, zip_revision


def test_each_deployment_group_deploys_to_its_own_fleet_behind_its_own_target_group(emulator: Emulator,
                                                                                     unique: str) -> None:
    out = seed(emulator.client, load_scenario("ec2-blue-green-listener"), prefix=f"t{unique}-")
    codedeploy, elbv2 = emulator.client("codedeploy"), emulator.client("elbv2")
    fleets = {side: emulator.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[out["auto_scaling_groups"][f"app-{side}-fleet"]])["AutoScalingGroups"][0]
        for side in ("blue", "green")}
    for side, fleet in fleets.items():
        group = codedeploy.get_deployment_group(applicationName=out["application"],
                                                deploymentGroupName=out["deployment_groups"][f"app-{side}"])
        info = group["deploymentGroupInfo"]
        assert [g["name"] for g in info["autoScalingGroups"]] == [fleet["AutoScalingGroupName"]]
        assert info["deploymentStyle"]["deploymentOption"] == "WITHOUT_TRAFFIC_CONTROL"
        assert fleet["TargetGroupARNs"] == [out["target_groups"][f"app-{side}"]]
    (listener,) = elbv2.describe_listeners(ListenerArns=[out["listener_arn"]])["Listeners"]
    assert listener["DefaultActions"][0]["TargetGroupArn"] == out["target_groups"]["app-blue"]

    revision = upload_revision(emulator.client("s3"), out["bucket"], zip_revision(EXAMPLE_APP, {}))
    deployment = codedeploy.create_deployment(applicationName=out["application"], revision=revision,
                                              deploymentGroupName=out["deployment_groups"]["app-green"])["deploymentId"]
    wait_for(lambda: codedeploy.get_deployment(deploymentId=deployment)["deploymentInfo"]["status"] == "Succeeded",
             timeout=60)
    targets = codedeploy.list_deployment_targets(deploymentId=deployment)["targetIds"]
    assert sorted(targets) == sorted(i["InstanceId"] for i in fleets["green"]["Instances"])
