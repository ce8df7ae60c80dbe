"""RunFacts: what the CI knows about this run, in one vocabulary, from GitHub, GitLab or the local git.

Nothing else in the suite reads GitHub's or GitLab's variables: actions ask `RunContext.facts`.
The commit message and time are read lazily (from the CI, else from the checkout with git), so an
action that never needs them never runs git.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from deploy_actions.core.environment import Env

Platform = Literal["github", "gitlab", "local"]
GIT_TIMEOUT = 5.0


@dataclass
class RunFacts:
    platform: Platform
    sha: str = ""
    ref: str = ""  # refs/heads/main on GitHub, the branch or tag name on GitLab
    branch: str = ""
    tag: str = ""
    default_branch: str = ""
    pr_head_sha: str = ""  # the head of a pull/merge request (GitHub's sha is then a merge commit)
    pr_number: str = ""  # the pull request's number (GitHub) or the merge request's IID (GitLab)
    base_ref: str = ""  # the branch a pull/merge request targets
    repository_url: str = ""  # the repository's web page (https://github.com/o/r, CI_PROJECT_URL)
    repository: str = ""
    actor: str = ""
    run_id: str = ""
    run_number: int | None = None  # grows with every new run: GitHub run number, GitLab pipeline IID
    run_series: str = ""  # what run_number counts: the workflow file (GitHub), the project (GitLab)
    run_attempt: int | None = None
    job_id: str = ""
    run_url: str = ""
    event: str = ""
    workspace: str = ""
    _commit: Callable[[], tuple[str, str]] = field(default=lambda: ("", ""), repr=False)

    @cached_property
    def _commit_facts(self) -> tuple[str, str]:
        return self._commit()

    @property
    def commit_message(self) -> str:
        """The commit's full message: hostile text (quote it, never paste it into a shell)."""
        return self._commit_facts[0]

    @property
    def commit_time(self) -> str:
        """The commit's time, ISO 8601 as the CI or git gives it ('' when unknown)."""
        return self._commit_facts[1]

    @property
    def is_default_branch(self) -> bool:
        return bool(self.branch) and self.branch == self.default_branch


def detect_platform(environ: Mapping[str, str]) -> Platform:
    """The CI this runs on: DEPLOY_ACTIONS_PLATFORM when set, else what the environment shows."""
    forced = environ.get(Env.PLATFORM, "").lower()
    if forced in ("github", "gitlab", "local"):
        return forced  # type: ignore[return-value]
    if environ.get(Env.GITHUB_ACTIONS) == "true":
        return "github"
    if environ.get(Env.GITLAB_CI) == "true":
        return "gitlab"
    return "local"


def run_facts(environ: Mapping[str, str], cwd: Path | None = None) -> RunFacts:
    """Facts from GitHub's or GitLab's variables (gitlab-ci-local sets GITLAB_CI=false but the CI_ ones),
    else from the git repository the command runs in."""
    platform = detect_platform(environ)
    if platform == "github" or (platform == "local" and any(environ.get(n) for n in _GITHUB_SIGNS)):
        return _github(environ, cwd)
    if platform == "gitlab" or (platform == "local" and any(environ.get(n) for n in _GITLAB_SIGNS)):
        return _gitlab(environ, cwd)
    return _local(cwd)


_GITHUB_SIGNS = (Env.GITHUB_SHA, Env.GITHUB_EVENT_PATH, Env.GITHUB_RUN_ID, Env.GITHUB_RUN_NUMBER)
_GITLAB_SIGNS = (Env.CI_COMMIT_SHA, Env.CI_COMMIT_MESSAGE, Env.CI_PIPELINE_ID, Env.CI_PIPELINE_IID, Env.CI_JOB_ID)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _github(env: Mapping[str, str], cwd: Path | None) -> RunFacts:
    event = _github_event(env.get(Env.GITHUB_EVENT_PATH))
    ref = env.get(Env.GITHUB_REF, "")
    ref_name = env.get(Env.GITHUB_REF_NAME) or ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    ref_type = env.get(Env.GITHUB_REF_TYPE) or ("tag" if ref.startswith("refs/tags/") else
                                                "branch" if ref.startswith("refs/heads/") else "")
    pull = _dict(event.get("pull_request"))
    head = _dict(pull.get("head"))
    repo = _dict(event.get("repository"))
    server = env.get(Env.GITHUB_SERVER_URL, "https://github.com")
    repository = env.get(Env.GITHUB_REPOSITORY, "")
    run_id = env.get(Env.GITHUB_RUN_ID, "")
    sha = env.get(Env.GITHUB_SHA, "")
    workspace = env.get(Env.GITHUB_WORKSPACE, "") or str(cwd or Path.cwd())
    head_commit = _dict(event.get("head_commit"))

    def commit() -> tuple[str, str]:
        message, when = head_commit.get("message"), head_commit.get("timestamp")
        if isinstance(message, str) and message:
            return message, when if isinstance(when, str) else ""
        # workflow_dispatch, schedule, pull_request and act's default push carry no head_commit.
        return _git_commit(Path(workspace), sha)

    return RunFacts(
        platform="github", sha=sha, ref=ref,
        branch=env.get(Env.GITHUB_HEAD_REF) or (ref_name if ref_type == "branch" else ""),
        tag=ref_name if ref_type == "tag" else "",
        default_branch=str(repo.get("default_branch") or ""),
        pr_head_sha=str(head.get("sha") or ""),
        pr_number=str(pull.get("number") or _pull_number(ref)),
        # a pull request's target; a tag push's event names the branch it was pushed from
        base_ref=env.get(Env.GITHUB_BASE_REF) or str(event.get("base_ref") or "").removeprefix("refs/heads/"),
        repository_url=f"{server}/{repository}" if repository else "",
        repository=repository, actor=env.get(Env.GITHUB_ACTOR, ""), run_id=run_id,
        run_number=_int(env.get(Env.GITHUB_RUN_NUMBER)), run_attempt=_int(env.get(Env.GITHUB_RUN_ATTEMPT)),
        run_series=(env.get(Env.GITHUB_WORKFLOW_REF, "").partition("@")[0] or env.get(Env.GITHUB_WORKFLOW, "")),
        job_id=run_id, run_url=f"{server}/{repository}/actions/runs/{run_id}" if run_id else "",
        event=env.get(Env.GITHUB_EVENT_NAME, ""), workspace=workspace, _commit=commit,
    )


def _pull_number(ref: str) -> str:
    """N of refs/pull/N/merge (GitHub's ref for a pull request run)."""
    parts = ref.split("/")
    return parts[2] if len(parts) >= 3 and parts[:2] == ["refs", "pull"] and parts[2].isdigit() else ""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _github_event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return event if isinstance(event, dict) else {}


def _gitlab(env: Mapping[str, str], cwd: Path | None) -> RunFacts:
    sha = env.get(Env.CI_COMMIT_SHA, "")
    workspace = env.get(Env.CI_PROJECT_DIR, "") or str(cwd or Path.cwd())

    def commit() -> tuple[str, str]:
        if env.get(Env.GITLAB_CI) == "false":
            # gitlab-ci-local: its CI_COMMIT_MESSAGE and CI_COMMIT_TIMESTAMP are placeholders (a fixed text, the
            # run's time), so a rehearsal would stamp a new archive each run; the checkout has the real ones.
            # Its CI_PROJECT_DIR is /builds/<project> when the job names an image, even on the shell executor.
            checkout = Path(workspace) if Path(workspace).is_dir() else (cwd or Path.cwd())
            message, when = _git_commit(checkout, sha)
            if message or when:
                return message, when
        message = env.get(Env.CI_COMMIT_MESSAGE, "").rstrip("\n")
        if message:
            return message, env.get(Env.CI_COMMIT_TIMESTAMP, "")
        return _git_commit(Path(workspace), sha)

    return RunFacts(
        platform="gitlab", sha=sha, ref=env.get(Env.CI_COMMIT_REF_NAME, ""),
        branch=env.get(Env.CI_COMMIT_BRANCH) or env.get(Env.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, ""),
        tag=env.get(Env.CI_COMMIT_TAG, ""), default_branch=env.get(Env.CI_DEFAULT_BRANCH, ""),
        pr_head_sha=env.get(Env.CI_MERGE_REQUEST_SOURCE_BRANCH_SHA, ""),
        pr_number=env.get(Env.CI_MERGE_REQUEST_IID, ""),
        base_ref=env.get(Env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME, ""),
        repository_url=env.get(Env.CI_PROJECT_URL, ""),
        repository=env.get(Env.CI_PROJECT_PATH, ""), actor=env.get(Env.GITLAB_USER_LOGIN, ""),
        run_id=env.get(Env.CI_PIPELINE_ID, ""), run_number=_int(env.get(Env.CI_PIPELINE_IID)),
        run_series=env.get(Env.CI_PROJECT_PATH, ""),
        job_id=env.get(Env.CI_JOB_ID, ""),
        run_url=env.get(Env.CI_JOB_URL, "") or env.get(Env.CI_PIPELINE_URL, ""),
        event=env.get(Env.CI_PIPELINE_SOURCE, ""), workspace=workspace, _commit=commit,
    )


def _local(cwd: Path | None) -> RunFacts:
    where = cwd or Path.cwd()
    sha = _git(where, "rev-parse", "--verify", "-q", "HEAD")
    branch = _git(where, "symbolic-ref", "-q", "--short", "HEAD")
    tag = _git(where, "describe", "--tags", "--exact-match", "HEAD") if sha else ""
    # origin/HEAD names the default branch of a clone (git clone sets it; `git remote set-head origin -a`).
    default = _git(where, "symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD").removeprefix("origin/")
    return RunFacts(platform="local", sha=sha, ref=branch or tag, branch=branch, tag=tag, default_branch=default,
                    workspace=str(where), _commit=lambda: _git_commit(where, sha))


def _git_commit(where: Path, sha: str) -> tuple[str, str]:
    """The message and committer time of `sha` (or HEAD) in the checkout at `where`; ('', '') without git."""
    target = sha or "HEAD"
    message = _git(where, "log", "-1", "--format=%B", target, strip=False).rstrip("\n")
    when = _git(where, "log", "-1", "--format=%cI", target)
    return message, when


def _git(where: Path, *args: str, strip: bool = True) -> str:
    try:
        done = subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT, check=False, errors="replace")
    except (OSError, subprocess.SubprocessError):
        return ""
    if done.returncode != 0:
        return ""
    return done.stdout.strip() if strip else done.stdout
