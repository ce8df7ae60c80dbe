"""Content-addressed upload of a revision to S3 and its registration with CodeDeploy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from deploy_actions.core.aws import aws_failure, describe_client_error
from deploy_actions.core.errors import ConfigurationError, InputError

SHA_METADATA = "sha256"
MULTIPART_THRESHOLD = 64 * 1024 * 1024
CONTENT_TYPES = {"zip": "application/zip", "tgz": "application/gzip", "tar": "application/x-tar"}


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    etag: str
    version: str | None
    uploaded: bool


def content_addressed_key(prefix: str | None, name: str, sha256: str, extension: str) -> str:
    stem = f"{name}-{sha256[:16]}.{extension}"
    prefix = (prefix or "").strip("/")
    return f"{prefix}/{stem}" if prefix else stem


def check_bucket(s3: Any, bucket: str) -> None:
    """Fail as a configuration error before anything is written when the bucket is unusable."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise InputError.single("bucket", bucket, "no such bucket in this account/region; create it "
                                    "(versioning recommended) or fix the name") from None
        if code in ("403", "AccessDenied", "Forbidden"):
            raise InputError.single("bucket", bucket, "access denied; grant s3:ListBucket, s3:GetObject and "
                                    "s3:PutObject on it to the deploying role") from None
        raise aws_failure(f"checking bucket {bucket}", exc) from None


def check_application(codedeploy: Any, application: str) -> None:
    try:
        codedeploy.get_application(applicationName=application)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ApplicationDoesNotExistException":
            raise InputError.single("application", application, "no such CodeDeploy application in this "
                                    "region; create it or fix the name") from None
        raise aws_failure(f"looking up application {application}", exc) from None


def upload_if_changed(s3: Any, path: Path, bucket: str, key: str, sha256: str, bundle_type: str) -> S3Object:
    """Upload unless the same content already sits at ``key`` (known by its sha256 metadata)."""
    existing = _head(s3, bucket, key)
    if existing is not None and existing.get("Metadata", {}).get(SHA_METADATA) == sha256:
        return S3Object(bucket, key, _etag(existing), existing.get("VersionId"), uploaded=False)
    from boto3.s3.transfer import TransferConfig  # s3transfer: imported only when something is uploaded

    try:
        s3.upload_file(
            str(path), bucket, key,
            ExtraArgs={"Metadata": {SHA_METADATA: sha256}, "ContentType": CONTENT_TYPES[bundle_type]},
            Config=TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=16 * 1024 * 1024),
        )
    except ClientError as exc:
        raise aws_failure(f"uploading s3://{bucket}/{key}", exc) from None
    written = _head(s3, bucket, key)
    if written is None:
        raise ConfigurationError(f"s3://{bucket}/{key} is missing right after upload")
    return S3Object(bucket, key, _etag(written), written.get("VersionId"), uploaded=True)


def register(codedeploy: Any, application: str, revision: dict[str, Any], description: str | None) -> None:
    try:
        codedeploy.register_application_revision(
            applicationName=application, revision=revision, description=description or "",
        )
    except ClientError as exc:
        raise aws_failure(f"registering the revision with {application}: {describe_client_error(exc)}",
                          exc) from None


def _head(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        answer: dict[str, Any] = s3.head_object(Bucket=bucket, Key=key)
        return answer
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise aws_failure(f"reading s3://{bucket}/{key}", exc) from None


def _etag(head: dict[str, Any]) -> str:
    return str(head.get("ETag", "")).strip('"')
