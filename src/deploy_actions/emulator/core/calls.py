"""The call recorder: every AWS API call the emulator answers, with the IAM actions it needs and who made it.

Off until asked (`POST /_emulator/calls {"record": true}`, `Emulator.calls.start()`, or
`DEPLOY_ACTIONS_EMULATOR_RECORD_CALLS` set when the emulator starts: `1`, or a file that every call is
also appended to as a JSON line, so one file gathers the calls of every emulator of a test session, even
in several processes); `GET /_emulator/calls` lists what was recorded, `DELETE /_emulator/calls` forgets
it. The emulator's own calls (its engines' clients) are never recorded. Each call names:

- `service` and `operation`: the API operation (`ecs` `RegisterTaskDefinition`), from X-Amz-Target (JSON
  protocols), the `/service/<target>/operation/<name>` path (Smithy RPC v2 CBOR: CodeDeploy and CloudWatch
  in current botocore), `Action=` (query protocols: ELBv2, STS) or, for S3 (REST), the method and path;
- `iam`: the IAM actions AWS authorizes for it. Mostly `<prefix>:<operation>`; the exceptions are listed in
  `EXCEPTIONS` (S3's HeadObject is s3:GetObject, HeadBucket is s3:ListBucket, a multipart upload's parts
  are s3:PutObject, ...) and the implied ones come from the request (a task definition carrying roles
  needs iam:PassRole, so does running one; one carrying tags ecs:TagResource);
- `action`: the deploy-actions action that made the call, read from the user agent
  (`deploy-actions/<version> action/<name>`), "" for anything else (a test's setup, the AWS CLI).

Registry requests (docker/buildah pushing to the emulator's ECR registry) are recorded too, as the ECR
actions ECR authorizes them with (ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, ...); their
user agent is the builder's, so their `action` is "": a recording gives them to the action whose
GetAuthorizationToken came last before them (the token they push with).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qs

# IAM's prefix where it differs from the signing name (CloudWatch signs as "monitoring").
IAM_PREFIX = {"monitoring": "cloudwatch"}
# The services whose operations name themselves in the target or the path: their signing names.
TARGET_SERVICES = {"AmazonEC2ContainerServiceV20141113": "ecs", "AmazonEC2ContainerRegistry_V20150921": "ecr",
                   "CodeDeploy_20141006": "codedeploy", "Logs_20140328": "logs",
                   "GraniteServiceVersion20100801": "monitoring"}
# Operations authorized by another IAM action than `<prefix>:<operation>` (none needed, or a different one).
EXCEPTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "ListBuckets"): ("s3:ListAllMyBuckets",),
    ("s3", "ListObjectVersions"): ("s3:ListBucketVersions",),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject",),
    ("s3", "UploadPart"): ("s3:PutObject",),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject",),
    ("s3", "CopyObject"): ("s3:PutObject", "s3:GetObject"),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("s3", "GetObjectTagging"): ("s3:GetObjectTagging",),
    ("sts", "AssumeRoleWithWebIdentity"): (),  # authorized by the role's trust policy, not by a policy here
    ("sts", "GetCallerIdentity"): (),  # needs no permission
}
# The operations registry_actions names (requests to the ECR registry, not to ECR's API).
REGISTRY_OPERATIONS = frozenset({"RegistryPing", "ListTags", "PutManifest", "DeleteManifest", "GetManifest",
                                 "InitiateUpload", "UploadChunk", "CompleteUpload", "UploadStatus", "CheckBlob",
                                 "GetBlob"})
_RPC_V2_PATH = re.compile(r"^/service/(?P<target>[^/]+)/operation/(?P<operation>[A-Za-z0-9]+)$")
_REGISTRY_PATH = re.compile(r"^/v2/(?P<name>.+?)/(?P<kind>manifests|blobs|tags)/(?P<rest>.*)$")
_ACTION = re.compile(r"(?:^|\s)action/([a-z0-9-]+)")
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")


@dataclass(frozen=True)
class Call:
    service: str  # the IAM prefix: s3, ecs, ecr, codedeploy, elasticloadbalancing, cloudwatch, logs, sts
    operation: str
    iam: tuple[str, ...]
    action: str  # the deploy-actions action named in the user agent, "" for any other caller
    user_agent: str
    at: float = field(default_factory=time.time)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "iam": list(self.iam)}


def action_of(user_agent: str) -> str:
    found = _ACTION.search(user_agent)
    return found.group(1) if found else ""


def api_operation(environ: dict[str, Any], signing: str, body: bytes) -> tuple[str, str]:
    """(signing service, operation) of an API request; S3's from its method, path and query."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        prefix, _, operation = target.rpartition(".")
        return TARGET_SERVICES.get(prefix, signing), operation
    rpc = _RPC_V2_PATH.match(environ.get("PATH_INFO", ""))
    if rpc:
        return TARGET_SERVICES.get(rpc.group("target"), signing), rpc.group("operation")
    found = re.search(rb"(?:^|&)Action=([A-Za-z0-9]+)", body) or re.search(
        r"(?:^|&)Action=([A-Za-z0-9]+)", environ.get("QUERY_STRING", ""))
    if found:
        operation = found.group(1)
        operation = operation.decode() if isinstance(operation, bytes) else operation
        if not signing and operation.startswith("AssumeRoleWith"):  # unsigned: the token is the credential
            signing = "sts"
        return signing, operation
    if signing == "s3":
        return "s3", s3_operation(environ)
    return signing, environ.get("REQUEST_METHOD", "")


def s3_operation(environ: dict[str, Any]) -> str:
    """S3's operation from a path-style request (the emulator's endpoint is an address: path style)."""
    method = environ.get("REQUEST_METHOD", "")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    bucket, _, key = environ.get("PATH_INFO", "").lstrip("/").partition("/")
    if not bucket:
        return "ListBuckets"
    if not key:
        bucket_ops = {"HEAD": "HeadBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"}
        if method == "GET":
            for word, name in (("versions", "ListObjectVersions"), ("location", "GetBucketLocation"),
                               ("versioning", "GetBucketVersioning"), ("uploads", "ListMultipartUploads")):
                if word in query:
                    return name
            return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
        if method == "POST" and "delete" in query:
            return "DeleteObjects"
        return str(bucket_ops.get(method, method))
    if method == "PUT":
        if "uploadId" in query:
            return "UploadPart"
        if "tagging" in query:
            return "PutObjectTagging"
        return "CopyObject" if environ.get("HTTP_X_AMZ_COPY_SOURCE") else "PutObject"
    if method == "POST":
        return "CreateMultipartUpload" if "uploads" in query else "CompleteMultipartUpload"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in query else "DeleteObject"
    if method == "GET" and "tagging" in query:
        return "GetObjectTagging"
    if method == "GET" and "uploadId" in query:
        return "ListParts"
    return str({"GET": "GetObject", "HEAD": "HeadObject"}.get(method, method))


def request_region(environ: dict[str, Any]) -> str:
    found = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else "us-east-1"


def iam_actions(service: str, operation: str, environ: dict[str, Any], body: bytes) -> tuple[str, ...]:
    """The IAM actions AWS checks for one call: the operation's own, or its exception, plus the implied."""
    prefix = IAM_PREFIX.get(service, service)
    own = EXCEPTIONS.get((prefix, operation), (f"{prefix}:{operation}",))
    if prefix == "s3" and operation in ("GetObject", "HeadObject") and "versionId" in parse_qs(
            environ.get("QUERY_STRING", "")):
        own = ("s3:GetObjectVersion",)
    return own + implied(prefix, operation, body, request_region(environ))


def definition_has_roles(reference: str, region: str) -> bool:
    """Whether the emulator's task definition `reference` (family, family:revision or ARN) names a role."""
    from moto.ecs.models import ecs_backends

    from deploy_actions.emulator.core.defaults import DEFAULT_ACCOUNT

    try:
        found = ecs_backends[DEFAULT_ACCOUNT][region].describe_task_definition(reference)
    except Exception:  # not there: RunTask will say so; no role is passed
        return False
    return bool(getattr(found, "task_role_arn", None) or getattr(found, "execution_role_arn", None))


def implied(prefix: str, operation: str, body: bytes, region: str = "us-east-1") -> tuple[str, ...]:
    """Actions AWS authorizes besides the operation's own, read from the request (JSON protocols)."""
    if (prefix, operation) not in {("ecs", "RegisterTaskDefinition"), ("ecs", "RunTask"),
                                   ("ecr", "CreateRepository")}:
        return ()
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return ()
    extra: list[str] = []
    roles = (request.get("overrides") or {}) if operation == "RunTask" else request
    if prefix == "ecs" and (roles.get("taskRoleArn") or roles.get("executionRoleArn") or (
            operation == "RunTask" and definition_has_roles(str(request.get("taskDefinition") or ""), region))):
        extra.append("iam:PassRole")  # RunTask passes the roles of the definition it runs too
    if request.get("tags"):
        extra.append(f"{prefix}:TagResource")
    return tuple(extra)


def registry_actions(method: str, path: str) -> tuple[str, tuple[str, ...]]:
    """(operation, IAM actions) of a Registry v2 request to ECR, as ECR authorizes docker's calls."""
    named = _REGISTRY_PATH.match(path.split("?", 1)[0])
    if named is None:
        return "RegistryPing", ()  # GET /v2/: the Basic credentials GetAuthorizationToken gave are enough
    kind, rest = named.group("kind"), named.group("rest")
    if kind == "tags":
        return "ListTags", ("ecr:ListImages",)
    if kind == "manifests":
        if method == "PUT":
            return "PutManifest", ("ecr:PutImage",)
        if method == "DELETE":
            return "DeleteManifest", ("ecr:BatchDeleteImage",)
        return "GetManifest", ("ecr:BatchGetImage",)
    if rest.startswith("uploads"):
        return {"POST": ("InitiateUpload", ("ecr:InitiateLayerUpload",)),
                "PATCH": ("UploadChunk", ("ecr:UploadLayerPart",)),
                "PUT": ("CompleteUpload", ("ecr:CompleteLayerUpload",)),
                }.get(method, ("UploadStatus", ("ecr:UploadLayerPart",)))
    if method == "HEAD":
        return "CheckBlob", ("ecr:BatchCheckLayerAvailability",)
    return "GetBlob", ("ecr:GetDownloadUrlForLayer",)


class CallRecorder:
    """What the emulator was asked, while recording is on; thread-safe."""

    def __init__(self, recording: bool = False, sink: str | None = None) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self.recording = recording or bool(sink)
        self.sink = sink  # a JSON-lines file every recorded call is appended to

    @classmethod
    def from_setting(cls, setting: str) -> CallRecorder:
        """From DEPLOY_ACTIONS_EMULATOR_RECORD_CALLS: "" off, "1" on, anything else the file to append to."""
        return cls(recording=setting == "1", sink=setting if setting not in ("", "0", "1") else None)

    def start(self) -> None:
        self.recording = True

    def stop(self) -> None:
        self.recording = False

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    @contextmanager
    def watching(self) -> Iterator[Callable[[], list[Call]]]:
        """Record for a while: yields what to ask for the calls made since; the recording (and the calls
        recorded before, e.g. a whole test session's) is left as it was."""
        with self._lock:
            start, was = len(self._calls), self.recording
        self.recording = True

        def since() -> list[Call]:
            with self._lock:
                return list(self._calls[start:])

        try:
            yield since
        finally:
            self.recording = was
            if not was:
                with self._lock:
                    del self._calls[start:]

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            if self.sink:
                with open(self.sink, "a", encoding="utf-8") as sink:  # one write per line: lines never mix
                    sink.write(json.dumps(call.as_json()) + "\n")

    def record_api(self, environ: dict[str, Any], signing: str, body: bytes) -> None:
        """One API request the emulator is about to answer (its body already read and put back)."""
        service, operation = api_operation(environ, signing, body)
        agent = str(environ.get("HTTP_USER_AGENT", ""))
        self.add(Call(IAM_PREFIX.get(service, service), operation, iam_actions(service, operation, environ, body),
                      action_of(agent), agent))

    def record_registry(self, method: str, path: str, user_agent: str) -> None:
        """One request to the emulator's ECR registry (docker, buildah)."""
        if not self.recording:
            return
        operation, iam = registry_actions(method, path)
        self.add(Call("ecr", operation, iam, action_of(user_agent), user_agent))

    def as_json(self) -> dict[str, Any]:
        return {"recording": self.recording, "calls": [call.as_json() for call in self.calls()]}
