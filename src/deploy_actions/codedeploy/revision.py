"""The revision input: package-revision's JSON, an s3:// URL, or appspec content (ECS/Lambda)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from deploy_actions.aws.s3 import bucket_name_problem

BUNDLE_TYPES = ("zip", "tgz", "tar", "YAML", "JSON")


def parse_revision(text: str, bundle_type: str | None, etag: str | None, version: str | None) -> dict[str, Any]:
    """Return a CodeDeploy RevisionLocation, or raise ValueError explaining the accepted forms."""
    text = text.strip()
    if text.startswith("{"):
        given = [name for name, value in (("bundle-type", bundle_type), ("s3-etag", etag), ("s3-version", version))
                 if value]
        if given:
            raise ValueError(f"the JSON revision already says where and what it is; {', '.join(given)} only "
                             "apply to an s3:// revision: remove them")
        return _from_json(text)
    if text.startswith("s3://"):
        return _from_url(text, bundle_type, etag, version)
    raise ValueError("expected the revision output of package-revision (JSON) or s3://bucket/key")


def _from_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(data, dict):
        raise ValueError("the JSON must be an object like package-revision's revision output")
    kind = data.get("revisionType")
    if kind == "S3":
        location = data.get("s3Location")
        if not isinstance(location, dict) or not location.get("bucket") or not location.get("key"):
            raise ValueError("an S3 revision needs s3Location.bucket and s3Location.key")
        for name in ("bucket", "key", "bundleType", "eTag", "version"):
            if location.get(name) is not None and not isinstance(location[name], str):
                raise ValueError(f"s3Location.{name} must be a string")
        _check_bucket(location["bucket"])
        if location.get("bundleType", "zip") not in BUNDLE_TYPES:
            raise ValueError(f"s3Location.bundleType must be one of {', '.join(BUNDLE_TYPES)}")
        return {"revisionType": "S3", "s3Location": {k: v for k, v in location.items() if v not in (None, "")}}
    if kind in ("AppSpecContent", "String"):
        return data
    raise ValueError("revisionType must be S3 or AppSpecContent")


def _check_bucket(bucket: str) -> None:
    problem = bucket_name_problem(bucket)
    if problem:
        raise ValueError(f"the bucket is {problem}")


def _from_url(text: str, bundle_type: str | None, etag: str | None, version: str | None) -> dict[str, Any]:
    url = urlparse(text, allow_fragments=False)
    key = url.path.lstrip("/")
    query = parse_qs(url.query, keep_blank_values=True) if url.query else {}
    if set(query) == {"versionId"}:
        # The form the S3 console copies: honour it rather than deploy whatever the latest object is.
        (in_url, *more) = query["versionId"]
        if more or not in_url:
            raise ValueError("give one non-empty versionId in the URL (or use s3-version)")
        if version and version != in_url:
            raise ValueError("the URL's versionId and s3-version differ; give the version once")
        version = in_url
    elif url.query:
        key = f"{key}?{url.query}"  # a '?' that is part of the key
    if not url.netloc or not key:
        raise ValueError("an S3 URL needs a bucket and a key: s3://bucket/path/revision.zip")
    _check_bucket(url.netloc)
    kind = bundle_type or _guess_bundle_type(key)
    location: dict[str, Any] = {"bucket": url.netloc, "key": key, "bundleType": kind}
    if etag:
        location["eTag"] = etag.strip('"')
    if version:
        location["version"] = version
    return {"revisionType": "S3", "s3Location": location}


def _guess_bundle_type(key: str) -> str:
    if key.endswith((".tar.gz", ".tgz")):
        return "tgz"
    if key.endswith(".tar"):
        return "tar"
    if key.endswith(".zip"):
        return "zip"
    raise ValueError(f"cannot tell the bundle type of {key!r}; set bundle-type (zip, tgz or tar)")


def appspec_revision(content_or_path: str) -> dict[str, Any]:
    """An AppSpecContent revision (ECS, Lambda) from inline YAML/JSON or a file path."""
    path = Path(content_or_path)
    content = path.read_text(encoding="utf-8") if "\n" not in content_or_path and path.is_file() else content_or_path
    if "Resources" not in content:
        # A mistyped path would otherwise be sent to CodeDeploy as the appspec itself.
        raise ValueError("expected an ECS or Lambda appspec (with Resources:) or the path of a file holding one")
    return {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}}


def describe(revision: dict[str, Any]) -> str:
    if revision.get("revisionType") == "S3":
        location = revision["s3Location"]
        return f"s3://{location['bucket']}/{location['key']}"
    return "appspec content"
