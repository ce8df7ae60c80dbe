"""A minimal Docker Registry v2 client for the ECR tests: push blobs and manifests with an ECR token.

The tests that are not about docker or buildah push through this (the same HTTP API, the same
token and front), so they need only the registry binary, not an engine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from tests.e2e.conftest import missing

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def need_registry_binary() -> None:
    if not (shutil.which("docker-registry") or shutil.which("registry")):
        missing("docker-registry", "apt-get install docker-registry; .ci/run installs it")


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Pushed:
    status: int
    digest: str
    errors: list[dict[str, Any]]


class RegistryClient:
    """Talks to the emulator's registry with the token GetAuthorizationToken gave."""

    def __init__(self, ecr: Any) -> None:
        data = ecr.get_authorization_token()["authorizationData"][0]
        self.endpoint = str(data["proxyEndpoint"]).rstrip("/")
        self.host = self.endpoint.split("://", 1)[1]
        self.authorization = f"Basic {data['authorizationToken']}"
        self.user, self.password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, auth: bool = True) -> tuple[int, dict[str, str], bytes]:
        sent = {**({"Authorization": self.authorization} if auth else {}), **(headers or {})}
        request = urllib.request.Request(self.endpoint + path, data=body, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()

    def push_blob(self, repository: str, data: bytes) -> str:
        digest = digest_of(data)
        status, headers, _ = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        assert status == 202, status
        location = headers["location"]
        location = location.split(self.host, 1)[1] if self.host in location else location
        separator = "&" if "?" in location else "?"
        status, _, body = self.request("PUT", f"{location}{separator}digest={digest}", data,
                                       {"Content-Type": "application/octet-stream"})
        assert status == 201, body
        return digest

    def push_manifest(self, repository: str, reference: str, manifest: bytes, media_type: str) -> Pushed:
        status, headers, body = self.request("PUT", f"/v2/{repository}/manifests/{reference}", manifest,
                                             {"Content-Type": media_type})
        errors = json.loads(body).get("errors", []) if status >= 400 and body else []
        return Pushed(status, headers.get("docker-content-digest", ""), errors)

    def push_image(self, repository: str, tag: str, marker: str, media_type: str = DOCKER_MANIFEST) -> Pushed:
        """A one-layer image whose content is `marker` (so each marker is its own digest)."""
        layer = self.push_blob(repository, f"layer {marker}\n".encode())
        config_bytes = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"m": marker}},
                                   "rootfs": {"type": "layers", "diff_ids": [layer]}}).encode()
        config = self.push_blob(repository, config_bytes)
        oci = media_type == OCI_MANIFEST
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": media_type,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json" if oci
                       else "application/vnd.docker.container.image.v1+json",
                       "size": len(config_bytes), "digest": config},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip" if oci
                        else "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": len(f"layer {marker}\n"), "digest": layer}]}).encode()
        return self.push_manifest(repository, tag, manifest, media_type)


def registry_for(emulator: Any) -> RegistryClient:
    """A client of the emulator's registry (a test's fixture calls this)."""
    need_registry_binary()
    return RegistryClient(emulator.client("ecr"))
