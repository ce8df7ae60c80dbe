"""The one place AWS clients are made.

Standard credential chain, region from input or environment, ``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_<SERVICE>`` honoured by botocore itself (that is how the emulator, LocalStack
and the tests point us elsewhere), adaptive retries for throttling, optional web-identity role.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from deploy_actions import __version__
from deploy_actions.core.environment import Env
from deploy_actions.core.errors import ConfigurationError, DeployActionsError, InputError
from deploy_actions.core.inputs import REGION, REGION_HELP, AwsInputs
from deploy_actions.core.platform import Reporter

MAX_ATTEMPTS = 10  # throttling is retried generously: a pipeline's calls are few and must not fail
POLL_ATTEMPTS = 3  # a poll that is repeated anyway: our own loop retries it, within the run's deadline


def user_agent(action: str = "") -> str:
    """What we add to botocore's user agent: `deploy-actions/<version>`, then `action/<name>` when an action
    makes the call, so CloudTrail's userAgent (and the emulator's call recorder) tell which action called."""
    return f"deploy-actions/{__version__}" + (f" action/{action}" if action else "")


@cache
def retry_config(max_attempts: int = MAX_ATTEMPTS, action: str = "") -> Any:
    """Adaptive retries and our user agent. boto3 and botocore.config are imported on first use, not with
    this module: an action that never calls AWS (package-revision without a bucket, any --help) skips them."""
    from botocore.config import Config

    return Config(
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        user_agent_extra=user_agent(action),
        connect_timeout=10,
        read_timeout=60,
    )


class AwsClients:
    """Builds each client once per run and counts the API calls made through it."""

    def __init__(self, session: Any, region: str, environ: Mapping[str, str] | None = None,
                 action: str = "") -> None:
        self.session = session
        self.region = region
        self.action = action  # named in every call's user agent
        self.environ = os.environ if environ is None else environ
        self._clients: dict[str, Any] = {}
        self.calls: dict[str, int] = {}

    def client(self, service: str, *, polling: bool = False) -> Any:
        """The run's client for `service`; `polling=True` for the one that follows something in a loop
        (fewer retries per call, so an outage cannot hold one poll far past the run's deadline)."""
        key = f"{service}:poll" if polling else service
        if key not in self._clients:
            config = retry_config(POLL_ATTEMPTS if polling else MAX_ATTEMPTS, self.action)
            client = self.session.client(service, region_name=self.region, config=config,
                                         endpoint_url=self._endpoint(service))
            client.meta.events.register("before-call", self._count)
            self._clients[key] = client
        return self._clients[key]

    def _endpoint(self, service: str) -> str | None:
        """AWS_ENDPOINT_URL_<SERVICE_ID> then AWS_ENDPOINT_URL, read from the run's environment."""
        service_id = self.session._session.get_service_model(service).service_id
        specific = f"{Env.AWS_ENDPOINT_URL}_{str(service_id).replace(' ', '_').upper()}"
        return self.environ.get(specific) or self.environ.get(Env.AWS_ENDPOINT_URL) or None

    def _count(self, model: Any, **_: Any) -> None:
        key = f"{model.service_model.service_name}.{model.name}"
        self.calls[key] = self.calls.get(key, 0) + 1

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


def resolve_region(inputs: AwsInputs, environ: Mapping[str, str]) -> str:
    region = inputs.region or environ.get(Env.AWS_REGION) or environ.get(Env.AWS_DEFAULT_REGION)
    if not region:
        raise InputError.single(
            "region", None, "no region given; pass --region (or the region input) or set AWS_REGION"
        )
    if not REGION.match(region):
        raise InputError.single("region", region, f"{REGION_HELP} (from AWS_REGION or AWS_DEFAULT_REGION)")
    return region


def make_clients(
    inputs: AwsInputs,
    reporter: Reporter,
    environ: Mapping[str, str] | None = None,
    id_token: Callable[[], str] | None = None,
    *,
    session_name: str = "deploy-actions-local",
    action: str = "",
) -> AwsClients:
    """Clients for the run; `session_name` names an assumed role's session (RunContext passes the CI job);
    `action` is named in the calls' user agent (`deploy-actions/<version> action/<name>`)."""
    import boto3

    env = os.environ if environ is None else environ
    region = resolve_region(inputs, env)
    session = boto3.session.Session(
        region_name=region,
        aws_access_key_id=env.get(Env.AWS_ACCESS_KEY_ID),
        aws_secret_access_key=env.get(Env.AWS_SECRET_ACCESS_KEY),
        aws_session_token=env.get(Env.AWS_SESSION_TOKEN),
        profile_name=None if env.get(Env.AWS_ACCESS_KEY_ID) else env.get(Env.AWS_PROFILE),
    )
    for secret in (Env.AWS_SECRET_ACCESS_KEY, Env.AWS_SESSION_TOKEN):
        if env.get(secret):
            reporter.mask(env[secret])
    if inputs.role_to_assume:
        session = _assume_role(session, inputs, reporter, env, region, id_token, session_name, action)
    return AwsClients(session, region, env, action)


def _assume_role(
    session: Any,
    inputs: AwsInputs,
    reporter: Reporter,
    environ: Mapping[str, str],
    region: str,
    id_token: Callable[[], str] | None,
    session_name: str,
    action: str = "",
) -> Any:
    token = (id_token or (lambda: _ci_id_token(inputs, environ)))()
    reporter.mask(token)
    sts = AwsClients(session, region, environ, action).client("sts")
    try:
        answer = sts.assume_role_with_web_identity(
            RoleArn=inputs.role_to_assume,
            RoleSessionName=session_name[:64],
            WebIdentityToken=token,
            DurationSeconds=3600,
        )
    except ClientError as exc:
        raise ConfigurationError(
            f"could not assume role {inputs.role_to_assume}: {describe_client_error(exc)}. Check the "
            "role's trust policy allows this repository's OIDC subject."
        ) from None
    creds = answer["Credentials"]
    reporter.mask(creds["SecretAccessKey"])
    reporter.mask(creds["SessionToken"])
    reporter.info(f"Assumed role {inputs.role_to_assume}")
    import boto3

    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def _ci_id_token(inputs: AwsInputs, environ: Mapping[str, str]) -> str:
    if environ.get(Env.ACTIONS_ID_TOKEN_REQUEST_URL):
        from actions_toolkit import core as gh_core

        return str(gh_core.get_id_token("sts.amazonaws.com"))
    token = environ.get(inputs.id_token_variable)
    if token:
        return token
    raise InputError.single(
        "role-to-assume",
        inputs.role_to_assume,
        "no OIDC token available: on GitHub grant 'permissions: id-token: write'; on GitLab add "
        f"'id_tokens: {inputs.id_token_variable}: {{aud: sts.amazonaws.com}}' to the job",
    )


def error_code(exc: Exception) -> str:
    """The AWS error code of a ClientError ('' for any other failure, or an answer without one)."""
    if not isinstance(exc, ClientError):
        return ""
    return str(exc.response.get("Error", {}).get("Code", "") or "")


def describe_client_error(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'Error')}: {error.get('Message', str(exc))}"


THROTTLED = frozenset({"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
                       "TooManyRequestsException", "RequestLimitExceeded", "SlowDown", "PriorRequestNotComplete"})


class AwsCallFailed(DeployActionsError):
    """An AWS call failed for a reason the user cannot fix by changing an input; `code` is AWS's."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code

    @property
    def transient(self) -> bool:
        """Worth asking again later: throttled, or (AwsUnreachable) no answer at all."""
        return self.code in THROTTLED


class AwsUnreachable(AwsCallFailed):
    """AWS did not answer (refused, reset, timed out) even after botocore's retries."""

    @property
    def transient(self) -> bool:
        return True


def aws_failure(action: str, exc: Exception) -> DeployActionsError:
    """Translate a botocore failure at the AWS boundary into plain words."""
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return AwsUnreachable(f"{action} failed: AWS did not answer ({exc})")
    if isinstance(exc, NoCredentialsError):
        return ConfigurationError(
            "no AWS credentials found: configure the credential chain (environment, profile, "
            "instance role) or pass role-to-assume"
        )
    if isinstance(exc, ClientError):
        return AwsCallFailed(f"{action} failed: {describe_client_error(exc)}", error_code(exc))
    if isinstance(exc, BotoCoreError):
        return AwsCallFailed(f"{action} failed: {exc}")
    return AwsCallFailed(f"{action} failed: {exc}")
