"""The exact commands each builder runs, and which builder auto picks (buildx: checked by its argv, no plugin here)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from deploy_actions.image.builders import (
    Buildah,
    BuildRequest,
    Buildx,
    Choice,
    Docker,
    Needs,
    Podman,
    choose,
    host_platform,
    registry_cache,
)

ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def request(tmp_path: Path, **changes: object) -> BuildRequest:
    values: dict[str, object] = dict(
        context=tmp_path / "app", dockerfile=tmp_path / "app" / "Dockerfile",
        images=[f"{ECR}/api:1.2.3", f"{ECR}/api:latest"], labels={"org.opencontainers.image.version": "1.2.3"},
        build_args={"GREETING": "it's $HOME `x`"}, secret_files={"npm": tmp_path / "s0"}, platforms=[],
        target=None, cache_from=[], cache_to=[], push=True, provenance=False, sbom=False, registry=ECR,
        workdir=tmp_path / "work")
    values.update(changes)
    return BuildRequest(**values)  # type: ignore[arg-type]


def test_buildx_argv_pushes_without_attestations_and_fixes_an_ecr_registry_cache(tmp_path: Path) -> None:
    req = request(tmp_path, platforms=["linux/amd64", "linux/arm64"], target="runtime",
                  cache_from=[f"type=registry,ref={ECR}/api:cache"],
                  cache_to=[f"type=registry,ref={ECR}/api:cache,mode=max"])
    [step] = Buildx("/usr/bin/docker").steps(req)
    assert step.argv == [
        "/usr/bin/docker", "buildx", "build", "--file", str(tmp_path / "app" / "Dockerfile"),
        "--tag", f"{ECR}/api:1.2.3", "--tag", f"{ECR}/api:latest",
        "--label", "org.opencontainers.image.version=1.2.3", "--build-arg", "GREETING=it's $HOME `x`",
        "--target", "runtime", "--secret", f"id=npm,src={tmp_path / 's0'}", "--platform", "linux/amd64,linux/arm64",
        "--cache-from", f"type=registry,ref={ECR}/api:cache",
        "--cache-to", f"type=registry,ref={ECR}/api:cache,mode=max,image-manifest=true,oci-mediatypes=true",
        "--provenance=false", "--sbom=false", "--metadata-file", str(tmp_path / "work" / "metadata.json"),
        "--push", str(tmp_path / "app")]


def test_buildx_loads_a_single_platform_build_that_is_not_pushed(tmp_path: Path) -> None:
    [step] = Buildx("docker").steps(request(tmp_path, push=False, provenance=True, secret_files={}))
    assert step.argv[-3:] == [str(tmp_path / "work" / "metadata.json"), "--load", str(tmp_path / "app")]
    assert "--provenance=true" in step.argv


def test_buildx_digest_comes_from_its_metadata_file(tmp_path: Path) -> None:
    req = request(tmp_path)
    req.workdir.mkdir()
    req.metadata_file.write_text('{"containerimage.digest": "sha256:' + "a" * 64 + '"}')
    assert Buildx("docker").digest(req) == "sha256:" + "a" * 64


def test_registry_cache_leaves_other_caches_and_given_options_alone() -> None:
    assert registry_cache("type=gha,mode=max") == "type=gha,mode=max"
    assert registry_cache("type=registry,ref=ghcr.io/o/cache") == "type=registry,ref=ghcr.io/o/cache"
    assert registry_cache(f"type=registry,ref={ECR}/c,image-manifest=false") == (
        f"type=registry,ref={ECR}/c,image-manifest=false,oci-mediatypes=true")


def test_docker_classic_builder_builds_then_pushes_each_tag_then_reads_the_digest(tmp_path: Path) -> None:
    steps = Docker("docker").steps(request(tmp_path, secret_files={}, cache_from=[f"{ECR}/api:latest"]))
    assert [s.argv[:2] for s in steps] == [["docker", "build"], ["docker", "push"], ["docker", "push"],
                                           ["docker", "image"]]
    assert steps[0].env == {"DOCKER_BUILDKIT": "0"}
    assert "--cache-from" in steps[0].argv and "--secret" not in steps[0].argv
    assert steps[1].argv == ["docker", "push", f"{ECR}/api:1.2.3"]
    assert steps[-1].capture is not None


def test_docker_digest_is_the_pushed_repositorys_repo_digest(tmp_path: Path) -> None:
    req = request(tmp_path)
    req.workdir.mkdir()
    (req.workdir / "repo-digests.json").write_text(f'["other/api@sha256:{"b" * 64}", "{ECR}/api@sha256:{"c" * 64}"]')
    assert Docker("docker").digest(req) == "sha256:" + "c" * 64


@pytest.mark.parametrize("cls", [Buildah, Podman])
def test_buildah_and_podman_push_each_tag_with_a_digest_file(tmp_path: Path, cls: type[Buildah]) -> None:
    req = request(tmp_path, registry="127.0.0.1:5000", images=["127.0.0.1:5000/api:v1"], platforms=["linux/arm64"],
                  cache_to=["127.0.0.1:5000/api-cache"])
    build, push = cls(cls.name).steps(req)
    assert build.argv[:2] == [cls.name, "build"]
    assert ["--secret", f"id=npm,src={tmp_path / 's0'}"] == build.argv[build.argv.index("--secret"):][:2]
    assert "--tls-verify=false" in build.argv and "--layers" in build.argv  # a loopback registry is plain HTTP
    assert build.argv[build.argv.index("--platform") + 1] == "linux/arm64"
    assert push.argv == [cls.name, "push", "--tls-verify=false", "--digestfile", str(req.digest_file),
                         "127.0.0.1:5000/api:v1", "docker://127.0.0.1:5000/api:v1"]
    assert "--tls-verify=false" not in cls(cls.name).steps(request(tmp_path))[1].argv  # ECR: TLS verified


def test_what_each_builder_refuses() -> None:
    two = Needs(["linux/amd64", "linux/arm64"])
    assert Buildx("docker").problems(two) == [] and Buildah("buildah").problems(two) == []
    assert [name for name, _ in Docker("docker").problems(two)] == ["platforms"]
    assert [name for name, _ in Docker("docker").problems(Needs(["linux/riscv64"]))] == ["platforms"]
    assert Docker("docker").problems(Needs([host_platform()])) == []
    assert [name for name, _ in Docker("docker").problems(Needs([], secrets=True, cache_to=["x"]))] == [
        "cache-to", "secrets"]
    assert [name for name, _ in Podman("podman").problems(Needs([], sbom=True))] == ["sbom"]


def _fake(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_auto_takes_buildx_then_docker_then_buildah_then_podman_and_says_why(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path)}
    assert "buildx: no docker command" in str(choose("auto", env))  # nothing at all: why, per builder
    _fake(tmp_path, "podman", "echo podman version 4.3.1")
    choice = choose("auto", env)
    assert isinstance(choice, Choice) and choice.builder.name == "podman"
    assert "buildah: not on PATH" in choice.reason
    _fake(tmp_path, "docker", 'if [ "$1" = buildx ]; then echo "unknown command" >&2; exit 1; fi\n'
          'if [ "$1" = version ]; then echo "Cannot connect to the Docker daemon" >&2; exit 1; fi')
    choice = choose("auto", env)
    assert isinstance(choice, Choice) and choice.builder.name == "podman"
    assert "no Docker engine answered (Cannot connect" in choice.reason
    _fake(tmp_path, "docker", 'if [ "$1" = buildx ]; then exit 1; fi\necho 27.1.0')
    choice = choose("auto", env)
    assert isinstance(choice, Choice) and choice.builder.name == "docker" and "27.1.0" in choice.reason
    _fake(tmp_path, "docker", "echo github.com/docker/buildx v0.17.1")
    choice = choose("auto", env)
    assert isinstance(choice, Choice) and choice.builder.name == "buildx"


def test_an_asked_builder_that_is_missing_is_named(tmp_path: Path) -> None:
    assert choose("buildah", {"PATH": str(tmp_path)}) == "no builder can be used here (buildah: not on PATH)"
    assert os.environ  # the probe used the given PATH only


def test_auto_passes_over_a_builder_that_cannot_do_the_build(tmp_path: Path) -> None:
    _fake(tmp_path, "docker", 'if [ "$1" = buildx ]; then exit 1; fi\necho 20.10.24')
    _fake(tmp_path, "buildah", "echo buildah version 1.28.2")
    env = {"PATH": str(tmp_path)}
    choice = choose("auto", env, Needs([], secrets=True))
    assert isinstance(choice, Choice) and choice.builder.name == "buildah"
    assert "docker: cannot do secrets" in choice.reason
    explicit = choose("docker", env, Needs([], secrets=True))
    assert isinstance(explicit, Choice) and explicit.builder.name == "docker"  # refused by name afterwards


@pytest.mark.parametrize("cls", [Buildah, Podman])
def test_buildah_and_podman_build_several_platforms_into_a_list_of_their_own_pushed_whole(
        tmp_path: Path, cls: type[Buildah]) -> None:
    req = request(tmp_path, platforms=["linux/amd64", "linux/arm64"], secret_files={},
                  cache_from=[f"type=registry,ref={ECR}/api-cache"])
    build, push_1, push_2, remove = cls(cls.name).steps(req)
    listed = cls.manifest_list(req)
    assert re.fullmatch(r"localhost/deploy-actions-[0-9a-f]{16}:list", listed)  # a valid reference, always
    assert "--tag" not in build.argv
    assert build.argv[build.argv.index("--manifest") + 1] == listed
    assert build.argv[build.argv.index("--platform") + 1] == "linux/amd64,linux/arm64"
    assert build.argv[build.argv.index("--cache-from") + 1] == f"{ECR}/api-cache"  # buildx syntax read
    assert "--layers" in build.argv  # a cache needs layers
    without_cache = cls(cls.name).steps(request(tmp_path, platforms=["linux/amd64", "linux/arm64"]))[0].argv
    assert "--layers=false" in without_cache  # else podman 4.3 reuses one platform's layer for the other
    assert push_1.argv == [cls.name, "manifest", "push", "--all", "--digestfile", str(req.digest_file), listed,
                           f"docker://{ECR}/api:1.2.3"]
    assert push_2.argv[-1] == f"docker://{ECR}/api:latest"
    assert remove.argv == [cls.name, "manifest", "rm", listed] and not remove.check


def test_several_platforms_built_only_keep_a_list_named_by_the_first_tag(tmp_path: Path) -> None:
    remove, build = Buildah("buildah").steps(request(tmp_path, platforms=["linux/amd64", "linux/arm64"], push=False))
    assert remove.argv == ["buildah", "manifest", "rm", f"{ECR}/api:1.2.3"] and not remove.check
    assert build.argv[build.argv.index("--manifest") + 1] == f"{ECR}/api:1.2.3"


def test_the_list_name_is_a_valid_reference_whatever_the_scratch_directory_is_called(tmp_path: Path) -> None:
    req = request(tmp_path, platforms=["linux/amd64", "linux/arm64"], workdir=tmp_path / "deploy-actions-build-_x1")
    component = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"  # the distribution reference grammar's path component
    assert re.fullmatch(rf"localhost/{component}:list", Buildah.manifest_list(req))
