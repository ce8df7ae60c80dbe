"""The scan gate: wait for ECR's scan of the pushed image, count findings by severity, fail at a threshold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploy_actions.aws import ecr as ecr_api
from deploy_actions.core.errors import DeploymentFailed
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import CancellationToken, Poll, WaitPolicy, WaitTimeout, wait_for

SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
_DONE = frozenset({"COMPLETE", "ACTIVE"})  # ACTIVE: enhanced scanning (Inspector) scans continuously
_FAILED = frozenset({"FAILED", "UNSUPPORTED_IMAGE", "SCAN_ELIGIBILITY_EXPIRED", "FINDINGS_UNAVAILABLE"})


@dataclass(frozen=True)
class ScanResult:
    counts: dict[str, int]
    worst: list[str]  # a few of the findings at or above the threshold: "CVE-… (CRITICAL) in package"

    def at_or_above(self, threshold: str) -> dict[str, int]:
        floor = SEVERITIES.index(threshold)
        return {s: self.counts[s] for s in reversed(SEVERITIES[floor:]) if self.counts.get(s)}  # worst first


class _ScanFollower:
    def __init__(self, ecr: Any, repository: str, digest: str, started: bool) -> None:
        self.ecr, self.repository, self.digest, self.started = ecr, repository, digest, started
        self.status = "not started"

    def check(self) -> Poll[dict[str, Any]]:
        answer = ecr_api.scan_findings(self.ecr, self.repository, self.digest)
        if answer is None:
            if not self.started:
                ecr_api.start_image_scan(self.ecr, self.repository, self.digest)
                self.started = True
            return Poll.pending()
        status = str((answer.get("imageScanStatus") or {}).get("status", ""))
        changed, self.status = status != self.status, status
        if status in _DONE:
            return Poll.finished(answer)
        if status in _FAILED:
            reason = (answer.get("imageScanStatus") or {}).get("description", "")
            raise DeploymentFailed(f"ECR could not scan {self.repository}@{self.digest}: {status} {reason}".strip())
        return Poll.pending(changed)


def scan(ecr: Any, repository: str, digest: str, *, scan_on_push: bool, threshold: str, timeout: float,
         reporter: Reporter, cancel: CancellationToken) -> ScanResult:
    """Wait for the scan (starting one when the repository does not scan on push) and count its findings."""
    if not scan_on_push:
        ecr_api.start_image_scan(ecr, repository, digest)
    follower = _ScanFollower(ecr, repository, digest, started=True)
    try:
        answer = wait_for(follower.check, WaitPolicy(timeout=timeout, initial_interval=2.0, max_interval=10.0),
                          cancel=cancel, what=f"the ECR scan of {digest[:19]}…",
                          on_progress=lambda elapsed: reporter.info(f"scan {follower.status or 'pending'} "
                                                                    f"({elapsed:.0f}s)"))
    except WaitTimeout as exc:
        raise DeploymentFailed(f"{exc}; the image is pushed, its scan did not finish (last status: "
                               f"{follower.status})") from None
    findings = answer.get("imageScanFindings") or {}
    counts = {str(k): int(v) for k, v in (findings.get("findingSeverityCounts") or {}).items()}
    floor = SEVERITIES.index(threshold)
    found: list[tuple[int, str]] = []  # (severity's rank, line), worst first below
    for finding in findings.get("findings") or []:
        severity = str(finding.get("severity", ""))
        if severity in SEVERITIES and SEVERITIES.index(severity) >= floor:
            attributes = {a.get("key"): a.get("value") for a in finding.get("attributes") or [] if isinstance(a, dict)}
            package = " ".join(str(attributes[k]) for k in ("package_name", "package_version") if attributes.get(k))
            found.append((SEVERITIES.index(severity), _line(finding.get("name", "?"), severity, package,
                                                            finding.get("uri"))))
    for finding in findings.get("enhancedFindings") or []:
        severity = str(finding.get("severity", ""))
        if severity in SEVERITIES and SEVERITIES.index(severity) >= floor:
            details = finding.get("packageVulnerabilityDetails") or {}
            packages = details.get("vulnerablePackages") or [{}]
            package = " ".join(str(packages[0][k]) for k in ("name", "version") if packages[0].get(k))
            found.append((SEVERITIES.index(severity), _line(details.get("vulnerabilityId", "?"), severity, package,
                                                            details.get("sourceUrl"))))
    worst = [line for _, line in sorted(found, key=lambda pair: -pair[0])[:10]]
    return ScanResult(counts, worst)


def _line(name: object, severity: str, package: str, uri: object) -> str:
    """"CVE-2024-1234 (CRITICAL) in openssl 3.0.2: https://…": what to upgrade, and where to read why."""
    return f"{name} ({severity})" + (f" in {package}" if package else "") + (f": {uri}" if uri else "")
