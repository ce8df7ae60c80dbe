"""AWS names a failed deployment's automatic rollback a moment after the failure: the step asks again.

botocore's Stubber gives the exact sequence of answers (the emulator never shows the gap any more)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from deploy_actions.codedeploy.deploy import Deployer, DeployOptions, Interrupted
from deploy_actions.codedeploy.state import DeploymentState
from deploy_actions.core.operation import Deadline, Operation, PollShape
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import CancellationToken, Cancelled

FAILED = {"deploymentId": "d-1", "status": "Failed", "createTime": datetime(2026, 1, 1, tzinfo=UTC),
          "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}}


class Instant(CancellationToken):
    def sleep(self, seconds: float) -> bool:
        return self.cancelled


def deployer(cd: object) -> Deployer:
    op = Operation(Reporter(io.StringIO(), {}), Instant(), Deadline(600), shape=PollShape(0.01, 0.01))
    return Deployer(cd, None, op.reporter, op)


def test_a_rollback_named_late_is_still_followed() -> None:
    cd = boto3.client("codedeploy", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(cd) as stub:
        stub.add_response("get_deployment", {"deploymentInfo": FAILED}, {"deploymentId": "d-1"})
        stub.add_response("get_deployment", {"deploymentInfo": {
            **FAILED, "rollbackInfo": {"rollbackDeploymentId": "d-2"}}}, {"deploymentId": "d-1"})
        assert deployer(cd)._rollback_id(DeploymentState("d-1", "Failed", FAILED)) == "d-2"


def test_a_rollback_aws_says_it_did_not_start_is_not_waited_for() -> None:
    info = {**FAILED, "rollbackInfo": {"rollbackMessage": "Automatic rollback was not performed"}}
    assert deployer(None)._rollback_id(DeploymentState("d-1", "Failed", info)) is None


def test_a_rollback_not_yet_readable_is_asked_again_not_called_bad_input() -> None:
    cd = boto3.client("codedeploy", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    done = {"deploymentId": "d-2", "status": "Succeeded", "createTime": datetime(2026, 1, 1, tzinfo=UTC),
            "revision": {"revisionType": "S3", "s3Location": {"bucket": "bkt", "key": "app-1.zip"}}}
    with Stubber(cd) as stub:
        stub.add_client_error("get_deployment", "DeploymentDoesNotExistException",
                              expected_params={"deploymentId": "d-2"})
        stub.add_response("get_deployment", {"deploymentInfo": done}, {"deploymentId": "d-2"})
        stub.add_response("list_deployment_targets", {"targetIds": []}, {"deploymentId": "d-2"})
        state = deployer(cd)._follow_rollback("d-2")
    assert state is not None and state.status == "Succeeded"


class MainClientUnused:
    """The main client retries for long with backoff: past a deadline or in a cancel it must not be used."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the main client was used for {name} while interrupted")


def test_a_cancel_stops_the_deployment_through_the_polling_client_not_the_main_ones_long_retries() -> None:
    polling = boto3.client("codedeploy", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    op = Operation(Reporter(io.StringIO(), {}), Instant(), Deadline(600), shape=PollShape(0.01, 0.01))
    stopping = {**FAILED, "status": "Stopped", "rollbackInfo": {}}
    with Stubber(polling) as stub:
        stub.add_response("stop_deployment", {"status": "Pending"},
                          {"deploymentId": "d-1", "autoRollbackEnabled": True})
        stub.add_response("get_deployment", {"deploymentInfo": stopping}, {"deploymentId": "d-1"})
        stub.add_response("list_deployment_targets", {"targetIds": []}, {"deploymentId": "d-1"})
        with pytest.raises(Interrupted) as interrupted:
            Deployer(MainClientUnused(), None, op.reporter, op, cd_polling=polling)._interrupted(
                "d-1", DeployOptions("app", "group"), op.interruption(Cancelled("cancelled (SIGTERM)", 15)))
        stub.assert_no_pending_responses()
    assert interrupted.value.exit_code == 143 and interrupted.value.outcome.status == "Stopped"
