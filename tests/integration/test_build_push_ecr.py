"""build-push-ecr against the emulator's ECR (a real registry behind a real token): docker, buildah and podman
build FROM scratch and push; what DescribeImages answers is what the action reported."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.emulator.ecr.service import FindingsRule, finding
from tests.conftest import AwsEndpoint
from tests.e2e.conftest import missing
from tests.integration.emulator.ecr_registry import RegistryClient, need_registry_binary

pytestmark = pytest.mark.e2e
SHA = "90dd6032fac8bda1b6c4436a2e65de27961ed071"
SECRET = "s3cr3t-" + uuid.uuid4().hex


@pytest.fixture
def ecr(aws: AwsEndpoint) -> Any:
    need_registry_binary()
    return aws.client("ecr")


def container_storage(root: Path) -> dict[str, str]:
    """buildah and podman without a daemon or privileges, in a storage of their own (as in a CI container)."""
    root.mkdir(parents=True, exist_ok=True)
    conf = root / "storage.conf"
    conf.write_text(f'[storage]\ndriver = "vfs"\ngraphroot = "{root / "graph"}"\nrunroot = "{root / "run"}"\n')
    return {"CONTAINERS_STORAGE_CONF": str(conf), "BUILDAH_ISOLATION": "chroot"}


def tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        missing(name, f"apt-get install {name}; .ci/run installs it")
    if name == "docker" and subprocess.run([path, "info"], capture_output=True, timeout=60).returncode != 0:
        missing("a Docker engine", "start dockerd; .ci/run does")
    return path


def app(root: Path, marker: str, *, secret: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "release.txt").write_text(f"{marker}\n")
    lines = ["FROM scratch", "COPY release.txt /release.txt"]
    if secret:  # the secret is used during the build, and only its length stays in the image
        shutil.copy("/bin/busybox", root / "busybox")
        lines += ["COPY busybox /bin/busybox",
                  'RUN --mount=type=secret,id=token ["/bin/busybox", "sh", "-c", '
                  '"/bin/busybox wc -c < /run/secrets/token > /token-length"]']
    (root / "Dockerfile").write_text("\n".join(lines) + "\n")
    return root


def tag_push(tag: str, tmp_path: Path) -> dict[str, str]:
    """A GitHub run for a pushed tag."""
    return {"GITHUB_SHA": SHA, "GITHUB_REF": f"refs/tags/{tag}", "GITHUB_REF_NAME": tag, "GITHUB_REF_TYPE": "tag",
            "GITHUB_EVENT_NAME": "push", "GITHUB_REPOSITORY": "acme/api", "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_WORKSPACE": str(tmp_path)}


def layers(client: RegistryClient, repository: str, digest: str) -> dict[str, bytes]:
    """Every file of every layer of the pushed image, and its configuration (labels, history) as "<config>"."""
    status, _, body = client.request("GET", f"/v2/{repository}/manifests/{digest}", headers={"Accept": ", ".join([
        "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"])})
    assert status == 200
    manifest = json.loads(body)
    _, _, config = client.request("GET", f"/v2/{repository}/blobs/{manifest['config']['digest']}")
    files: dict[str, bytes] = {"<config>": config}
    for layer in manifest["layers"]:
        _, _, blob = client.request("GET", f"/v2/{repository}/blobs/{layer['digest']}")
        data = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive.getmembers():
                handle = archive.extractfile(member)
                files[member.name.lstrip("./")] = handle.read() if handle else b""
    return files


def test_docker_builds_tags_by_semver_and_pushes_what_describe_images_shows(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    tool("docker")
    name = f"bpe/docker-{uuid.uuid4().hex[:8]}"
    context = app(tmp_path / "app", uuid.uuid4().hex)
    before = set(Path("/tmp").glob("deploy-actions-auth-*"))
    result = run_cli("build-push-ecr", "--repository", name, "--context", str(context), "--builder", "docker",
                     "--create-repository", "true", "--tags", "type=semver,pattern={{version}}\n"
                     "type=semver,pattern={{major}}.{{minor}}\ntype=sha",
                     env={**aws.env, **tag_push("v1.2.3", tmp_path)})
    assert result.code == 0, result.log + result.stdout
    out = result.outputs
    registry = out["registry"]
    assert out["image"] == f"{registry}/{name}:1.2.3"
    assert json.loads(out["tags"]) == [f"{registry}/{name}:{t}" for t in ("1.2.3", "1.2", "sha-90dd603", "latest")]
    assert out["version"] == "1.2.3"
    [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert detail["imageDigest"] == out["digest"]
    assert sorted(detail["imageTags"]) == sorted(["1.2.3", "1.2", "sha-90dd603", "latest"])
    assert out["image-digest-uri"] == f"{registry}/{name}@{detail['imageDigest']}"
    labels = json.loads(out["labels"])
    assert labels["org.opencontainers.image.revision"] == SHA
    assert labels["org.opencontainers.image.source"] == "https://github.com/acme/api"
    assert labels["org.opencontainers.image.version"] == "1.2.3"
    summary = (tmp_path / "summary.md").read_text()
    assert out["digest"] in summary and "docker" in summary
    # The login lived only for the step: no credentials left behind.
    assert not (tmp_path / ".docker").exists()
    assert set(Path("/tmp").glob("deploy-actions-auth-*")) == before
    subprocess.run(["docker", "image", "rm", *json.loads(out["tags"])], capture_output=True, check=False)


def test_buildah_passes_a_build_secret_that_reaches_no_log_layer_output_or_summary(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    tool("buildah")
    name = f"bpe/buildah-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name)
    context = app(tmp_path / "app", uuid.uuid4().hex, secret=True)
    env = {**aws.env, **container_storage(tmp_path / "containers"), **tag_push("v2.0.0", tmp_path),
           "DEPLOY_ACTIONS_DEBUG": "1"}
    result = run_cli("build-push-ecr", "--repository", name, "--context", str(context), "--builder", "buildah",
                     "--secrets", f"token={SECRET}", "--build-args", "GREETING=hello", env=env)
    assert result.code == 0, result.log + result.stdout
    [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert detail["imageDigest"] == result.outputs["digest"]
    files = layers(RegistryClient(ecr), name, result.outputs["digest"])
    assert files["token-length"].strip() == str(len(SECRET)).encode()  # the secret was really mounted
    everything = [result.log, result.stdout, (tmp_path / "summary.md").read_text(), *map(repr, files.values())]
    assert not any(SECRET in text for text in everything)


def test_podman_builds_and_pushes(run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    tool("podman")
    name = f"bpe/podman-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name, imageScanningConfiguration={"scanOnPush": True})
    context = app(tmp_path / "app", uuid.uuid4().hex)
    env = {**aws.env, **container_storage(tmp_path / "containers"), "GITHUB_SHA": SHA,
           "GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main", "GITHUB_REF_TYPE": "branch"}
    result = run_cli("build-push-ecr", "--repository", name, "--context", str(context), "--builder", "podman", env=env)
    assert result.code == 0, result.log + result.stdout
    [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert detail["imageDigest"] == result.outputs["digest"]
    assert sorted(detail["imageTags"]) == ["main", "sha-90dd603"]
    # No scan gate, so no findings were waited for: empty, not {} (which reads as "scanned, nothing found").
    assert result.outputs["scan-findings"] == ""


def test_the_same_commit_rebuilt_by_buildah_elsewhere_is_the_same_image(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    """Two runners, two empty storages, one commit: one digest (buildah --timestamp at the commit's time), so a
    rebuild pushes nothing new and a deployment pinned by digest stays valid."""
    tool("buildah")
    name = f"bpe/repro-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name)
    context = app(tmp_path / "app", "same")
    digests = []
    for runner in ("one", "two"):
        env = {**aws.env, **container_storage(tmp_path / runner), "GITHUB_SHA": SHA, "SOURCE_DATE_EPOCH": "1700000000"}
        result = run_cli("build-push-ecr", "--repository", name, "--context", str(context), "--builder", "buildah",
                         env=env)
        assert result.code == 0, result.log + result.stdout
        digests.append(result.outputs["digest"])
    assert digests[0] == digests[1]
    assert len(ecr.describe_images(repositoryName=name)["imageDetails"]) == 1


def test_creation_settings_for_a_repository_that_exists_are_said_to_change_nothing(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    tool("buildah")
    name = f"bpe/exists-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name)
    result = run_cli("build-push-ecr", "--repository", name, "--context", str(app(tmp_path / "app", "x")),
                     "--builder", "buildah", "--keep-last", "5", "--tag-immutability", "true",
                     env={**aws.env, **container_storage(tmp_path / "c"), "GITHUB_SHA": SHA})
    assert result.code == 0, result.log + result.stdout
    assert f"{name} exists, so tag-immutability, keep-last changed nothing" in result.log, result.log
    [repo] = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    assert repo["imageTagMutability"] == "MUTABLE"  # as the warning says: the repository is as it was
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.get_lifecycle_policy(repositoryName=name)
    # The examples' "create-repository: true, keep-last: 50" on every run: the later runs are not warned.
    again = run_cli("build-push-ecr", "--repository", name, "--context", str(app(tmp_path / "app", "x")),
                    "--builder", "buildah", "--create-repository", "true", "--keep-last", "50",
                    env={**aws.env, **container_storage(tmp_path / "c"), "GITHUB_SHA": SHA})
    assert again.code == 0 and "changed nothing" not in again.log, again.log


def test_an_ecr_cache_repository_that_is_missing_stops_before_building_or_is_created(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    tool("buildah")
    name = f"bpe/cached-{uuid.uuid4().hex[:8]}"
    [repo] = [ecr.create_repository(repositoryName=name)["repository"]]
    host = repo["repositoryUri"].partition("/")[0]
    base = ["build-push-ecr", "--repository", name, "--context", str(app(tmp_path / "app", "x")), "--builder",
            "buildah", "--cache-to", f"type=registry,ref={host}/{name}-cache"]
    env = {**aws.env, **container_storage(tmp_path / "c"), "GITHUB_SHA": SHA}
    result = run_cli(*base, env=env)
    _refused(result, "cache-to")  # not after the whole build, pushing the cache
    assert f"no ECR repository {name}-cache" in result.log and "create-repository" in result.log
    made = run_cli(*base, "--create-repository", "true", env=env)
    assert made.code == 0, made.log + made.stdout
    [cache] = ecr.describe_repositories(repositoryNames=[f"{name}-cache"])["repositories"]
    assert cache["imageTagMutability"] == "MUTABLE"
    assert ecr.describe_images(repositoryName=f"{name}-cache")["imageDetails"]  # the cache was pushed there


def _refused(result: Any, name: str) -> None:
    assert result.code == 2, result.log + result.stdout
    assert f"input '{name}'" in result.log, result.log
    assert "\n$ " not in "\n" + result.stdout, result.stdout  # no builder command ran


@pytest.mark.parametrize(("case", "args", "refused"), [
    ("no Dockerfile", ["--dockerfile", "missing/Dockerfile"], "dockerfile"),
    ("bad tag rule", ["--tags", "type=semver,pattern={{version}}\ntype=shaa"], "tags"),
    ("bad flavor", ["--flavor", "latest=always"], "flavor"),
    ("unknown builder", ["--builder", "kaniko"], "builder"),
    ("several platforms for the classic docker builder", ["--builder", "docker", "--platforms",
                                                          "linux/amd64,linux/arm64"], "platforms"),
    ("attestations without buildx", ["--builder", "buildah", "--provenance", "true"], "provenance"),
    ("no tag for this run", ["--tags", "type=ref,event=pr"], "tags"),
    ("policy and keep-last", ["--keep-last", "5", "--lifecycle-policy", "policy.json"], "keep-last"),
])
def test_bad_inputs_stop_before_any_build_or_aws_change(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path, case: str, args: list[str], refused: str) -> None:
    tool("buildah")
    name = f"bpe/refused-{uuid.uuid4().hex[:8]}"
    context = app(tmp_path / "app", "x")
    result = run_cli("build-push-ecr", "--repository", name, "--context", str(context), "--create-repository",
                     "true", *args, env={**aws.env, **container_storage(tmp_path / "c"),
                                         "GITHUB_SHA": SHA, "GITHUB_REF": "refs/heads/main"})
    _refused(result, refused)
    assert name not in [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]


def test_a_missing_repository_without_create_repository_stops_before_building(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    tool("buildah")
    result = run_cli("build-push-ecr", "--repository", f"bpe/missing-{uuid.uuid4().hex[:8]}", "--context",
                     str(app(tmp_path / "app", "x")), "--builder", "buildah",
                     env={**aws.env, **container_storage(tmp_path / "c"), "GITHUB_SHA": SHA})
    _refused(result, "repository")
    assert "create-repository" in result.log


def test_the_docker_builder_refuses_secrets_and_foreign_platforms(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    tool("docker")
    name = f"bpe/docker-refused-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name)
    base = ["build-push-ecr", "--repository", name, "--context", str(app(tmp_path / "app", "x")), "--builder", "docker"]
    env = {**aws.env, "GITHUB_SHA": SHA}
    _refused(run_cli(*base, "--secrets", f"token={SECRET}", env=env), "secrets")
    _refused(run_cli(*base, "--platforms", "linux/s390x", env=env), "platforms")
    assert ecr.describe_images(repositoryName=name)["imageDetails"] == []


def test_an_immutable_tag_already_held_stops_before_building(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    tool("buildah")
    name = f"bpe/immutable-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")
    assert RegistryClient(ecr).push_image(name, "sha-90dd603", "earlier").status == 201
    result = run_cli("build-push-ecr", "--repository", name, "--context", str(app(tmp_path / "app", "x")),
                     "--builder", "buildah", "--tags", "type=sha\ntype=raw,value=candidate",
                     env={**aws.env, **container_storage(tmp_path / "c"), "GITHUB_SHA": SHA})
    _refused(result, "tags")
    assert "sha-90dd603" in result.log and "immutable" in result.log
    assert [d["imageTags"] for d in ecr.describe_images(repositoryName=name)["imageDetails"]] == [["sha-90dd603"]]


def test_latest_already_held_by_an_immutable_repository_names_the_flavor_that_stops_it(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    """The second release into an immutable repository: latest=auto would move latest, which ECR refuses."""
    tool("buildah")
    name = f"bpe/immutable-latest-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")
    assert RegistryClient(ecr).push_image(name, "latest", "v1.2.3").status == 201
    base = ["build-push-ecr", "--repository", name, "--context", str(app(tmp_path / "app", "x")),
            "--builder", "buildah", "--tags", "type=semver,pattern={{version}}"]
    env = {**aws.env, **container_storage(tmp_path / "c"), **tag_push("v1.2.4", tmp_path)}
    result = run_cli(*base, env=env)
    _refused(result, "tags")
    assert "input 'tags' = 'latest'" in result.log and "flavor latest=false" in result.log, result.log
    assert run_cli(*base, "--flavor", "latest=false", env=env).code == 0
    tags = sorted(t for d in ecr.describe_images(repositoryName=name)["imageDetails"] for t in d["imageTags"])
    assert tags == ["1.2.4", "latest"]


@pytest.mark.parametrize(("severity", "scan_on_push", "code"), [("CRITICAL", True, 1), ("LOW", False, 0)])
def test_the_scan_gate_fails_on_critical_findings_and_passes_on_low(
        run_cli: Any, aws: AwsEndpoint, aws_emulator: Any, ecr: Any, tmp_path: Path,
        severity: str, scan_on_push: bool, code: int) -> None:
    tool("buildah")
    name = f"bpe/scan-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name, imageScanningConfiguration={"scanOnPush": scan_on_push})
    aws_emulator.ecr.set_findings(FindingsRule(name, "", [finding("CVE-2026-0001", severity)], seconds=20))
    result = run_cli("build-push-ecr", "--repository", name, "--context", str(app(tmp_path / "app", "x")),
                     "--builder", "buildah", "--scan-gate", "true",
                     env={**aws.env, **container_storage(tmp_path / "c"), "GITHUB_SHA": SHA})
    assert result.code == code, result.log + result.stdout
    assert json.loads(result.outputs["scan-findings"]) == {severity: 1}
    [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert result.outputs["digest"] == detail["imageDigest"]  # pushed either way: the gate judges, it does not hide
    summary = (tmp_path / "summary.md").read_text()
    assert f"1 {severity}" in summary
    if code:
        assert "CVE-2026-0001 (CRITICAL)" in result.log


def test_the_scan_gate_lists_the_worst_first_with_package_and_link(
        run_cli: Any, aws: AwsEndpoint, aws_emulator: Any, ecr: Any, tmp_path: Path) -> None:
    tool("buildah")
    name = f"bpe/scan-worst-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name, imageScanningConfiguration={"scanOnPush": True})
    aws_emulator.ecr.set_findings(FindingsRule(name, "", [finding("CVE-2026-0002", "HIGH"),
                                                          finding("CVE-2026-0001", "CRITICAL")], seconds=20))
    result = run_cli("build-push-ecr", "--repository", name, "--context", str(app(tmp_path / "app", "x")),
                     "--builder", "buildah", "--scan-gate", "true", "--fail-on-severity", "HIGH",
                     env={**aws.env, **container_storage(tmp_path / "c"), "GITHUB_SHA": SHA})
    assert result.code == 1, result.log + result.stdout
    critical = "CVE-2026-0001 (CRITICAL) in emulated: https://nvd.nist.gov/vuln/detail/CVE-2026-0001"
    high = "CVE-2026-0002 (HIGH) in emulated: https://nvd.nist.gov/vuln/detail/CVE-2026-0002"
    assert critical in result.log and high in result.log, result.log
    assert result.log.index(critical) < result.log.index(high)
    assert "scan gate: 1 CRITICAL, 1 HIGH in " in result.log


def test_sigterm_during_a_silent_build_stops_the_builder_and_leaves_no_credentials_or_secrets(
        aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    tool("buildah")
    name = f"bpe/cancel-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name)
    context = app(tmp_path / "app", "x", secret=True)
    with (context / "Dockerfile").open("a") as dockerfile:
        dockerfile.write('RUN ["/bin/busybox", "sleep", "300"]\n')
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TMPDIR": str(scratch), **aws.env,
           **container_storage(tmp_path / "c"), "GITHUB_SHA": SHA}
    cli = Path(sys.executable).parent / "deploy-actions"
    process = subprocess.Popen([str(cli), "build-push-ecr", "--repository", name, "--context", str(context),
                                "--builder", "buildah", "--secrets", f"token={SECRET}"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    seen = []
    try:
        for line in process.stdout:  # the build reached the silent step
            seen.append(line)
            if "busybox\", \"sleep\"" in line:
                break
        assert any(p.name.startswith("deploy-actions-auth-") for p in scratch.iterdir())  # logged in meanwhile
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:  # the test failed: leave nothing running
            process.kill()
            process.wait()
    assert process.returncode == 128 + signal.SIGTERM, "".join(seen) + rest
    assert "cancelled" in rest
    assert [p.name for p in scratch.iterdir() if p.name.startswith("deploy-actions-")] == []
    assert ecr.describe_images(repositoryName=name)["imageDetails"] == []


@pytest.mark.parametrize("builder", ["buildah", "podman"])
def test_several_platforms_push_one_index_whose_digest_is_reported(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path, builder: str) -> None:
    tool(builder)
    name = f"bpe/multi-{builder}-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name)
    result = run_cli("build-push-ecr", "--repository", name, "--context", str(app(tmp_path / "app", "x")),
                     "--builder", builder, "--platforms", "linux/amd64,linux/arm64",
                     env={**aws.env, **container_storage(tmp_path / "c"), "GITHUB_SHA": SHA})
    assert result.code == 0, result.log + result.stdout
    details = ecr.describe_images(repositoryName=name)["imageDetails"]
    [tagged] = [d for d in details if d.get("imageTags")]
    assert tagged["imageDigest"] == result.outputs["digest"]
    assert tagged["imageTags"] == ["sha-90dd603"]
    assert tagged["imageManifestMediaType"] in ("application/vnd.oci.image.index.v1+json",
                                                "application/vnd.docker.distribution.manifest.list.v2+json")
    assert len(details) == 3  # the index and its two platform images, untagged beside it
    status, _, body = RegistryClient(ecr).request("GET", f"/v2/{name}/manifests/{tagged['imageDigest']}", headers={
        "Accept": tagged["imageManifestMediaType"]})
    platforms = sorted(f"{m['platform']['os']}/{m['platform']['architecture']}" for m in json.loads(body)["manifests"])
    assert status == 200 and platforms == ["linux/amd64", "linux/arm64"]


def test_built_only_still_logs_in_so_a_from_of_a_private_ecr_image_pulls(
        run_cli: Any, aws: AwsEndpoint, ecr: Any, tmp_path: Path) -> None:
    tool("buildah")
    base, app_name = f"bpe/base-{uuid.uuid4().hex[:8]}", f"bpe/app-{uuid.uuid4().hex[:8]}"
    env = {**aws.env, **container_storage(tmp_path / "c"), "GITHUB_SHA": SHA}
    pushed = run_cli("build-push-ecr", "--repository", base, "--create-repository", "true", "--context",
                     str(app(tmp_path / "base", "base")), "--builder", "buildah", "--tags", "type=raw,value=v1",
                     env=env)
    assert pushed.code == 0, pushed.log + pushed.stdout
    context = tmp_path / "app"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {pushed.outputs['registry']}/{base}:v1\nLABEL built=on-top\n")
    # A storage of its own: the base image must come from the registry, with the step's login.
    env = {**env, **container_storage(tmp_path / "c2")}
    built = run_cli("build-push-ecr", "--repository", app_name, "--create-repository", "true", "--context",
                    str(context), "--builder", "buildah", "--push", "false", env=env)
    assert built.code == 0, built.log + built.stdout
    assert built.outputs["digest"] == "" and ecr.describe_images(repositoryName=app_name)["imageDetails"] == []
