"""Revision operations over HTTP: RegisterApplicationRevision, GetApplicationRevision, ListApplicationRevisions."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def s3_revision(key: str, etag: str = "e1") -> dict[str, Any]:
    return {"revisionType": "S3", "s3Location": {"bucket": "revisions", "key": key, "bundleType": "zip", "eTag": etag}}


def error_code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return str(raised.value.response["Error"]["Code"])


def test_registered_revision_is_described_and_listed(codedeploy: Any, unique: str) -> None:
    codedeploy.create_application(applicationName=unique)
    first, second = s3_revision("app/a.zip"), s3_revision("app/b.zip")
    codedeploy.register_application_revision(applicationName=unique, revision=first, description="first")
    codedeploy.register_application_revision(applicationName=unique, revision=second)

    got = codedeploy.get_application_revision(applicationName=unique, revision=first)
    assert got["applicationName"] == unique
    assert got["revision"] == first
    assert got["revisionInfo"]["description"] == "first"
    assert got["revisionInfo"]["deploymentGroups"] == []
    assert "firstUsedTime" not in got["revisionInfo"]

    listed = codedeploy.list_application_revisions(applicationName=unique)["revisions"]
    assert listed == [first, second]
    newest_first = codedeploy.list_application_revisions(applicationName=unique, sortOrder="descending")
    assert newest_first["revisions"] == [second, first]
    assert codedeploy.list_application_revisions(applicationName=unique, s3Bucket="revisions",
                                                 s3KeyPrefix="app/b")["revisions"] == [second]
    assert codedeploy.list_application_revisions(applicationName=unique, deployed="include")["revisions"] == []


def test_registering_twice_keeps_one_revision(codedeploy: Any, unique: str) -> None:
    codedeploy.create_application(applicationName=unique)
    codedeploy.register_application_revision(applicationName=unique, revision=s3_revision("k"), description="a")
    codedeploy.register_application_revision(applicationName=unique, revision=s3_revision("k"), description="b")
    assert len(codedeploy.list_application_revisions(applicationName=unique)["revisions"]) == 1


def test_real_error_codes(codedeploy: Any, unique: str) -> None:
    assert error_code(codedeploy.register_application_revision, applicationName=f"missing-{unique}",
                      revision=s3_revision("k")) == "ApplicationDoesNotExistException"
    codedeploy.create_application(applicationName=unique)
    assert error_code(codedeploy.get_application_revision, applicationName=unique,
                      revision=s3_revision("never-registered")) == "RevisionDoesNotExistException"
    assert error_code(codedeploy.register_application_revision, applicationName=unique, revision={
        "revisionType": "S3", "s3Location": {"bucket": "revisions"}}) == "InvalidRevisionException"
    assert error_code(codedeploy.list_application_revisions, applicationName=unique,
                      sortBy="size") == "InvalidSortByException"


def test_built_in_and_custom_deployment_configs(codedeploy: Any, unique: str) -> None:
    one = codedeploy.get_deployment_config(deploymentConfigName="CodeDeployDefault.OneAtATime")
    assert one["deploymentConfigInfo"]["minimumHealthyHosts"] == {"type": "FLEET_PERCENT", "value": 99}
    half = codedeploy.get_deployment_config(deploymentConfigName="CodeDeployDefault.HalfAtATime")
    assert half["deploymentConfigInfo"]["minimumHealthyHosts"] == {"type": "FLEET_PERCENT", "value": 50}
    name = f"Custom-{unique}"
    codedeploy.create_deployment_config(deploymentConfigName=name,
                                        minimumHealthyHosts={"type": "HOST_COUNT", "value": 2})
    custom = codedeploy.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"]
    assert custom["minimumHealthyHosts"] == {"type": "HOST_COUNT", "value": 2}
    assert custom["computePlatform"] == "Server"
    again = error_code(codedeploy.create_deployment_config, deploymentConfigName=name,
                       minimumHealthyHosts={"type": "HOST_COUNT", "value": 1})
    assert again == "DeploymentConfigAlreadyExistsException"
    assert error_code(codedeploy.get_deployment_config,
                      deploymentConfigName=f"nope-{unique}") == "DeploymentConfigDoesNotExistException"
