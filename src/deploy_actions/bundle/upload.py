"""Content-addressed upload of a revision to S3."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_actions.aws import s3 as s3_api
from deploy_actions.core.errors import DeployActionsError

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


def upload_if_changed(s3: Any, path: Path, bucket: str, key: str, sha256: str, bundle_type: str) -> S3Object:
    """Upload unless the same content already sits at ``key`` (known by its sha256 metadata)."""
    existing = s3_api.head_object(s3, bucket, key)
    if existing is not None and existing.get("Metadata", {}).get(SHA_METADATA) == sha256:
        return _stored(bucket, key, existing, uploaded=False)
    s3_api.upload_file(s3, path, bucket, key, metadata={SHA_METADATA: sha256},
                       content_type=CONTENT_TYPES[bundle_type], multipart_threshold=MULTIPART_THRESHOLD)
    written = s3_api.head_object(s3, bucket, key)
    if written is None:
        raise DeployActionsError(f"s3://{bucket}/{key} is missing right after upload")
    return _stored(bucket, key, written, uploaded=True)


def _stored(bucket: str, key: str, head: dict[str, Any], uploaded: bool) -> S3Object:
    return S3Object(bucket, key, s3_api.etag(head), head.get("VersionId"), uploaded=uploaded)
