"""ECR: repositories, the registry's authorization token, images and their scan findings."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from deploy_actions.core.aws import aws_failure, error_code
from deploy_actions.core.errors import InputError

NOT_FOUND = frozenset({"RepositoryNotFoundException"})
NO_IMAGE = frozenset({"ImageNotFoundException"})
NO_SCAN = frozenset({"ScanNotFoundException"})


def describe_repository(ecr: Any, name: str) -> dict[str, Any] | None:
    """The repository, or None when it does not exist."""
    try:
        answer = ecr.describe_repositories(repositoryNames=[name])
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in NOT_FOUND:
            return None
        if error_code(exc) == "InvalidParameterException":
            raise InputError.single("repository", name, "not a valid ECR repository name: lowercase letters, "
                                    "digits and . _ - / (2-256 characters)") from None
        raise aws_failure(f"describing ECR repository {name}", exc) from None
    repositories = answer.get("repositories") or []
    return dict(repositories[0]) if repositories else None


def create_repository(ecr: Any, name: str, *, scan_on_push: bool, immutable: bool) -> dict[str, Any]:
    try:
        answer = ecr.create_repository(
            repositoryName=name, imageScanningConfiguration={"scanOnPush": scan_on_push},
            imageTagMutability="IMMUTABLE" if immutable else "MUTABLE")
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) == "RepositoryAlreadyExistsException":  # another run made it a moment ago
            found = describe_repository(ecr, name)
            if found is not None:
                return found
        raise aws_failure(f"creating ECR repository {name}", exc) from None
    return dict(answer["repository"])


def put_lifecycle_policy(ecr: Any, name: str, policy: str) -> None:
    try:
        ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=policy)
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) == "InvalidParameterException":
            raise InputError.single("lifecycle-policy", None, f"ECR refused the policy: {exc}") from None
        raise aws_failure(f"setting the lifecycle policy of {name}", exc) from None


@dataclass(frozen=True)
class Authorization:
    username: str
    password: str
    registry: str  # host[:port] of the proxy endpoint
    secure: bool  # https
    expires_at: datetime | None


def authorization(ecr: Any, registry_id: str | None = None) -> Authorization:
    """The registry login; the caller masks the password at once."""
    try:
        answer = ecr.get_authorization_token(**({"registryIds": [registry_id]} if registry_id else {}))
    except (ClientError, BotoCoreError) as exc:
        raise aws_failure("getting an ECR authorization token", exc) from None
    data = (answer.get("authorizationData") or [{}])[0]
    token = base64.b64decode(data.get("authorizationToken", "")).decode("utf-8", "replace")
    username, _, password = token.partition(":")
    endpoint = urlsplit(str(data.get("proxyEndpoint", "")))
    expires = data.get("expiresAt")
    return Authorization(username, password, endpoint.netloc or endpoint.path, endpoint.scheme != "http",
                         expires if isinstance(expires, datetime) else None)


def tagged(ecr: Any, name: str) -> set[str]:
    """Every tag the repository holds."""
    tags: set[str] = set()
    try:
        for page in ecr.get_paginator("list_images").paginate(repositoryName=name, filter={"tagStatus": "TAGGED"}):
            tags.update(str(image["imageTag"]) for image in page.get("imageIds", []) if image.get("imageTag"))
    except (ClientError, BotoCoreError) as exc:
        raise aws_failure(f"listing the tags of {name}", exc) from None
    return tags


def describe_image(ecr: Any, name: str, digest: str) -> dict[str, Any] | None:
    try:
        answer = ecr.describe_images(repositoryName=name, imageIds=[{"imageDigest": digest}])
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in NO_IMAGE:
            return None
        raise aws_failure(f"describing {name}@{digest}", exc) from None
    details = answer.get("imageDetails") or []
    return dict(details[0]) if details else None


def start_image_scan(ecr: Any, name: str, digest: str) -> None:
    try:
        ecr.start_image_scan(repositoryName=name, imageId={"imageDigest": digest})
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) == "LimitExceededException":  # scanned already today: its findings stand
            return
        raise aws_failure(f"starting a scan of {name}@{digest}", exc) from None


def scan_findings(ecr: Any, name: str, digest: str) -> dict[str, Any] | None:
    """The scan's status and findings, or None when no scan exists (yet)."""
    try:
        answer: dict[str, Any] = ecr.describe_image_scan_findings(repositoryName=name, imageId={"imageDigest": digest})
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in NO_SCAN | NO_IMAGE:
            return None
        raise aws_failure(f"reading the scan findings of {name}@{digest}", exc) from None
    return answer
