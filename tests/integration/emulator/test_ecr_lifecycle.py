"""Lifecycle policies expire the images AWS's rules expire: evaluated after each push and PutLifecyclePolicy,
and on demand as if days had passed (`deploy-actions emulator lifecycle --days-later N`)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest

from tests.integration.emulator.ecr_registry import RegistryClient, registry_for


@pytest.fixture
def registry_client(emulator: Any) -> RegistryClient:
    return registry_for(emulator)


def _policy(*rules: dict[str, Any]) -> str:
    return json.dumps({"rules": [{"rulePriority": i + 1, "description": f"rule {i + 1}", **rule,
                                  "action": {"type": "expire"}} for i, rule in enumerate(rules)]})


def _tags(ecr: Any, name: str) -> list[tuple[str, ...]]:
    details = ecr.describe_images(repositoryName=name)["imageDetails"]
    return sorted(tuple(d.get("imageTags", ["<untagged>"])) for d in details)


def _lifecycle(emulator: Any, repository: str, days_later: float) -> list[dict[str, Any]]:
    """As `deploy-actions emulator lifecycle --repository R --days-later N` asks for it."""
    body = json.dumps({"repository": repository, "days_later": days_later}).encode()
    request = urllib.request.Request(f"{emulator.endpoint_url}/_emulator/ecr/lifecycle", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return list(json.loads(answer.read())["expired"])


def test_count_rules_keep_the_newest_of_their_selection_and_a_lower_rule_never_expires_them(
        emulator: Any, registry_client: RegistryClient) -> None:
    ecr = emulator.client("ecr")
    name = f"lifecycle/{uuid.uuid4().hex[:10]}"
    ecr.create_repository(repositoryName=name)
    for tag in ("release-1", "release-2", "release-3", "pr-1", "pr-2", "pr-3"):
        assert registry_client.push_image(name, tag, tag).status == 201
    # release-* images: keep 2. Anything else: keep 1 — rule 2 cannot expire what rule 1 selected.
    ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=_policy(
        {"selection": {"tagStatus": "tagged", "tagPrefixList": ["release-"], "countType": "imageCountMoreThan",
                       "countNumber": 2}},
        {"selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}}))
    assert _tags(ecr, name) == [("pr-3",), ("release-2",), ("release-3",)]

    # Evaluated again after each push: a fourth release expires release-2.
    registry_client.push_image(name, "release-4", "release-4")
    assert _tags(ecr, name) == [("pr-3",), ("release-3",), ("release-4",)]
    status, _, _ = registry_client.request("GET", f"/v2/{name}/manifests/release-2")
    assert status == 404


def test_since_image_pushed_expires_untagged_images_once_they_are_old_enough(
        emulator: Any, registry_client: RegistryClient) -> None:
    ecr = emulator.client("ecr")
    name = f"lifecycle/{uuid.uuid4().hex[:10]}"
    ecr.create_repository(repositoryName=name)
    ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=_policy(
        {"selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                       "countNumber": 14}}))
    old = registry_client.push_image(name, "latest", "old")
    registry_client.push_image(name, "latest", "new")  # `old` is untagged now
    assert _tags(ecr, name) == [("<untagged>",), ("latest",)]
    assert _lifecycle(emulator, name, days_later=7) == []
    expired = _lifecycle(emulator, name, days_later=15)
    assert [(e["imageDigest"], e["rulePriority"]) for e in expired] == [(old.digest, 1)]
    assert _tags(ecr, name) == [("latest",)]


def test_a_preview_shows_what_a_policy_would_expire_without_expiring_it(
        emulator: Any, registry_client: RegistryClient) -> None:
    ecr = emulator.client("ecr")
    name = f"lifecycle/{uuid.uuid4().hex[:10]}"
    ecr.create_repository(repositoryName=name)
    digests = [registry_client.push_image(name, f"build-{n}", f"build-{n}").digest for n in range(3)]
    policy = _policy({"selection": {"tagStatus": "tagged", "tagPatternList": ["build-*"],
                                    "countType": "imageCountMoreThan", "countNumber": 1}})
    started = ecr.start_lifecycle_policy_preview(repositoryName=name, lifecyclePolicyText=policy)
    assert started["status"] == "IN_PROGRESS"
    ecr.get_waiter("lifecycle_policy_preview_complete").wait(repositoryName=name,
                                                             WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    preview = ecr.get_lifecycle_policy_preview(repositoryName=name)
    assert preview["status"] == "COMPLETE" and preview["summary"]["expiringImageTotalCount"] == 2
    assert sorted((r["imageDigest"], r["appliedRulePriority"], r["action"]["type"])
                  for r in preview["previewResults"]) == sorted((d, 1, "EXPIRE") for d in digests[:2])
    assert len(_tags(ecr, name)) == 3  # nothing expired
