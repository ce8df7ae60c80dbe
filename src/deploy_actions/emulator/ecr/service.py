"""ECR as the emulator runs it: the registry, its tokens, the images pushed, scans and their findings.

Repositories and their settings (tag mutability, scanOnPush, lifecycle policy) stay moto's; images
are this store's, fed by the registry front (`registry.Registry`). Handlers reach it through
`core.runtime.current(Ecr)`.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from moto.ecr.models import Repository, ecr_backends

from deploy_actions.emulator.core.clock import Clock
from deploy_actions.emulator.ecr import lifecycle
from deploy_actions.emulator.ecr.images import Image, ImageStore, Scan
from deploy_actions.emulator.ecr.registry import Refusal, Registry, RegistryUnavailable

TOKEN_LIFETIME = timedelta(hours=12)  # as ECR's; real time, not scaled by the clock
DEFAULT_SCAN_SECONDS = 10.0  # emulated seconds a basic scan takes
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")


@dataclass
class FindingsRule:
    """What the next scans of matching images find (set by a test or `emulator fault scan-findings`)."""

    repository: str
    tag: str = ""  # a tag pattern (fnmatch); empty: any image of the repository
    findings: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = DEFAULT_SCAN_SECONDS


def finding(name: str, severity: str, description: str = "") -> dict[str, Any]:
    severity = severity.upper()
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity!r}: one of {', '.join(SEVERITIES)}")
    return {"name": name, "severity": severity, "description": description or f"{name} (emulator finding)",
            "uri": f"https://nvd.nist.gov/vuln/detail/{name}",
            "attributes": [{"key": "package_name", "value": "emulated"}]}


class Ecr:
    def __init__(self, account: str, region: str, clock: Clock, state_dir: Path) -> None:
        self.account, self.region, self.clock = account, region, clock
        self.store = ImageStore()
        self.registry = Registry(state_dir, self)
        self._tokens: dict[str, datetime] = {}
        self._rules: list[FindingsRule] = []
        self.previews: dict[str, dict[str, Any]] = {}  # repository -> its last lifecycle policy preview
        self._lock = threading.Lock()

    def close(self) -> None:
        self.registry.close()

    # -- repositories ----------------------------------------------------------------------------

    def repository(self, name: str) -> Repository | None:
        return ecr_backends[self.account][self.region].repositories.get(name)

    def uri(self, name: str) -> str:
        return f"{self.registry.ensure_started()}/{name}"

    def token(self) -> dict[str, Any]:
        """GetAuthorizationToken's authorizationData entry."""
        endpoint = self.registry.ensure_started()
        password = "emulator-" + secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + TOKEN_LIFETIME
        with self._lock:
            now = datetime.now(UTC)
            self._tokens = {p: e for p, e in self._tokens.items() if e > now}
            self._tokens[password] = expires
        return {"authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
                "expiresAt": expires, "proxyEndpoint": f"http://{endpoint}"}

    # -- asked by the registry front ---------------------------------------------------------------

    def authorized(self, password: str) -> bool:
        with self._lock:
            expires = self._tokens.get(password)
        return expires is not None and expires > datetime.now(UTC)

    def check_repository(self, name: str) -> None:
        if self.repository(name) is None:
            raise Refusal(404, "NAME_UNKNOWN", f"The repository with name '{name}' does not exist in the registry "
                                               f"with id '{self.account}'")

    def check_push(self, name: str, reference: str) -> None:
        repository = self.repository(name)
        if repository is None or reference.startswith("sha256:") or not tag_immutable(repository, reference):
            return
        if self.store.find(name, tag=reference) is not None:
            raise Refusal(400, "TAG_INVALID", f"The image tag '{reference}' already exists in the '{name}' repository "
                                              "and cannot be overwritten because the repository is immutable.")

    def pushed(self, name: str, reference: str, digest: str, media_type: str, manifest: bytes) -> None:
        image = self.store.record(name, reference, digest, media_type, manifest)
        repository = self.repository(name)
        settings: Any = repository.image_scanning_configuration if repository else None
        scan_on_push = isinstance(settings, dict) and bool(settings.get("scanOnPush"))
        if scan_on_push and image.scan is None and media_type_scannable(image):
            self.start_scan(image)
        with contextlib.suppress(lifecycle.PolicyError):
            self.run_lifecycle(name)

    def deleted(self, name: str, reference: str) -> None:
        if reference.startswith("sha256:"):
            self.store.remove(name, reference)
        else:
            self.store.untag(name, reference)

    def tags(self, name: str) -> list[str]:
        return [tag for image in self.store.images(name) for tag in image.tags]

    def delete(self, name: str, image: Image) -> None:
        """The image and every tag of it, from the store and the registry."""
        self.store.remove(name, image.digest)
        with contextlib.suppress(RegistryUnavailable, OSError):  # the store no longer lists it either way
            self.registry.backend("DELETE", f"/v2/{name}/manifests/{image.digest}")

    # -- lifecycle policies ------------------------------------------------------------------------

    def _age(self, days_later: float = 0.0) -> Callable[[Image], timedelta]:
        now = datetime.now(UTC)
        return lambda image: (now - image.pushed_at) * self.clock.factor + timedelta(days=days_later)

    def preview(self, name: str, policy_text: str) -> list[dict[str, Any]]:
        """What `policy_text` would expire now (StartLifecyclePolicyPreview), as previewResults."""
        found = lifecycle.expired(self.store.images(name), policy_text, self._age())
        return [{"imageTags": list(image.tags), "imageDigest": image.digest, "imagePushedAt": image.pushed_at,
                 "action": {"type": "EXPIRE"}, "appliedRulePriority": int(rule.get("rulePriority", 0))}
                for image, rule in found]

    def run_lifecycle(self, repository: str | None = None, days_later: float = 0.0) -> list[dict[str, Any]]:
        """Expire what the lifecycle policies expire now (or `days_later` emulated days from now).

        Run after every push and every PutLifecyclePolicy, and on demand (`emulator lifecycle`).
        """
        age = self._age(days_later)
        done: list[dict[str, Any]] = []
        names = [repository] if repository else [r.name for r in list(ecr_backends[self.account][self.region]
                                                                      .repositories.values())]
        for name in names:
            found = self.repository(name)
            if found is None or not found.lifecycle_policy:
                continue
            for image, rule in lifecycle.expired(self.store.images(name), str(found.lifecycle_policy), age):
                done.append({"repositoryName": name, "imageDigest": image.digest, "imageTags": list(image.tags),
                             "rulePriority": rule.get("rulePriority")})
                self.delete(name, image)
        return done

    # -- scans -----------------------------------------------------------------------------------

    def set_findings(self, rule: FindingsRule) -> None:
        with self._lock:
            self._rules.insert(0, rule)

    def clear_findings(self) -> None:
        with self._lock:
            self._rules.clear()

    def findings_rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def start_scan(self, image: Image) -> None:
        with self._lock:
            rule = next((r for r in self._rules if r.repository == image.repository
                         and (not r.tag or any(fnmatch.fnmatchcase(t, r.tag) for t in image.tags))), None)
        seconds = rule.seconds if rule else DEFAULT_SCAN_SECONDS
        image.scan = Scan(completes_at=time.monotonic() + self.clock.real(seconds),
                          findings=list(rule.findings) if rule else [])

    def scan_status(self, image: Image) -> str:
        """IN_PROGRESS on the first look and until the scan's time is up, then COMPLETE."""
        scan = image.scan
        if scan is None:
            return ""
        if scan.completed_at is None:
            if not scan.seen or time.monotonic() < scan.completes_at:
                scan.seen = True
                return "IN_PROGRESS"
            scan.completed_at = datetime.now(UTC)
            scan.completes_at = 0.0
        return "COMPLETE"


def tag_immutable(repository: Repository, tag: str) -> bool:
    """Whether `tag` can't be pushed again (IMMUTABLE, or the *_WITH_EXCLUSION settings' filters)."""
    setting = str(repository.image_tag_mutability)
    filters = [str(f.get("filter", "")) for f in repository.image_tag_mutability_exclusion_filters or []]
    excluded = any(fnmatch.fnmatchcase(tag, pattern) for pattern in filters)
    if setting.endswith("IMMUTABLE_WITH_EXCLUSION"):
        return not excluded
    if setting.endswith("MUTABLE_WITH_EXCLUSION"):
        return excluded
    return setting.endswith("IMMUTABLE")


def media_type_scannable(image: Image) -> bool:
    """Basic scanning scans images, not indexes (their platform images are scanned)."""
    return image.size is not None or not image.media_type.endswith(("list.v2+json", "index.v1+json"))
