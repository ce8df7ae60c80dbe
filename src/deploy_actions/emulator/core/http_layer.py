"""What the emulator answers before moto sees a request: its control endpoints, throttling, and the
requests where moto's answer differs from AWS's.

`/_emulator/status`, `/_emulator/faults` and `/_emulator/shutdown` serve the CLI
(`deploy-actions emulator status|fault|stop`). Throttling answers a fraction of AWS calls with the
error each protocol uses (ThrottlingException for JSON services, Throttling for query services,
SlowDown for S3), so clients' retry modes are exercised. The emulator's own calls are never throttled.
S3 answers GetObject and HeadObject with a malformed `versionId` 400 InvalidArgument ("Invalid version
id specified"); moto answers 404 NoSuchVersion, so the emulator answers for it.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from html import escape
from typing import Any
from urllib.parse import parse_qs

INTERNAL_HEADER = "X-Deploy-Actions-Emulator-Internal"
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_PRESIGNED_SCOPE = re.compile(r"(?:^|&)X-Amz-Credential=[^&/]+(?:/|%2F)\d{8}(?:/|%2F)[^&/%]+(?:/|%2F)([^&/%]+)")
_PRESIGNED_V2 = re.compile(r"(?=(?:.*&)?AWSAccessKeyId=)(?=(?:.*&)?Signature=)")
# The version ids the emulator's S3 (moto) issues: UUIDs; and "null", the version of an object stored
# while versioning was off. S3's own ids have a structure of their own too; anything else is malformed.
_VERSION_ID = re.compile(r"^(null|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def json_response(start_response: StartResponse, status: str, payload: object) -> list[bytes]:
    body = json.dumps(payload, indent=2, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def read_json(environ: dict[str, Any]) -> Any:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    return json.loads(raw or b"{}")


def service_and_operation(environ: dict[str, Any]) -> tuple[str, str, bytes]:
    """(signing service, operation, body); the body is read and put back for moto."""
    match = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = match.group(1) if match else ""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return service, target.rsplit(".", 1)[-1], body
    found = re.search(rb"(?:^|&)Action=([A-Za-z0-9]+)", body)
    if found:
        return service, found.group(1).decode(), body
    return service, environ.get("REQUEST_METHOD", ""), body


def signing_service(environ: dict[str, Any]) -> str:
    """The service a request is signed for (header or presigned URL), without reading its body; a URL
    presigned the older way (AWSAccessKeyId and Signature in the query) is S3's."""
    query = environ.get("QUERY_STRING", "")
    match = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", "")) or _PRESIGNED_SCOPE.search(query)
    if match:
        return match.group(1)
    return "s3" if _PRESIGNED_V2.match(query) else ""


def malformed_version_response(environ: dict[str, Any], start_response: StartResponse) -> list[bytes] | None:
    """S3's 400 InvalidArgument for GetObject/HeadObject with a malformed versionId; None for anything else.

    Real S3 (seen through the AWS CLI): `head-object --version-id dsf` and `--version-id ""` answer 400,
    a well-formed id of no version answers 404; GetObject's 400 carries InvalidArgument, "Invalid
    version id specified". A HEAD answer has no body, so clients only see the status.
    """
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or signing_service(environ) != "s3":
        return None
    versions = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).get("versionId")
    bucket, _, key = environ.get("PATH_INFO", "").lstrip("/").partition("/")
    if not versions or not bucket or not key or _VERSION_ID.match(versions[0]):
        return None
    if environ["REQUEST_METHOD"] == "HEAD":
        start_response("400 Bad Request", [("Content-Length", "0")])
        return [b""]
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code>"
            "<Message>Invalid version id specified</Message><ArgumentName>versionId</ArgumentName>"
            f"<ArgumentValue>{escape(versions[0])}</ArgumentValue><RequestId>emulator</RequestId></Error>").encode()
    start_response("400 Bad Request", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


def throttling_response(environ: dict[str, Any], service: str, start_response: StartResponse) -> list[bytes]:
    if environ.get("HTTP_X_AMZ_TARGET"):
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.1"),
                                           ("Content-Length", str(len(body)))])
        return [body]
    if service == "s3":
        body = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
                b"<Message>Please reduce your request rate.</Message></Error>")
        start_response("503 Slow Down", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        return [body]
    body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
            b"</Error><RequestId>emulator-throttled</RequestId></ErrorResponse>")
    start_response("400 Bad Request", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]
