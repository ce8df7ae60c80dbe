"""S3: buckets and objects that revisions are read from and written to."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deploy_actions.core.aws import aws_failure, error_code
from deploy_actions.core.errors import InputError

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def bucket_name_problem(name: str) -> str | None:
    """Why `name` cannot be an S3 bucket (S3's naming rules), or None: checked before any call."""
    if not _BUCKET.match(name) or ".." in name or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return ("not a valid S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and "
                "ending with a letter or digit")
    return None


MISSING = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket", "NoSuchVersion"})
DENIED = frozenset({"403", "AccessDenied", "Forbidden"})
BAD_REQUEST = frozenset({"400", "InvalidArgument", "BadRequest"})


def check_bucket(s3: Any, bucket: str) -> None:
    """Exit 2 before anything is written when the bucket does not exist or cannot be used."""
    try:
        s3.head_bucket(Bucket=bucket)
    except (ClientError, BotoCoreError) as exc:
        code = error_code(exc)
        if code in MISSING:
            raise InputError.single("bucket", bucket, "no such bucket in this account/region; create it "
                                    "(versioning recommended) or fix the name") from None
        if code in DENIED:
            raise InputError.single("bucket", bucket, "access denied; grant s3:ListBucket, s3:GetObject and "
                                    "s3:PutObject on it to the deploying role") from None
        raise aws_failure(f"checking bucket {bucket}", exc) from None


def head_object(s3: Any, bucket: str, key: str, version: str | None = None) -> dict[str, Any] | None:
    """The object's metadata, or None when it (or its bucket or version) does not exist."""
    args = {"Bucket": bucket, "Key": key}
    if version:
        args["VersionId"] = version
    try:
        answer: dict[str, Any] = s3.head_object(**args)
        return answer
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in MISSING:
            return None
        raise aws_failure(f"reading s3://{bucket}/{key}", exc) from None


def upload_file(s3: Any, path: Path, bucket: str, key: str, *, metadata: dict[str, str], content_type: str,
                multipart_threshold: int) -> None:
    from boto3.exceptions import S3UploadFailedError
    from boto3.s3.transfer import TransferConfig  # s3transfer: imported only when something is uploaded

    try:
        s3.upload_file(
            str(path), bucket, key, ExtraArgs={"Metadata": metadata, "ContentType": content_type},
            Config=TransferConfig(multipart_threshold=multipart_threshold, multipart_chunksize=16 * 1024 * 1024),
        )
    except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
        raise aws_failure(f"uploading s3://{bucket}/{key}", exc) from None


def etag(head: dict[str, Any]) -> str:
    return str(head.get("ETag", "")).strip('"')
