"""Content-addressed upload of a revision to S3."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy_actions.aws import s3 as s3_api
from deploy_actions.core.errors import DeployActionsError

SHA_METADATA = "sha256"
MANIFEST_METADATA = "manifest"  # the digest of the files that made the archive (archive.manifest_digest)
MULTIPART_THRESHOLD = 64 * 1024 * 1024
CONTENT_TYPES = {"zip": "application/zip", "tgz": "application/gzip", "tar": "application/x-tar"}


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    etag: str
    version: str | None
    uploaded: bool
    sha256: str


def content_addressed_key(prefix: str | None, name: str, digest: str, extension: str) -> str:
    stem = f"{name}-{digest[:16]}.{extension}"
    prefix = "/".join(part for part in (prefix or "").split("/") if part)
    return f"{prefix}/{stem}" if prefix else stem


def already_stored(s3: Any, bucket: str, key: str, manifest: str) -> S3Object | None:
    """The object at `key` when it was built from the same files (its manifest metadata): nothing to build."""
    existing = s3_api.head_object(s3, bucket, key)
    metadata = (existing or {}).get("Metadata", {})
    if existing is None or metadata.get(MANIFEST_METADATA) != manifest or not metadata.get(SHA_METADATA):
        return None
    return _stored(bucket, key, existing, uploaded=False)


def upload(s3: Any, path: Path, bucket: str, key: str, sha256: str, manifest: str, bundle_type: str) -> S3Object:
    s3_api.upload_file(s3, path, bucket, key, metadata={SHA_METADATA: sha256, MANIFEST_METADATA: manifest},
                       content_type=CONTENT_TYPES[bundle_type], multipart_threshold=MULTIPART_THRESHOLD)
    written = s3_api.head_object(s3, bucket, key)
    if written is None:
        raise DeployActionsError(f"s3://{bucket}/{key} is missing right after upload")
    return _stored(bucket, key, written, uploaded=True)


def _stored(bucket: str, key: str, head: dict[str, Any], uploaded: bool) -> S3Object:
    return S3Object(bucket, key, s3_api.etag(head), head.get("VersionId"), uploaded=uploaded,
                    sha256=str(head.get("Metadata", {}).get(SHA_METADATA, "")))
