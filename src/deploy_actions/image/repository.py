"""The ECR repository before a build: it exists (or is made, with scanning, tag immutability and a lifecycle
policy), and no immutable tag this run would push is taken already."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

from deploy_actions.aws import ecr as ecr_api
from deploy_actions.core.errors import InputError
from deploy_actions.core.platform import Reporter


def keep_last_policy(count: int) -> str:
    """A lifecycle policy keeping the newest `count` images (tagged or not)."""
    return json.dumps({"rules": [{
        "rulePriority": 1, "description": f"keep the last {count} images",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": count},
        "action": {"type": "expire"},
    }]})


def read_policy(path: str) -> str:
    """The lifecycle policy file's text, checked to be a JSON object with rules (exit 2 otherwise)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        policy = json.loads(text)
    except OSError as exc:
        raise InputError.single("lifecycle-policy", path, f"cannot read it ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise InputError.single("lifecycle-policy", path, f"not JSON ({exc})") from None
    if not isinstance(policy, dict) or not isinstance(policy.get("rules"), list):
        raise InputError.single("lifecycle-policy", path, 'expected an ECR lifecycle policy: {"rules": [...]}')
    return text


def ensure_repository(ecr: Any, name: str, *, create: bool, scan_on_push: bool, immutable: bool,
                      policy: str | None, reporter: Reporter, given: tuple[str, ...] = ()) -> dict[str, Any]:
    """The repository, made when missing with `create`. `given` names the creation settings the user set; an
    existing repository does not take them, which is said (not silently dropped) when it is sure to matter:
    without `create` they can never apply, and a repository's tag mutability and scanning are in the answer."""
    found = ecr_api.describe_repository(ecr, name)
    if found is not None:
        differs = {"tag-immutability": str(found.get("imageTagMutability", "MUTABLE")).startswith("MUTABLE"),
                   "scan-on-push": bool((found.get("imageScanningConfiguration") or {}).get("scanOnPush"))}
        if ignored := [setting for setting in given if differs.get(setting, not create)]:
            them = "them" if len(ignored) > 1 else "it"
            reporter.warning(f"{name} exists, so {', '.join(ignored)} changed nothing: only a repository this step "
                             f"creates takes {them}. Set {them} on {name} itself (aws ecr put-lifecycle-policy, "
                             f"put-image-tag-mutability, put-image-scanning-configuration) or drop {them}")
        return found
    if not create:
        raise InputError.single("repository", name, "no such ECR repository in this account and region; create "
                                "it, or set create-repository: true")
    made = ecr_api.create_repository(ecr, name, scan_on_push=scan_on_push, immutable=immutable)
    reporter.info(f"created ECR repository {name} (scan on push: {str(scan_on_push).lower()}, tags "
                  f"{'immutable' if immutable else 'mutable'})")
    if policy:
        ecr_api.put_lifecycle_policy(ecr, name, policy)
        reporter.info("lifecycle policy set")
    return made


def immutable(repository: dict[str, Any], tag: str) -> bool:
    """Whether ECR refuses to push `tag` again: IMMUTABLE, or the *_WITH_EXCLUSION settings' wildcard filters
    (IMMUTABLE_WITH_EXCLUSION: immutable unless a filter matches; MUTABLE_WITH_EXCLUSION: only those matched)."""
    setting = str(repository.get("imageTagMutability", "MUTABLE"))
    filters = [str(f.get("filter", "")) for f in repository.get("imageTagMutabilityExclusionFilters") or []]
    excluded = any(fnmatch.fnmatchcase(tag, pattern) for pattern in filters)
    if setting == "IMMUTABLE_WITH_EXCLUSION":
        return not excluded
    if setting == "MUTABLE_WITH_EXCLUSION":
        return excluded
    return setting == "IMMUTABLE"


def taken_tags(ecr: Any, repository: dict[str, Any], tags: list[str]) -> list[str]:
    """The tags this run would push that the repository holds already and will not let move (ECR would refuse
    them at the push, after the whole build)."""
    fixed = [tag for tag in tags if immutable(repository, tag)]
    if not fixed:
        return []
    held = ecr_api.tagged(ecr, str(repository["repositoryName"]))
    return [tag for tag in fixed if tag in held]
