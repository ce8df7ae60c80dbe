"""ECR lifecycle policies: which images a policy expires, by AWS's documented rules.

Rules are taken in `rulePriority` order. A rule selects images by `tagStatus` (`tagged` with
`tagPrefixList` or `tagPatternList` — every prefix or pattern matched by one of the image's tags —
`untagged`, or `any`); an image a rule selects can be expired by that rule only, never by a rule of
lower priority, so each image is expired by one rule or none. `imageCountMoreThan` keeps the
`countNumber` most recently pushed of the selected images and expires the rest; `sinceImagePushed`
expires the selected images pushed more than `countNumber` `countUnit`s (days) ago.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from deploy_actions.emulator.ecr.images import Image


class PolicyError(ValueError):
    pass


def _selected(image: Image, selection: dict[str, Any]) -> bool:
    status = str(selection.get("tagStatus", "")).lower()
    if status == "untagged":
        return not image.tags
    if status == "any":
        return True
    if status != "tagged" or not image.tags:
        return False
    prefixes = [str(p) for p in selection.get("tagPrefixList") or []]
    patterns = [str(p) for p in selection.get("tagPatternList") or []]
    return all(any(tag.startswith(prefix) for tag in image.tags) for prefix in prefixes) and \
        all(any(fnmatch.fnmatchcase(tag, pattern) for tag in image.tags) for pattern in patterns)


def parse(policy_text: str) -> list[dict[str, Any]]:
    try:
        rules = list(json.loads(policy_text).get("rules") or [])
    except (ValueError, AttributeError) as error:
        raise PolicyError(f"the lifecycle policy is not valid JSON: {error}") from error
    for rule in rules:
        selection = rule.get("selection") or {}
        if str(selection.get("tagStatus", "")).lower() == "tagged" and not (
                selection.get("tagPrefixList") or selection.get("tagPatternList")):
            raise PolicyError("a rule with tagStatus tagged needs tagPrefixList or tagPatternList")
        if selection.get("countType") not in ("imageCountMoreThan", "sinceImagePushed"):
            raise PolicyError(f"countType {selection.get('countType')!r}: imageCountMoreThan or sinceImagePushed")
    return sorted(rules, key=lambda rule: int(rule.get("rulePriority", 0)))


def expired(images: list[Image], policy_text: str,
            age: Callable[[Image], timedelta]) -> list[tuple[Image, dict[str, Any]]]:
    """(image, rule) for every image the policy expires, `age` telling how long ago (emulated) it was pushed."""
    claimed: set[str] = set()
    result: list[tuple[Image, dict[str, Any]]] = []
    for rule in parse(policy_text):
        selection = rule.get("selection") or {}
        chosen = [image for image in images if image.digest not in claimed and _selected(image, selection)]
        claimed.update(image.digest for image in chosen)
        count = int(selection.get("countNumber", 0))
        if selection.get("countType") == "imageCountMoreThan":
            newest_first = sorted(chosen, key=lambda image: image.pushed_at, reverse=True)
            result.extend((image, rule) for image in newest_first[count:])
        else:
            result.extend((image, rule) for image in chosen if age(image) > timedelta(days=count))
    return result
