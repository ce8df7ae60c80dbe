"""RunFacts: one vocabulary for what GitHub, GitLab or the local checkout know about the run."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from deploy_actions.core.environment import Env
from deploy_actions.core.runfacts import detect_platform, run_facts

SRC = Path(__file__).resolve().parents[3] / "src" / "deploy_actions"
HOSTILE = "fix: it's done\u2028IMAGE=evil\n$(id) `uname`"


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, str]:
    """A real git repository with one commit on branch main."""
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                              env={"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
                                   "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com",
                                   "GIT_COMMITTER_DATE": "2026-01-02T03:04:05+00:00",
                                   "PATH": "/usr/bin:/bin"}).stdout.strip()

    git("init", "-q", "-b", "main")
    (repo / "f").write_text("x")
    git("add", "f")
    git("commit", "-q", "-m", HOSTILE)
    return repo, git("rev-parse", "HEAD")


def test_github_push_with_its_event() -> None:
    facts = run_facts({"GITHUB_ACTIONS": "true", "GITHUB_SHA": "a1", "GITHUB_REF": "refs/heads/feature/x",
                       "GITHUB_REF_NAME": "feature/x", "GITHUB_REF_TYPE": "branch", "GITHUB_REPOSITORY": "o/r",
                       "GITHUB_ACTOR": "dev", "GITHUB_RUN_ID": "42", "GITHUB_RUN_NUMBER": "7",
                       "GITHUB_RUN_ATTEMPT": "2", "GITHUB_EVENT_NAME": "push",
                       "GITHUB_SERVER_URL": "https://github.example"})
    assert (facts.platform, facts.sha, facts.branch, facts.tag, facts.run_number, facts.run_attempt) == (
        "github", "a1", "feature/x", "", 7, 2)
    assert facts.run_url == "https://github.example/o/r/actions/runs/42" and facts.event == "push"


def test_github_pull_request_and_tag(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"sha": "h9"}},
                                 "repository": {"default_branch": "main"}}))
    pr = run_facts({"GITHUB_ACTIONS": "true", "GITHUB_SHA": "merge1", "GITHUB_REF": "refs/pull/3/merge",
                    "GITHUB_HEAD_REF": "topic", "GITHUB_EVENT_PATH": str(event)}, cwd=tmp_path)
    assert (pr.sha, pr.pr_head_sha, pr.branch, pr.default_branch) == ("merge1", "h9", "topic", "main")
    tag = run_facts({"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/tags/v1.2.3"}, cwd=tmp_path)
    assert (tag.tag, tag.branch) == ("v1.2.3", "")


def test_github_without_head_commit_reads_the_message_from_the_checkout(checkout: tuple[Path, str]) -> None:
    repo, sha = checkout
    facts = run_facts({"GITHUB_ACTIONS": "true", "GITHUB_SHA": sha, "GITHUB_WORKSPACE": str(repo),
                       "GITHUB_EVENT_NAME": "workflow_dispatch"})
    assert facts.commit_message == HOSTILE
    assert facts.commit_time == "2026-01-02T03:04:05+00:00"


def test_github_head_commit_message_wins(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"head_commit": {"message": "from the event", "timestamp": "2026-05-05T00:00:00Z"}}))
    facts = run_facts({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event)}, cwd=tmp_path)
    assert (facts.commit_message, facts.commit_time) == ("from the event", "2026-05-05T00:00:00Z")


def test_gitlab_merge_request_pipeline() -> None:
    facts = run_facts({"GITLAB_CI": "true", "CI_COMMIT_SHA": "b2", "CI_COMMIT_REF_NAME": "topic",
                       "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "topic", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "h2",
                       "CI_DEFAULT_BRANCH": "main", "CI_PROJECT_PATH": "g/p", "GITLAB_USER_LOGIN": "ops",
                       "CI_PIPELINE_ID": "900", "CI_PIPELINE_IID": "31", "CI_JOB_ID": "5",
                       "CI_JOB_URL": "https://gitlab.example/g/p/-/jobs/5", "CI_PIPELINE_SOURCE": "merge_request_event",
                       "CI_COMMIT_MESSAGE": "msg\n", "CI_COMMIT_TIMESTAMP": "2026-01-01T00:00:00+00:00"})
    assert (facts.platform, facts.sha, facts.branch, facts.pr_head_sha, facts.run_number, facts.job_id) == (
        "gitlab", "b2", "topic", "h2", 31, "5")
    assert (facts.commit_message, facts.run_url, facts.event) == ("msg", "https://gitlab.example/g/p/-/jobs/5",
                                                                  "merge_request_event")
    assert not facts.is_default_branch


def test_gitlab_ci_local_is_recognised_by_its_variables() -> None:
    """gitlab-ci-local sets GITLAB_CI=false but the CI_ variables."""
    facts = run_facts({"GITLAB_CI": "false", "CI_COMMIT_SHA": "c3", "CI_COMMIT_BRANCH": "main",
                       "CI_DEFAULT_BRANCH": "main", "CI_PIPELINE_IID": "4"})
    assert (facts.platform, facts.sha, facts.run_number, facts.is_default_branch) == ("gitlab", "c3", 4, True)


def test_gitlab_ci_local_takes_the_commits_message_and_time_from_the_checkout_not_its_placeholders(
        checkout: tuple[Path, str]) -> None:
    repo, sha = checkout
    placeholders = {"CI_COMMIT_MESSAGE": "Commit Title\nMore commit text",
                    "CI_COMMIT_TIMESTAMP": "2030-01-01T00:00:00Z"}
    rehearsal = run_facts({"GITLAB_CI": "false", "CI_COMMIT_SHA": sha, "CI_PROJECT_DIR": str(repo), **placeholders})
    assert (rehearsal.commit_message, rehearsal.commit_time) == (HOSTILE, "2026-01-02T03:04:05+00:00")
    in_an_image = run_facts({"GITLAB_CI": "false", "CI_COMMIT_SHA": sha, "CI_PROJECT_DIR": "/builds/acme/api",
                             **placeholders}, cwd=repo)  # gitlab-ci-local's path for a job with an image
    assert (in_an_image.commit_message, in_an_image.commit_time) == (HOSTILE, "2026-01-02T03:04:05+00:00")
    gitlab = run_facts({"GITLAB_CI": "true", "CI_COMMIT_SHA": sha, "CI_PROJECT_DIR": str(repo), **placeholders})
    assert (gitlab.commit_message, gitlab.commit_time) == ("Commit Title\nMore commit text", "2030-01-01T00:00:00Z")


def test_a_laptop_reads_the_checkout(checkout: tuple[Path, str]) -> None:
    repo, sha = checkout
    facts = run_facts({}, cwd=repo)
    assert (facts.platform, facts.sha, facts.branch, facts.commit_message) == ("local", sha, "main", HOSTILE)
    assert facts.run_number is None


def test_outside_a_checkout_facts_are_empty_not_an_error(tmp_path: Path) -> None:
    facts = run_facts({}, cwd=tmp_path)
    assert (facts.sha, facts.branch, facts.commit_message) == ("", "", "")


def test_the_platform_can_be_forced() -> None:
    assert detect_platform({"DEPLOY_ACTIONS_PLATFORM": "gitlab", "GITHUB_ACTIONS": "true"}) == "gitlab"
    assert detect_platform({"GITHUB_ACTIONS": "true"}) == "github"
    assert detect_platform({}) == "local"


ENV_READ = re.compile(r"""(?:environ|env)(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]*)["']|getenv\(\s*["']""")


def test_every_environment_variable_the_product_reads_is_named_in_one_place() -> None:
    """Product code reads variables through Env members, never by a literal name (the emulator, an
    independent program, keeps its own in emulator/core/defaults)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if "emulator" in path.parts or path.name == "environment.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if ENV_READ.search(line):
                offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offenders == []
    assert Env.GITHUB_RUN_NUMBER == "GITHUB_RUN_NUMBER"
