"""build-push-ecr's inputs: secret ids as Docker writes them, and errors that never quote a secret."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.actions.build_push_ecr import Inputs
from deploy_actions.core.errors import InputError
from deploy_actions.core.inputs import input_specs, parse_inputs


def test_secret_ids_may_hold_dashes_and_dots() -> None:
    inputs = parse_inputs(Inputs, {"repository": "api", "secrets": "npm-token=abc=def\n# note\ngithub.token=x\n"})
    assert inputs.secrets == {"npm-token": "abc=def", "github.token": "x"}


@pytest.mark.parametrize("text", ["just-a-value-hunter22", "=hunter22", "bad id=hunter22"])
def test_a_bad_secret_line_is_named_by_number_and_never_shown(text: str) -> None:
    with pytest.raises(InputError) as error:
        parse_inputs(Inputs, {"repository": "api", "secrets": f"ok=1\n{text}"})
    assert "line 2" in str(error.value) and "hunter22" not in str(error.value)
    assert "(value not shown)" in str(error.value)


def test_secrets_is_a_secret_input_and_platforms_are_checked() -> None:
    (spec,) = [s for s in input_specs(Inputs) if s.name == "secrets"]
    assert spec.secret and not spec.quotable
    with pytest.raises(InputError, match="os/arch"):
        parse_inputs(Inputs, {"repository": "api", "platforms": "linux/amd64,arm64"})
    with pytest.raises(InputError, match="not both"):
        parse_inputs(Inputs, {"repository": "api", "keep-last": "5", "lifecycle-policy": "p.json"})


@pytest.mark.parametrize(("args", "expected"), [
    (["--tags", "type=sematic,pattern={{version}}"],
     "input 'tags' = 'type=sematic,pattern={{version}}': unknown type 'sematic'"),
    (["--tags", "type=sha\ntype=raw,value=x,enabled=false"],
     "input 'tags' = 'type=sha\\ntype=raw,value=x,enabled=false': 'type=raw,value=x,enabled=false': unknown attribute"),
    (["--flavor", "latest=sometimes"], "input 'flavor' = 'latest=sometimes': latest must be auto, true or false"),
    (["--labels", "foo"], "input 'labels' = 'foo': label 'foo': write KEY=VALUE"),
])
def test_a_rule_that_cannot_be_read_is_quoted_as_written_not_as_unset(
        run_cli: Any, tmp_path: Path, args: list[str], expected: str) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    result = run_cli("build-push-ecr", "--repository", "api", "--context", str(tmp_path), *args,
                     env={"GITHUB_SHA": "90dd6032fac8bda1b6c4436a2e65de27961ed071", "GITHUB_REF": "refs/heads/main"})
    assert result.code == 2, result.log
    assert expected in result.log and "(not set)" not in result.log


@pytest.mark.parametrize(("repository", "words"), [
    ("Acme/Svc", "lowercase"),
    ("acme//svc", "lowercase"),
    ("a", "2 to 256"),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/svc", "not its URI: acme/svc"),
    ("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/svc", "not its URI: acme/svc"),
    ("127.0.0.1:4566/team/api", "not its URI: team/api"),
])
def test_a_repository_ecr_would_refuse_or_a_uri_is_an_input_error_before_any_aws_call(
        repository: str, words: str) -> None:
    with pytest.raises(InputError, match=f"input 'repository' = .*{words}"):
        parse_inputs(Inputs, {"repository": repository})


@pytest.mark.parametrize("repository", ["team/api", "my.app/svc_1", "a-b/c.d/e_f", "api"])
def test_ecr_repository_names_pass(repository: str) -> None:
    assert parse_inputs(Inputs, {"repository": repository}).repository == repository


def test_a_missing_dockerfile_and_a_bad_tag_rule_are_both_said_in_one_run(run_cli: Any, tmp_path: Path) -> None:
    result = run_cli("build-push-ecr", "--repository", "api", "--context", str(tmp_path), "--dockerfile",
                     "docker/Dockerfile", "--tags", "type=semver,pattern={{major}}.{{minr}}",
                     env={"GITHUB_SHA": "90dd6032fac8bda1b6c4436a2e65de27961ed071", "GITHUB_REF": "refs/heads/main"})
    assert result.code == 2, result.log
    assert "input 'dockerfile' = 'docker/Dockerfile': no Dockerfile" in result.log
    assert "input 'tags' = 'type=semver,pattern={{major}}.{{minr}}': unknown expression {{minr}}" in result.log


def test_a_build_only_run_stopped_for_want_of_aws_says_registry_needs_none(run_cli: Any, tmp_path: Path) -> None:
    """A fork's pull request: push false, no region or credentials; the way out is registry, not AWS_REGION."""
    if not shutil.which("buildah"):
        pytest.skip("buildah is not installed (apt-get install buildah; .ci/run installs it)")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    result = run_cli("build-push-ecr", "--repository", "api", "--context", str(tmp_path), "--push", "false",
                     "--builder", "buildah",
                     env={"GITHUB_SHA": "90dd6032fac8bda1b6c4436a2e65de27961ed071", "GITHUB_REF": "refs/pull/7/merge"})
    assert result.code == 2, result.log
    assert "input 'region'" in result.log
    assert "input 'registry' = (not set): push is false: set registry" in result.log


def test_outside_a_checkout_the_fix_offered_is_a_tag_that_needs_no_commit(
        run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """type=sha, the usual advice, makes nothing without a commit either."""
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("build-push-ecr", "--repository", "api", "--push", "false", "--registry", "127.0.0.1:5000",
                     env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert result.code == 2, result.log
    assert "not a git checkout" in result.log and "type=raw,value=dev" in result.log, result.log
