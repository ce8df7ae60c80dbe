"""The run as the tag rules see it, from GitHub's and GitLab's variables; the private registry login."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from deploy_actions.core.runfacts import run_facts
from deploy_actions.image.auth import RegistryAuth
from deploy_actions.image.metadata import git_ref
from deploy_actions.image.tags import compute_tags, parse_flavor, parse_rules

MERGE, HEAD = "a" * 40, "b" * 40


def _tags(env: dict[str, str], tmp_path: Path, rules: list[str] | None = None) -> list[str]:
    git = git_ref(run_facts(env, tmp_path), env)
    return compute_tags(parse_rules(rules or []), parse_flavor([]), git).tags


def test_a_github_pull_request_is_pr_n_with_the_merge_commit_or_its_head(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 42, "head": {"sha": HEAD}, "base": {"ref": "main"}},
                                 "repository": {"default_branch": "main"}}))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
           "GITHUB_REF": "refs/pull/42/merge", "GITHUB_SHA": MERGE, "GITHUB_HEAD_REF": "feature/x",
           "GITHUB_BASE_REF": "main"}
    assert _tags(env, tmp_path) == ["pr-42", "sha-aaaaaaa"]
    assert _tags({**env, "DOCKER_METADATA_PR_HEAD_SHA": "true", "DOCKER_METADATA_SHORT_SHA_LENGTH": "9"},
                 tmp_path) == ["pr-42", "sha-bbbbbbbbb"]
    assert _tags(env, tmp_path, ["type=raw,value=into-{{base_ref}}"]) == ["into-main"]


def test_github_branch_and_tag_pushes(tmp_path: Path) -> None:
    base = {"GITHUB_ACTIONS": "true", "GITHUB_SHA": MERGE, "GITHUB_EVENT_NAME": "push"}
    assert _tags({**base, "GITHUB_REF": "refs/heads/releases/v1"}, tmp_path) == ["releases-v1", "sha-aaaaaaa"]
    assert _tags({**base, "GITHUB_REF": "refs/tags/v1.2.3"}, tmp_path,
                 ["type=semver,pattern={{version}}"]) == ["1.2.3", "latest"]


def test_gitlab_merge_request_branch_tag_and_schedule(tmp_path: Path) -> None:
    base = {"GITLAB_CI": "true", "CI_COMMIT_SHA": HEAD, "CI_DEFAULT_BRANCH": "main"}
    merge_request = {**base, "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "7",
                     "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature", "CI_COMMIT_REF_NAME": "feature"}
    assert _tags(merge_request, tmp_path) == ["pr-7", "sha-bbbbbbb"]
    branch = {**base, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main"}
    assert _tags(branch, tmp_path, ["type=edge", "type=raw,value=latest,enable={{is_default_branch}}"]) == [
        "edge", "latest"]
    beta = "v2.0.8-beta.67"
    tag = {**base, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": beta, "CI_COMMIT_REF_NAME": beta}
    assert _tags(tag, tmp_path, ["type=semver,pattern={{version}}", "type=semver,pattern={{major}}"]) == [
        "2.0.8-beta.67"]
    schedule = {**branch, "CI_PIPELINE_SOURCE": "schedule"}
    assert _tags(schedule, tmp_path)[0] == "nightly"


def test_the_login_is_a_private_file_with_the_users_other_registries_and_is_gone_after(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".docker" / "cli-plugins").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(json.dumps({
        "auths": {"ghcr.io": {"auth": "Z2g6eA=="}}, "credsStore": "desktop",
        "credHelpers": {"r.example:5000": "ecr-login", "other.example": "x"}}))
    with RegistryAuth({"HOME": str(home)}, parent=tmp_path) as auth:
        auth.login("r.example:5000", "AWS", "pa55word")
        config = json.loads(auth.config_file.read_text())
        assert base64.b64decode(config["auths"]["r.example:5000"]["auth"]) == b"AWS:pa55word"
        assert config["auths"]["ghcr.io"] == {"auth": "Z2g6eA=="}
        assert "credsStore" not in config and config["credHelpers"] == {"other.example": "x"}
        assert oct(auth.config_file.stat().st_mode & 0o777) == "0o600"
        assert (auth.folder / "cli-plugins").resolve() == home / ".docker" / "cli-plugins"
        assert auth.env["DOCKER_CONFIG"] == str(auth.folder)
        folder = auth.folder
    assert not folder.exists()
    assert "pa55word" not in (home / ".docker" / "config.json").read_text()


def test_on_a_laptop_the_checkout_says_branch_commit_and_default_branch(tmp_path: Path) -> None:
    import subprocess

    def git(*args: str) -> str:
        env = {"GIT_AUTHOR_NAME": "d", "GIT_AUTHOR_EMAIL": "d@x", "GIT_COMMITTER_NAME": "d",
               "GIT_COMMITTER_EMAIL": "d@x", "GIT_COMMITTER_DATE": "@1700000000 +0000", "PATH": "/usr/bin:/bin"}
        return subprocess.run(["git", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              check=True).stdout.strip()

    git("init", "-q", "--initial-branch=main")
    git("commit", "-q", "--allow-empty", "-m", "x")
    sha = git("rev-parse", "HEAD")
    git("update-ref", "refs/remotes/origin/main", sha)
    git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")  # what git clone sets
    rules = ["type=edge", "type=sha", "type=raw,value={{commit_date 'YYYYMMDD'}}"]
    assert _tags({}, tmp_path, rules) == ["edge", "20231114", f"sha-{sha[:7]}"]


def test_a_github_tag_push_names_its_branch_for_base_ref(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"base_ref": "refs/heads/master", "repository": {"default_branch": "master"}}))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event),
           "GITHUB_REF": "refs/tags/v1.1.1", "GITHUB_SHA": MERGE}
    assert _tags(env, tmp_path, ["type=raw,{{base_ref}}-foo"]) == ["master-foo"]


def test_pull_request_target_is_tagged_as_its_pull_request(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": 15, "pull_request": {"number": 15, "head": {"sha": HEAD}},
                                 "repository": {"default_branch": "master"}}))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_EVENT_PATH": str(event),
           "GITHUB_REF": "refs/heads/master", "GITHUB_SHA": MERGE}
    assert _tags(env, tmp_path, ["type=ref,event=pr", "type=ref,event=branch"]) == ["pr-15"]


def test_on_a_laptop_the_origin_remote_gives_source_url_and_title_never_its_credentials(tmp_path: Path) -> None:
    import subprocess
    from datetime import UTC, datetime

    from deploy_actions.image.metadata import standard_labels

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)

    def labels(remote: str | None) -> dict[str, str]:
        subprocess.run(["git", "-C", str(tmp_path), "remote", "remove", "origin"], capture_output=True, check=False)
        if remote:
            subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", remote], check=True)
        facts = run_facts({}, tmp_path)
        return standard_labels(facts, git_ref(facts, {}), "main", datetime(2026, 1, 1, tzinfo=UTC))

    page = labels("https://ci:ghp_s3cr3t@github.com/acme/svc.git")
    assert (page["source"], page["url"], page["title"]) == ("https://github.com/acme/svc",) * 2 + ("svc",)
    assert labels("git@gitlab.example.com:group/sub/proj.git")["source"] == "https://gitlab.example.com/group/sub/proj"
    assert labels("ssh://git@gitlab.example.com:2222/group/proj.git")["url"] == "https://gitlab.example.com/group/proj"
    assert labels("/srv/git/svc")["source"] == ""  # a path is no web page
    assert labels(None)["source"] == ""
