"""AWS errors raised from the emulator's handlers, with the codes AWS gives them.

moto serializes a `ServiceException` per protocol (JSON `__type` for CodeDeploy, XML for ELBv2), so
boto3 callers see the same `ClientError` code they would get from AWS.
"""

from __future__ import annotations

from moto.core.exceptions import ServiceException


class AwsError(ServiceException):
    """An AWS error with its real code; HTTP 400 like every client error of these services."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
