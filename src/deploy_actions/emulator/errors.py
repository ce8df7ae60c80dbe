"""CodeDeploy error codes as AWS names them, raised from the emulator's handlers.

moto serializes a `ServiceException` per protocol (JSON `__type` for CodeDeploy, XML for ELBv2), so
boto3 callers see the same `ClientError` code they would get from AWS.
"""

from __future__ import annotations

from moto.core.exceptions import ServiceException


class AwsError(ServiceException):
    """An AWS error with its real code; HTTP 400 like every client error of these services."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def no_application(name: str) -> AwsError:
    return AwsError("ApplicationDoesNotExistException",
                    f"No application found for name: {name}")


def no_deployment_group(name: str) -> AwsError:
    return AwsError("DeploymentGroupDoesNotExistException",
                    f"No Deployment Group found for name: {name}")


def no_deployment(deployment_id: str) -> AwsError:
    return AwsError("DeploymentDoesNotExistException",
                    f"The deployment {deployment_id} could not be found.")


def required(what: str) -> AwsError:
    """`ApplicationNameRequiredException`, `RevisionRequiredException`, … for a missing parameter."""
    return AwsError(f"{what}RequiredException", f"{what} is required.")
