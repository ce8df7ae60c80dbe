"""The AWS client factory against a real HTTP endpoint."""

from __future__ import annotations

import io

import pytest

from deploy_actions.core.aws import make_clients
from deploy_actions.core.errors import InputError
from deploy_actions.core.inputs import AwsInputs
from deploy_actions.core.platform import GitHubReporter, Reporter
from tests.conftest import AwsEndpoint


def test_endpoint_region_and_call_counting(aws: AwsEndpoint) -> None:
    clients = make_clients(AwsInputs(region="eu-west-1"), Reporter(io.StringIO()), aws.env)
    s3 = clients.client("s3")
    assert s3.meta.endpoint_url == aws.url
    assert s3.meta.region_name == "eu-west-1"
    s3.list_buckets()
    s3.list_buckets()
    assert clients.calls == {"s3.ListBuckets": 2}
    assert clients.client("s3") is s3


def test_service_specific_endpoint_wins(aws: AwsEndpoint) -> None:
    env = {**aws.env, "AWS_ENDPOINT_URL_CODEDEPLOY": "http://127.0.0.1:9"}
    clients = make_clients(AwsInputs(), Reporter(io.StringIO()), env)
    assert clients.client("codedeploy").meta.endpoint_url == "http://127.0.0.1:9"
    assert clients.client("elbv2").meta.endpoint_url == aws.url


def test_region_is_required_before_any_call() -> None:
    with pytest.raises(InputError, match="input 'region' = \\(not set\\): no region given"):
        make_clients(AwsInputs(), Reporter(io.StringIO()), {})


def test_clients_retry_throttling_adaptively(aws: AwsEndpoint) -> None:
    s3 = make_clients(AwsInputs(), Reporter(io.StringIO()), aws.env).client("s3")
    assert s3.meta.config.retries["mode"] == "adaptive"
    assert s3.meta.config.retries["total_max_attempts"] == 11


def test_role_to_assume_uses_the_oidc_token_and_masks_credentials(aws: AwsEndpoint) -> None:
    out = io.StringIO()
    reporter = GitHubReporter(out, {})
    inputs = AwsInputs(role_to_assume="arn:aws:iam::123456789012:role/deployer", id_token_variable="MY_TOKEN")
    env = {**aws.env, "MY_TOKEN": "eyJhbGciOiJSUzI1NiJ9.gitlab-oidc-token.sig"}
    clients = make_clients(inputs, reporter, env)
    identity = clients.client("sts").get_caller_identity()
    assert identity["Arn"].startswith("arn:aws:sts::123456789012:assumed-role/deployer/deploy-actions-")
    log = out.getvalue()
    assert "::add-mask::eyJhbGciOiJSUzI1NiJ9.gitlab-oidc-token.sig" in log
    assert log.count("::add-mask::") == 4  # the env secret key, the token, the session secret and token
    assert "Assumed role arn:aws:iam::123456789012:role/deployer" in log


def test_role_without_a_token_says_how_to_get_one(aws: AwsEndpoint) -> None:
    inputs = AwsInputs(role_to_assume="arn:aws:iam::123456789012:role/deployer")
    with pytest.raises(InputError, match="id-token: write"):
        make_clients(inputs, Reporter(io.StringIO()), aws.env)
