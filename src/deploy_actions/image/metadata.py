"""What the tag rules and labels know of the run, from RunFacts (GitHub, GitLab or the local checkout)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from deploy_actions.core.environment import Env
from deploy_actions.core.runfacts import RunFacts
from deploy_actions.image.tags import SHORT_SHA_LENGTH, GitRef


def git_ref(facts: RunFacts, environ: Mapping[str, str], now: datetime | None = None) -> GitRef:
    """The run as metadata-action sees it: a pull request first (refs/pull/N/merge), then a branch, then a tag.

    GitHub's sha of a pull request run is a merge commit, as with metadata-action; DOCKER_METADATA_PR_HEAD_SHA=true
    takes the pull request's head instead, and DOCKER_METADATA_SHORT_SHA_LENGTH sets the short sha's length.
    """
    if facts.pr_number:
        ref = f"refs/pull/{facts.pr_number}/merge"
    elif facts.branch:
        ref = f"refs/heads/{facts.branch}"
    elif facts.tag:
        ref = f"refs/tags/{facts.tag}"
    else:
        ref = ""
    sha = facts.sha
    if facts.pr_number and facts.pr_head_sha and environ.get(Env.DOCKER_METADATA_PR_HEAD_SHA, "").lower() == "true":
        sha = facts.pr_head_sha
    length = environ.get(Env.DOCKER_METADATA_SHORT_SHA_LENGTH, "")
    return GitRef(ref=ref, sha=sha, default_branch=facts.default_branch, event=facts.event, base_ref=facts.base_ref,
                  commit_time=_time(facts.commit_time) if sha else None, now=now or datetime.now(UTC),
                  short_sha_length=int(length) if length.isdigit() and int(length) > 0 else SHORT_SHA_LENGTH)


def short_sha_problem(environ: Mapping[str, str]) -> str | None:
    length = environ.get(Env.DOCKER_METADATA_SHORT_SHA_LENGTH, "")
    if length and not (length.isdigit() and int(length) > 0):
        return f"DOCKER_METADATA_SHORT_SHA_LENGTH={length!r} is not a positive number"
    return None


def _time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def created(environ: Mapping[str, str], git: GitRef) -> datetime:
    """The image's creation time: SOURCE_DATE_EPOCH, else the commit's time, else now. A commit rebuilt gets
    the same labels, so an unchanged image is the same image (nothing new to push)."""
    epoch = environ.get(Env.SOURCE_DATE_EPOCH, "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return git.commit_time or git.now


def source_epoch(environ: Mapping[str, str], git: GitRef) -> int | None:
    """SOURCE_DATE_EPOCH or the commit's time in seconds, for a reproducible build; None when neither is known."""
    epoch = environ.get(Env.SOURCE_DATE_EPOCH, "")
    if epoch.isdigit():
        return int(epoch)
    return int(git.commit_time.timestamp()) if git.commit_time else None


def standard_labels(facts: RunFacts, git: GitRef, version: str, when: datetime) -> dict[str, str]:
    """metadata-action's OCI labels (title, url, source, version, created, revision); licenses and description
    come from the repository's settings there, so here only from the labels input."""
    title, url = facts.repository.rpartition("/")[2], facts.repository_url
    if facts.platform == "local" and not url and facts.workspace:  # a laptop: the origin remote's web page
        url = web_page(_origin(Path(facts.workspace)))
        title = title or url.rpartition("/")[2]
    return {
        "title": title, "url": url, "source": url, "version": version,
        "created": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
        "revision": git.sha,
    }


_URL_REMOTE = re.compile(r"^(https?|ssh|git)://(?:[^@/]*@)?([^/:@]+)(?::\d+)?/(.+?)(?:\.git)?/*$")
_SCP_REMOTE = re.compile(r"^[^@/:]+@([^/:]+):(?!/)(.+?)(?:\.git)?/*$")


def web_page(remote: str) -> str:
    """The web page of a git remote: https://host/owner/repo from an https, ssh:// or git@host:owner/repo URL,
    never its credentials; '' for a path or file:// remote."""
    remote = remote.strip()
    if found := _URL_REMOTE.match(remote):
        scheme = found.group(1) if found.group(1).startswith("http") else "https"
        return f"{scheme}://{found.group(2)}/{found.group(3)}"
    if found := _SCP_REMOTE.match(remote):
        return f"https://{found.group(1)}/{found.group(2)}"
    return ""


def _origin(workspace: Path) -> str:
    try:
        done = subprocess.run(["git", "-C", str(workspace), "remote", "get-url", "origin"], capture_output=True,
                              text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
