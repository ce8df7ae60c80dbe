"""CodeDeploy error codes as AWS names them, raised from the CodeDeploy handlers."""

from __future__ import annotations

from deploy_actions.emulator.core.errors import AwsError


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
