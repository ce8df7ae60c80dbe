"""Zip a revision directory the way CodeDeploy expects it (appspec.yml at the root, modes kept).

A stand-in for package-revision in tests and benchmarks; `upload_revision` puts it in the
emulator's S3 and returns the `revision` dict CreateDeployment takes.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # same content, same bytes: the S3 key can be content-addressed


def zip_revision(source: Path, replace: dict[str, str] | None = None) -> bytes:
    """The zipped tree; `replace` overrides files' text by relative path (a new version, a broken hook)."""
    replace = dict(replace or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        paths = sorted(p for p in source.rglob("*") if p.is_file())
        for path in paths:
            name = path.relative_to(source).as_posix()
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = (path.stat().st_mode & 0o777 | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = replace.pop(name).encode() if name in replace else path.read_bytes()
            bundle.writestr(info, data)
        for name, text in sorted(replace.items()):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = (0o755 | 0o100000) << 16
            bundle.writestr(info, text.encode())
    return buffer.getvalue()


def upload_revision(s3: Any, bucket: str, data: bytes, prefix: str = "revisions/") -> dict[str, Any]:
    key = f"{prefix}app-{hashlib.sha256(data).hexdigest()[:16]}.zip"
    etag = s3.put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
    return {"revisionType": "S3", "s3Location": {"bucket": bucket, "key": key, "bundleType": "zip", "eTag": etag}}
