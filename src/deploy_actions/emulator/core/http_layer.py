"""What the emulator answers before moto sees a request: its control endpoints and throttling.

`/_emulator/status`, `/_emulator/faults` and `/_emulator/shutdown` serve the CLI
(`deploy-actions emulator status|fault|stop`). Throttling answers a fraction of AWS calls with the
error each protocol uses (ThrottlingException for JSON services, Throttling for query services,
SlowDown for S3), so clients' retry modes are exercised. The emulator's own calls are never throttled.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

INTERNAL_HEADER = "X-Deploy-Actions-Emulator-Internal"
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")

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
