"""The emulator's pure rules: which images an ECR lifecycle policy expires, CloudWatch statistics and
composite alarm rules, and what ECR answers without a registry binary."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.emulator.cloudwatch import composite
from deploy_actions.emulator.cloudwatch.alarms import Point, statistic
from deploy_actions.emulator.ecr import lifecycle
from deploy_actions.emulator.ecr.images import Image
from deploy_actions.emulator.ecr.registry import REGISTRY_ENV, Registry, RegistryUnavailable

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _image(digest: str, days_ago: float, *tags: str) -> Image:
    return Image("app", f"sha256:{digest}", "application/vnd.oci.image.manifest.v1+json", b"{}",
                 NOW - timedelta(days=days_ago), 10, None, list(tags))


def _expired(images: list[Image], *rules: dict[str, Any]) -> list[str]:
    policy = json.dumps({"rules": [{"rulePriority": i + 1, "action": {"type": "expire"}, **rule}
                                   for i, rule in enumerate(rules)]})
    return sorted(image.digest[7:] for image, _ in lifecycle.expired(images, policy, lambda i: NOW - i.pushed_at))


IMAGES = [_image("a", 1, "prod-1"), _image("b", 2, "prod-2"), _image("c", 3, "beta-1"),
          _image("d", 20, "beta-2", "prod-0"), _image("e", 30), _image("f", 5)]


def test_untagged_images_older_than_fourteen_days() -> None:
    assert _expired(IMAGES, {"selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                           "countUnit": "days", "countNumber": 14}}) == ["e"]


def test_keep_only_the_newest_image() -> None:
    assert _expired(IMAGES, {"selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                           "countNumber": 1}}) == ["b", "c", "d", "e", "f"]


def test_a_prefix_list_selects_images_with_a_tag_for_every_prefix() -> None:
    selection = {"tagStatus": "tagged", "tagPrefixList": ["prod", "beta"], "countType": "imageCountMoreThan",
                 "countNumber": 0}
    assert _expired(IMAGES, {"selection": selection}) == ["d"]
    patterns = {**selection, "tagPrefixList": None, "tagPatternList": ["prod-*"]}
    assert _expired(IMAGES, {"selection": patterns}) == ["a", "b", "d"]


def test_an_image_selected_by_a_rule_is_never_expired_by_a_lower_one() -> None:
    keep_prod = {"selection": {"tagStatus": "tagged", "tagPrefixList": ["prod"], "countType": "imageCountMoreThan",
                               "countNumber": 5}}
    everything = {"selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days",
                                "countNumber": 1}}
    assert _expired(IMAGES, keep_prod, everything) == ["c", "e", "f"]


def test_invalid_rules_are_refused() -> None:
    with pytest.raises(lifecycle.PolicyError):
        lifecycle.parse(json.dumps({"rules": [{"rulePriority": 1, "selection": {"tagStatus": "tagged",
                                                                                "countType": "imageCountMoreThan"}}]}))
    with pytest.raises(lifecycle.PolicyError):
        lifecycle.parse("{not json")


@pytest.mark.parametrize(("name", "expected"), [("Sum", 10.0), ("Average", 2.5), ("Minimum", 1.0), ("Maximum", 4.0),
                                               ("SampleCount", 4.0), ("p50", 2.0), ("p100", 4.0)])
def test_statistics(name: str, expected: float) -> None:
    points = [Point(0.0, v, 1.0, v, v, (v,)) for v in (1.0, 2.0, 3.0, 4.0)]
    assert statistic(points, name) == expected
    assert statistic([], name) is None


def test_without_a_registry_binary_ecr_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(REGISTRY_ENV, str(tmp_path / "no-such-registry"))
    with pytest.raises(RegistryUnavailable, match="apt-get install docker-registry"):
        Registry(tmp_path, front=None).ensure_started()  # type: ignore[arg-type]


STATES = {"cpu": "ALARM", "deploying": "OK", "latency": "INSUFFICIENT_DATA", "errors": "ALARM"}


@pytest.mark.parametrize(("rule", "holds"), [
    ('ALARM("cpu")', True),
    ('ALARM(cpu) AND NOT ALARM("deploying")', True),
    ('ALARM(cpu) AND ALARM(deploying)', False),
    ('OK(deploying) AND (INSUFFICIENT_DATA(latency) OR FALSE)', True),
    ('NOT (ALARM(cpu) OR ALARM(errors))', False),
    ('ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu")', True),
    ("AT_LEAST(2, ALARM, (cpu, errors, deploying))", True),
    ("AT_LEAST(50%, NOT OK, (cpu, deploying, latency, errors))", True),
    ("AT_LEAST(3, ALARM, (cpu, errors, deploying))", False),
    ("TRUE", True),
])
def test_composite_rules(rule: str, holds: bool) -> None:
    evaluate, _ = composite.parse(rule)
    assert evaluate(STATES.get) is holds


@pytest.mark.parametrize("rule", ['ALARM("cpu"', "ALARM(cpu) AND", "MAYBE(cpu)", "ALARM(cpu) ALARM(errors)", ""])
def test_invalid_composite_rules_are_refused(rule: str) -> None:
    with pytest.raises(composite.RuleError):
        composite.parse(rule)
