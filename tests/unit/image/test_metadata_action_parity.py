"""Parity with docker/metadata-action's own test suite: its tag cases (__tests__/meta.test.ts, groups null, push,
tag, latest, pr, pr-head-sha, schedule, release, raw; 114 cases, Apache-2.0) give the same version, partial tags,
latest and tag list here.

metadata_action_cases.json was extracted from that file and its fixtures: the run's ref, sha (the pull request's
head where the case sets DOCKER_METADATA_PR_HEAD_SHA; refs/pull/N/merge for pull_request_target, as its context
makes it), event, default branch and base ref (a tag push's from the event), the tags and flavor
inputs, and what metadata-action expects. Its clock is fixed at 2020-01-10T00:30:00Z, commit dates included.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.image.tags import GitRef, compute_tags, parse_flavor, parse_rules

CASES = json.loads((Path(__file__).parent / "metadata_action_cases.json").read_text())
METADATA_DEFAULTS = ["type=schedule", "type=ref,event=branch", "type=ref,event=tag", "type=ref,event=pr"]
NOW = datetime(2020, 1, 10, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_same_tags_as_metadata_action(case: dict[str, Any]) -> None:
    git = GitRef(ref=case["ref"], sha=case["sha"], default_branch=case["default_branch"], event=case["event"],
                 base_ref=case["base_ref"], commit_time=NOW, now=NOW)
    plan = compute_tags(parse_rules(case["tags"] or METADATA_DEFAULTS), parse_flavor(case["flavor"]), git)
    assert plan.version == (case["main"] or "")
    assert plan.tags == case["expected_tags"]
    assert plan.latest == case["latest"]


def test_the_cases_cover_every_group() -> None:
    assert len(CASES) == 114
