"""Scan on push: the findings a scenario sets, read as a pipeline reads them (the image_scan_complete waiter)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deploy_actions.emulator.ecr.service import FindingsRule, finding
from tests.integration.emulator.ecr_registry import RegistryClient, registry_for

FAST_WAITER = {"Delay": 1, "MaxAttempts": 60}


@pytest.fixture
def registry_client(emulator: Any) -> RegistryClient:
    return registry_for(emulator)


def _fault(emulator: Any, fault: dict[str, Any]) -> None:
    """As `deploy-actions emulator fault scan-findings ...` sends it."""
    request = urllib.request.Request(f"{emulator.endpoint_url}/_emulator/faults", data=json.dumps(fault).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def test_scan_on_push_reports_the_injected_findings_through_the_waiter(
        emulator: Any, registry_client: RegistryClient) -> None:
    ecr = emulator.client("ecr")
    name = f"scans/{uuid.uuid4().hex[:10]}"
    ecr.create_repository(repositoryName=name, imageScanningConfiguration={"scanOnPush": True})
    _fault(emulator, {"kind": "scan-findings", "repository": name, "tag": "v*", "seconds": 30,
                      "finding": ["CVE-2024-0001=CRITICAL", "CVE-2024-0002=HIGH", "CVE-2024-0003=HIGH"]})
    pushed = registry_client.push_image(name, "v1", "vulnerable")
    clean = registry_client.push_image(name, "dev", "clean")

    first = ecr.describe_image_scan_findings(repositoryName=name, imageId={"imageTag": "v1"})
    assert first["imageScanStatus"]["status"] == "IN_PROGRESS" and "imageScanFindings" not in first
    ecr.get_waiter("image_scan_complete").wait(repositoryName=name, imageId={"imageTag": "v1"},
                                               WaiterConfig=FAST_WAITER)
    done = ecr.describe_image_scan_findings(repositoryName=name, imageId={"imageDigest": pushed.digest})
    assert done["imageScanStatus"]["status"] == "COMPLETE"
    assert done["imageScanFindings"]["findingSeverityCounts"] == {"CRITICAL": 1, "HIGH": 2}
    assert sorted(f["name"] for f in done["imageScanFindings"]["findings"]) == [
        "CVE-2024-0001", "CVE-2024-0002", "CVE-2024-0003"]
    [detail] = ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": "v1"}])["imageDetails"]
    assert detail["imageScanFindingsSummary"]["findingSeverityCounts"] == {"CRITICAL": 1, "HIGH": 2}

    ecr.get_waiter("image_scan_complete").wait(repositoryName=name, imageId={"imageDigest": clean.digest},
                                               WaiterConfig=FAST_WAITER)
    findings = ecr.describe_image_scan_findings(repositoryName=name, imageId={"imageTag": "dev"})["imageScanFindings"]
    assert findings["findingSeverityCounts"] == {} and findings["findings"] == []


def test_without_scan_on_push_there_is_no_scan_until_one_is_started(
        emulator: Any, registry_client: RegistryClient) -> None:
    ecr = emulator.client("ecr")
    name = f"scans/{uuid.uuid4().hex[:10]}"
    ecr.create_repository(repositoryName=name)
    emulator.ecr.set_findings(FindingsRule(name, findings=[finding("CVE-2024-0004", "MEDIUM")]))
    registry_client.push_image(name, "v1", "unscanned")
    with pytest.raises(ClientError) as missing:
        ecr.describe_image_scan_findings(repositoryName=name, imageId={"imageTag": "v1"})
    assert missing.value.response["Error"]["Code"] == "ScanNotFoundException"
    started = ecr.start_image_scan(repositoryName=name, imageId={"imageTag": "v1"})
    assert started["imageScanStatus"]["status"] == "IN_PROGRESS"
    ecr.get_waiter("image_scan_complete").wait(repositoryName=name, imageId={"imageTag": "v1"},
                                               WaiterConfig=FAST_WAITER)
    counts = ecr.describe_image_scan_findings(repositoryName=name, imageId={"imageTag": "v1"})
    assert counts["imageScanFindings"]["findingSeverityCounts"] == {"MEDIUM": 1}
