"""Builders: which one to use (buildx, docker, buildah, podman) and the exact commands each runs.

Every command is built here as an argv list, never a shell line: a build argument or a label holding
quotes, `$` or backticks reaches the builder as written. Build secrets reach the builder as files in a
private directory (`--secret id=ID,src=FILE`), never in an argument, a variable or the image.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from deploy_actions.core.environment import Env

BUILDERS = ("buildx", "docker", "buildah", "podman")
PROBE_TIMEOUT = 20.0
_LOOPBACK = ("127.", "localhost", "[::1]")


def host_platform() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"linux/{arch}"


def is_loopback(registry: str) -> bool:
    """A registry on this machine (the emulator's, a CI service): plain HTTP, so TLS is not verified."""
    return registry.startswith(_LOOPBACK)


def is_ecr(ref: str) -> bool:
    host = ref.split("/", 1)[0]
    return ".dkr.ecr." in host and host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


@dataclass(frozen=True)
class Needs:
    """What a build asks of its builder."""

    platforms: list[str]
    provenance: bool = False
    sbom: bool = False
    cache_to: list[str] = field(default_factory=list)
    secrets: bool = False


@dataclass(frozen=True)
class BuildRequest:
    context: Path
    dockerfile: Path
    images: list[str]  # full references, highest priority first
    labels: Mapping[str, str]
    build_args: Mapping[str, str]
    secret_files: Mapping[str, Path]  # secret id -> file holding its value
    platforms: list[str]
    target: str | None
    cache_from: list[str]
    cache_to: list[str]
    push: bool
    provenance: bool
    sbom: bool
    registry: str  # host[:port] of the images, '' for local-only names
    workdir: Path  # private scratch directory for digest/metadata files
    timestamp: int | None = None  # the commit's time (or SOURCE_DATE_EPOCH): buildah and podman build reproducibly

    @property
    def digest_file(self) -> Path:
        return self.workdir / "digest"

    @property
    def metadata_file(self) -> Path:
        return self.workdir / "metadata.json"


@dataclass(frozen=True)
class Step:
    what: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    capture: Path | None = None  # where its standard output is kept (read afterwards), instead of the log
    check: bool = True  # False: a failure is reported and the run goes on (cleaning up)


class Builder:
    """A builder's commands; subclasses say what they can do."""

    name = ""
    multi_platform = False
    attestations = False
    cache_export = False
    secrets = True

    def __init__(self, program: str) -> None:
        self.program = program

    def problems(self, request: Needs) -> list[tuple[str, str]]:
        """(input, why) for what this builder cannot do with these inputs: refused before any AWS call."""
        found = []
        if len(request.platforms) > 1 and not self.multi_platform:
            found.append(("platforms", f"builder {self.name} builds one platform at a time; use builder buildx "
                          "(docker/setup-buildx-action) for a multi-platform image"))
        if (request.provenance or request.sbom) and not self.attestations:
            found.append(("provenance" if request.provenance else "sbom",
                          f"builder {self.name} makes no attestations; only buildx does"))
        if request.cache_to and not self.cache_export:
            found.append(("cache-to", f"builder {self.name} cannot export a build cache; use buildx, buildah or "
                          "podman, or remove cache-to"))
        if request.secrets and not self.secrets:
            found.append(("secrets", f"builder {self.name} (the classic Docker builder) cannot pass build secrets; "
                          "use buildx, buildah or podman"))
        return found

    def steps(self, request: BuildRequest) -> list[Step]:
        raise NotImplementedError

    def digest(self, request: BuildRequest) -> str:
        text = request.digest_file.read_text(encoding="utf-8").strip() if request.digest_file.exists() else ""
        return text if text.startswith("sha256:") else ""

    @staticmethod
    def _common(request: BuildRequest) -> list[str]:
        argv = ["--file", str(request.dockerfile)]
        for image in request.images:
            argv += ["--tag", image]
        for key, value in request.labels.items():
            argv += ["--label", f"{key}={value}"]
        for key, value in request.build_args.items():
            argv += ["--build-arg", f"{key}={value}"]
        if request.target:
            argv += ["--target", request.target]
        return argv

    @staticmethod
    def _secrets(request: BuildRequest) -> list[str]:
        argv: list[str] = []
        for secret_id, path in request.secret_files.items():
            argv += ["--secret", f"id={secret_id},src={path}"]
        return argv


def registry_cache(spec: str) -> str:
    """cache-to for an ECR registry cache with the options ECR needs (build-push-action#20,
    aws/containers-roadmap#876): image-manifest=true,oci-mediatypes=true unless given."""
    parts = dict(item.partition("=")[::2] for item in spec.split(","))
    if parts.get("type") != "registry" or not is_ecr(parts.get("ref", "")):
        return spec
    extra = [f"{key}=true" for key in ("image-manifest", "oci-mediatypes") if key not in parts]
    return ",".join([spec, *extra])


class Buildx(Builder):
    name = "buildx"
    multi_platform = True
    attestations = True
    cache_export = True

    def steps(self, request: BuildRequest) -> list[Step]:
        argv = [self.program, "buildx", "build", *self._common(request), *self._secrets(request)]
        if request.platforms:
            argv += ["--platform", ",".join(request.platforms)]
        for spec in request.cache_from:
            argv += ["--cache-from", spec]
        for spec in request.cache_to:
            argv += ["--cache-to", registry_cache(spec)]
        argv += [f"--provenance={str(request.provenance).lower()}", f"--sbom={str(request.sbom).lower()}"]
        argv += ["--metadata-file", str(request.metadata_file)]
        if request.push:
            argv.append("--push")
        elif len(request.platforms) <= 1:
            argv.append("--load")
        return [Step("build and push" if request.push else "build", [*argv, str(request.context)])]

    def digest(self, request: BuildRequest) -> str:
        import json

        try:
            metadata = json.loads(request.metadata_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        digest = metadata.get("containerimage.digest", "") if isinstance(metadata, dict) else ""
        return digest if isinstance(digest, str) and digest.startswith("sha256:") else ""


class Docker(Builder):
    """The Docker engine's classic builder (no buildx plugin): build, then push each tag."""

    name = "docker"
    secrets = False

    def problems(self, request: Needs) -> list[tuple[str, str]]:
        found = super().problems(request)
        if len(request.platforms) == 1 and request.platforms[0] != host_platform():
            found.append(("platforms", f"builder docker (the classic builder) builds for this machine "
                          f"({host_platform()}) only; use buildx for {request.platforms[0]}"))
        return found

    def steps(self, request: BuildRequest) -> list[Step]:
        env = {"DOCKER_BUILDKIT": "0"}
        argv = [self.program, "build", *self._common(request)]
        for spec in request.cache_from:
            argv += ["--cache-from", spec]
        argv += ["--iidfile", str(request.workdir / "iid"), str(request.context)]
        steps = [Step("build", argv, env)]
        if request.push:
            steps += [Step(f"push {image}", [self.program, "push", image], env) for image in request.images]
            steps.append(Step("read digest", [self.program, "image", "inspect", "--format",
                                              "{{json .RepoDigests}}", request.images[0]], env,
                              capture=request.workdir / "repo-digests.json"))
        return steps

    def digest(self, request: BuildRequest) -> str:
        """The pushed manifest's digest, from RepoDigests (name@sha256:…) of the pushed repository."""
        import json

        try:
            digests = json.loads((request.workdir / "repo-digests.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        name = request.images[0].rpartition(":")[0]  # every image has a tag
        for entry in digests if isinstance(digests, list) else []:
            repo, _, digest = str(entry).partition("@")
            if repo == name and digest.startswith("sha256:"):
                return digest
        return ""


class Buildah(Builder):
    """buildah (or podman, same flags): build with the builder's storage, then push each tag with a digest file.
    Runs without a daemon or privileges: STORAGE_DRIVER=vfs and BUILDAH_ISOLATION=chroot in a CI container.
    Several platforms build into a manifest list of this run's own, pushed whole (`manifest push --all`) to
    each tag and removed afterwards; RUN steps for a foreign architecture need qemu-user-static (binfmt)."""

    name = "buildah"
    multi_platform = True
    cache_export = True
    build_verb = "build"

    def _tls(self, request: BuildRequest) -> list[str]:
        return ["--tls-verify=false"] if request.registry and is_loopback(request.registry) else []

    def steps(self, request: BuildRequest) -> list[Step]:
        several = len(request.platforms) > 1
        common = self._common(request)
        if several:  # the platform images go into a list; the tags go on the list when it is pushed
            common = [arg for i, arg in enumerate(common) if arg != "--tag" and (i == 0 or common[i - 1] != "--tag")]
            common += ["--manifest", self.manifest_list(request)]
        argv = [self.program, self.build_verb, *common, *self._secrets(request), *self._tls(request)]
        if request.platforms:
            argv += ["--platform", ",".join(request.platforms)]
        if request.cache_from or request.cache_to:
            argv.append("--layers")
        elif several:  # podman 4.3's layer cache takes an amd64 FROM-scratch step for arm64: one platform lost
            argv.append("--layers=false")
        for spec in request.cache_from:
            argv += ["--cache-from", repository_cache(spec)]
        for spec in request.cache_to:
            argv += ["--cache-to", repository_cache(spec)]
        if request.timestamp is not None:  # else every build stamps its own time: the same commit, a new digest
            argv += ["--timestamp", str(request.timestamp)]
        argv += [str(request.context)]
        steps = [Step("build", argv)]
        if several and not request.push:  # the list keeps the first tag's name: drop an earlier run's list of it
            steps.insert(0, Step("remove an earlier list", [self.program, "manifest", "rm",
                                                           self.manifest_list(request)], check=False))
        if request.push:
            for image in request.images:
                source = ["manifest", "push", "--all"] if several else ["push"]
                what = self.manifest_list(request) if several else image
                steps.append(Step(f"push {image}", [self.program, *source, *self._tls(request), "--digestfile",
                                                    str(request.digest_file), what, f"docker://{image}"]))
        if several and request.push:
            steps.append(Step("remove the manifest list", [self.program, "manifest", "rm",
                                                           self.manifest_list(request)], check=False))
        return steps

    @staticmethod
    def manifest_list(request: BuildRequest) -> str:
        """Pushed: a name of this run's own (its scratch directory's), so an earlier run's list is never added to.
        Built only: the first tag, so the list stays for the user (an earlier list of that name removed first)."""
        if not request.push:
            return request.images[0]
        # hex only: a random directory name (build-_x1) need not be a valid reference component
        return f"localhost/deploy-actions-{hashlib.sha256(str(request.workdir).encode()).hexdigest()[:16]}:list"


def repository_cache(spec: str) -> str:
    """buildah and podman take a cache repository; buildx's `type=registry,ref=REPO[,…]` is read as REPO."""
    parts = dict(item.partition("=")[::2] for item in spec.split(","))
    return parts["ref"] if parts.get("type") == "registry" and parts.get("ref") else spec


class Podman(Buildah):
    name = "podman"


_CLASSES: dict[str, type[Builder]] = {"buildx": Buildx, "docker": Docker, "buildah": Buildah, "podman": Podman}


@dataclass(frozen=True)
class Choice:
    builder: Builder
    reason: str


def _answers(argv: list[str], environ: Mapping[str, str]) -> tuple[bool, str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False,
                              env=dict(environ), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, str(exc)
    text = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return done.returncode == 0, (text[0] if text else "")[:160]


def choose(wanted: str, environ: Mapping[str, str], needs: Needs | None = None) -> Choice | str:
    """The builder to use, with why; or why none can be used (a message for the `builder` input).

    auto tries buildx, then a Docker engine, then buildah, then podman, passing over one that cannot do what
    the build `needs` (the classic Docker builder and build secrets, say). A builder asked for by name is
    returned as found: what it cannot do is refused by name afterwards.
    """
    path = environ.get(Env.PATH)
    docker = shutil.which("docker", path=path)
    tried: list[str] = []
    for name in (BUILDERS if wanted == "auto" else (wanted,)):
        if wanted == "auto" and needs is not None and (refusals := _CLASSES[name]("").problems(needs)):
            tried.append(f"{name}: cannot do {refusals[0][0]}")
            continue
        program = shutil.which("docker" if name in ("buildx", "docker") else name, path=path)
        if name in ("buildx", "docker") and not docker:
            tried.append(f"{name}: no docker command on PATH")
            continue
        if program is None:
            tried.append(f"{name}: not on PATH")
            continue
        if name == "buildx":
            ok, said = _answers([program, "buildx", "version"], environ)
        elif name == "docker":
            ok, said = _answers([program, "version", "--format", "{{.Server.Version}}"], environ)
            said = f"Docker engine {said}" if ok else f"no Docker engine answered ({said})"
        else:
            ok, said = _answers([program, "--version"], environ)
        if ok:
            prefix = f"auto: {'; '.join(tried)}; " if tried else ("auto: " if wanted == "auto" else "")
            return Choice(_CLASSES[name](program), f"{prefix}{name} answered: {said}")
        tried.append(f"{name}: {said or 'failed'}")
    return "no builder can be used here (" + "; ".join(tried) + ")"
