"""The images of each repository as ECR sees them: what was really pushed to the registry.

The registry keeps the bytes; this store keeps what ECR answers about them: the manifest digest
(the registry's Docker-Content-Digest), its media type, the tags, when it was pushed and its size.
ECR lists untagged images too (a mutable tag pushed again leaves its old image untagged, the
per-platform manifests of an index are untagged), which a registry's tag list cannot show, so the
store is fed by every manifest the registry accepts.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

INDEX_TYPES = ("application/vnd.docker.distribution.manifest.list.v2+json",
               "application/vnd.oci.image.index.v1+json")


@dataclass
class Scan:
    """A basic scan: IN_PROGRESS until `completes_at` (real monotonic time), then COMPLETE."""

    completes_at: float
    findings: list[dict[str, Any]]
    completed_at: datetime | None = None
    seen: bool = False  # reported IN_PROGRESS at least once


@dataclass
class Image:
    repository: str
    digest: str
    media_type: str
    manifest: bytes
    pushed_at: datetime
    size: int | None
    artifact_media_type: str | None
    tags: list[str] = field(default_factory=list)
    scan: Scan | None = None

    def detail(self, registry_id: str, scan_status: str) -> dict[str, Any]:
        """DescribeImages' imageDetails entry (`scan_status` from `Ecr.scan_status`)."""
        detail: dict[str, Any] = {"registryId": registry_id, "repositoryName": self.repository,
                                  "imageDigest": self.digest, "imagePushedAt": self.pushed_at,
                                  "imageManifestMediaType": self.media_type, "imageStatus": "ACTIVE"}
        if self.tags:
            detail["imageTags"] = list(self.tags)
        if self.size is not None:
            detail["imageSizeInBytes"] = self.size
        if self.artifact_media_type:
            detail["artifactMediaType"] = self.artifact_media_type
        if self.scan is not None and scan_status:
            detail["imageScanStatus"] = {"status": scan_status, "description": SCAN_DESCRIPTIONS[scan_status]}
            if scan_status == "COMPLETE":
                detail["imageScanFindingsSummary"] = {
                    "imageScanCompletedAt": self.scan.completed_at or self.pushed_at,
                    "vulnerabilitySourceUpdatedAt": self.pushed_at,
                    "findingSeverityCounts": severity_counts(self.scan.findings)}
        return detail


SCAN_DESCRIPTIONS = {"IN_PROGRESS": "The scan is in progress.",
                      "COMPLETE": "The scan was completed successfully."}


def severity_counts(findings: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        severity = str(finding.get("severity", "UNDEFINED"))
        counts[severity] = counts.get(severity, 0) + 1
    return counts


def describe_manifest(manifest: bytes, media_type: str) -> tuple[str, int | None, str | None, list[str]]:
    """(media type, layers' size or None, artifact media type, child digests) of a manifest."""
    try:
        parsed: dict[str, Any] = json.loads(manifest)
    except ValueError:
        return media_type, None, None, []
    media_type = media_type or str(parsed.get("mediaType", ""))
    if media_type in INDEX_TYPES or "manifests" in parsed:
        return media_type, None, None, [str(m.get("digest")) for m in parsed.get("manifests") or []]
    layers = parsed.get("layers") or []
    size = sum(int(layer.get("size", 0)) for layer in layers)
    config = parsed.get("config") or {}
    return media_type, size, config.get("mediaType") or None, []


class ImageStore:
    def __init__(self) -> None:
        self._repositories: dict[str, dict[str, Image]] = {}
        self._lock = threading.RLock()

    def record(self, repository: str, reference: str, digest: str, media_type: str, manifest: bytes) -> Image:
        """A manifest the registry accepted, under a tag or a digest reference."""
        media_type, size, artifact, children = describe_manifest(manifest, media_type)
        with self._lock:
            images = self._repositories.setdefault(repository, {})
            image = images.get(digest)
            if image is None:
                if children:  # an index: as large as its largest platform image
                    sizes = [images[child].size for child in children if child in images]
                    size = max((s for s in sizes if s is not None), default=None)
                image = Image(repository, digest, media_type, manifest, datetime.now(UTC), size, artifact)
                images[digest] = image
            if not reference.startswith("sha256:"):
                self._untag(repository, reference)
                image.tags.append(reference)
            return image

    def images(self, repository: str) -> list[Image]:
        with self._lock:
            return sorted(self._repositories.get(repository, {}).values(), key=lambda image: image.pushed_at)

    def find(self, repository: str, tag: str | None = None, digest: str | None = None) -> Image | None:
        with self._lock:
            for image in self._repositories.get(repository, {}).values():
                if (digest is None or image.digest == digest) and (tag is None or tag in image.tags):
                    return image
        return None

    def untag(self, repository: str, tag: str) -> Image | None:
        with self._lock:
            return self._untag(repository, tag)

    def _untag(self, repository: str, tag: str) -> Image | None:
        for image in self._repositories.get(repository, {}).values():
            if tag in image.tags:
                image.tags.remove(tag)
                return image
        return None

    def remove(self, repository: str, digest: str) -> Image | None:
        with self._lock:
            return self._repositories.get(repository, {}).pop(digest, None)

    def drop(self, repository: str) -> None:
        with self._lock:
            self._repositories.pop(repository, None)
