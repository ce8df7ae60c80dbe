"""Build an image and push it to ECR."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from deploy_actions.actions import ActionSpec
from deploy_actions.aws import ecr as ecr_api
from deploy_actions.core.aws import AwsCallFailed
from deploy_actions.core.context import RunContext
from deploy_actions.core.durations import parse_duration
from deploy_actions.core.errors import ConfigurationError, DeploymentFailed, InputError, InputProblem
from deploy_actions.core.inputs import (
    AwsInputs,
    Duration,
    Flag,
    KeyValues,
    MultiLine,
    pair_lines,
    secret_field,
)
from deploy_actions.core.outputs import ActionOutputs
from deploy_actions.core.platform import Reporter
from deploy_actions.image import builders, metadata, repository, scan
from deploy_actions.image.auth import RegistryAuth
from deploy_actions.image.publish import Login, build_and_push, secret_files
from deploy_actions.image.report import image_summary
from deploy_actions.image.tags import (
    RuleError,
    TagPlan,
    compute_labels,
    compute_tags,
    parse_flavor,
    parse_rules,
)

_PLATFORM = re.compile(r"^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$")
_SECRET_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# ECR's CreateRepository constraint (2 to 256 characters)
_REPOSITORY = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
_REGISTRY_HOST = re.compile(r"^(?:[a-z]+://)?[^/]*(?::\d+|\.amazonaws\.com(?:\.cn)?|^localhost)/", re.IGNORECASE)


def _secret_pairs(value: object) -> object:
    """ID=VALUE lines; an id may hold - and . as Docker's do (npm-token). Errors name the line, never its value."""
    if not isinstance(value, str):
        return value
    pairs: dict[str, str] = {}
    for number, key, sep, rest in pair_lines(value):
        if not sep or not _SECRET_ID.match(key):
            raise ValueError(f"line {number}: write ID=VALUE, the id letters, digits, _ . or - (e.g. npm-token=...)")
        pairs[key] = rest
    return pairs


SecretPairs = Annotated[dict[str, str], BeforeValidator(_secret_pairs)]


class Inputs(AwsInputs):
    repository: str = Field(description="ECR repository name (e.g. team/api).")
    context: str = Field(".", description="Build context directory.")
    dockerfile: str | None = Field(None, description="Dockerfile path, relative to the working directory (the "
                                   "repository's root), not to context, as docker build -f. Default: Dockerfile "
                                   "in context.")
    tags: MultiLine = Field([], description="docker/metadata-action tag rules, one per line (type=sha, "
                            "type=ref,event=branch|tag|pr, type=semver,pattern={{version}}, type=pep440, type=raw,"
                            "value=..., type=schedule, type=edge, type=match; enable, priority, prefix, suffix). "
                            "Default: schedule, ref branch/tag/pr and sha.")
    flavor: MultiLine = Field([], description="metadata-action flavor lines: latest=auto|true|false, "
                              "prefix=...[,onlatest=true], suffix=...[,onlatest=true].")
    labels: MultiLine = Field([], description="KEY=VALUE labels over the generated OCI ones, by their full keys "
                              "(org.opencontainers.image.title=..., also source, revision, created, version, url); "
                              "values may use {{branch}}, {{sha}} ...")
    build_args: KeyValues = Field({}, description="Build arguments, KEY=VALUE lines (not for secrets: they stay "
                                  "in the image's history).")
    secrets: SecretPairs = secret_field({}, description="Build secrets, ID=VALUE lines, mounted with RUN "
                                      "--mount=type=secret,id=ID; never in logs, layers or the summary.")
    platforms: str | None = Field(None, description="Target platforms, comma-separated (linux/amd64,linux/arm64). "
                                  "Several make one index (buildx, buildah, podman; not the classic docker builder).")
    target: str | None = Field(None, description="Build stage to stop at.")
    cache_from: MultiLine = Field([], description="Cache sources, one per line (buildx syntax, e.g. type=registry,"
                                  "ref=...).")
    cache_to: MultiLine = Field([], description="Cache exports, one per line; an ECR registry cache gets "
                                "image-manifest=true,oci-mediatypes=true.")
    push: Flag = Field(True, description="Push the image. false: build only (with registry set, no AWS call: "
                       "a pull request from a fork has no credentials).")
    builder: Literal["auto", "buildx", "docker", "buildah", "podman"] = Field(
        "auto", description="auto tries buildx, then a Docker engine, then buildah, then podman.")
    provenance: Flag = Field(False, description="Attach a provenance attestation (buildx). Off: Lambda and other "
                             "ECR consumers refuse attestation indexes.")
    sbom: Flag = Field(False, description="Attach an SBOM attestation (buildx).")
    create_repository: Flag = Field(False, description="Create the repository when missing (false: a missing "
                                    "repository stops the step before building).")
    scan_on_push: Flag = Field(True, description="A created repository scans images on push.")
    tag_immutability: Flag = Field(False, description="A created repository has immutable tags.")
    lifecycle_policy: str | None = Field(None, description="Lifecycle policy JSON file for a created repository.")
    keep_last: int | None = Field(None, ge=1, description="A created repository keeps only its newest N images.")
    scan_gate: Flag = Field(False, description="Wait for ECR's scan of the pushed image and fail on findings at "
                            "or above fail-on-severity.")
    fail_on_severity: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"] = Field(
        "CRITICAL", description="Lowest severity that fails the scan gate.")
    scan_timeout: Duration = Field("15m", description="How long the scan gate waits for the scan.")
    registry: str | None = Field(None, description="Registry host to push to. Default: the ECR registry of the "
                                 "credentials (GetAuthorizationToken's endpoint).")

    def problems(self) -> list[InputProblem]:
        found = []
        if host := _REGISTRY_HOST.match(self.repository):
            found.append(InputProblem("repository", self.repository, "give the repository's name, not its URI: "
                                      f"{self.repository[host.end():]} (the registry is the credentials' ECR, "
                                      "or the registry input)"))
        elif not (_REPOSITORY.fullmatch(self.repository) and 2 <= len(self.repository) <= 256):
            found.append(InputProblem("repository", self.repository, "ECR repository names are 2 to 256 lowercase "
                                      "letters, digits and . _ - / between them (e.g. team/api)"))
        if self.lifecycle_policy and self.keep_last:
            found.append(InputProblem("keep-last", str(self.keep_last), "give lifecycle-policy or keep-last, not both"))
        for name in self.platform_list:
            if not _PLATFORM.match(name):
                found.append(InputProblem("platforms", self.platforms, f"{name!r} is not os/arch[/variant] "
                                          "(e.g. linux/arm64)"))
        if self.scan_gate and not self.push:
            found.append(InputProblem("scan-gate", "true", "nothing is pushed (push: false), so nothing is scanned"))
        return found

    @property
    def platform_list(self) -> list[str]:
        return [p.strip() for p in (self.platforms or "").split(",") if p.strip()]


class Outputs(ActionOutputs):
    registry: str = Field("", description="Registry host the image was pushed to.")
    image: str = Field("", description="Image reference with the highest-priority tag.")
    tags: list[str] = Field([], description="Every image reference the run tagged (JSON list): pushed, unless "
                            "push is false.")
    digest: str = Field("", description="Manifest digest (sha256:...).")
    image_digest_uri: str = Field("", description="repository@digest: what ecs-deploy and package-revision's image "
                                  "should take.")
    labels: dict[str, str] = Field({}, description="Labels set on the image (JSON object).")
    version: str = Field("", description="The highest-priority tag (metadata-action's version).")
    scan_findings: dict[str, int] | None = Field(None, description="Scan findings by severity (JSON; {} when the "
                                                 "scan found none), with scan-gate; empty without it.")


def run(inputs: Inputs, ctx: RunContext) -> Outputs:
    report = ctx.reporter
    for value in inputs.secrets.values():
        report.mask(value)
    problems: list[InputProblem] = []  # every one at once: a CI run per mistake is slow to learn from
    try:
        context, dockerfile = _paths(inputs)
    except InputError as exc:
        problems += exc.problems
    try:
        plan, labels, epoch = _tags_and_labels(inputs, ctx)
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(problems)
    needs = builders.Needs(inputs.platform_list, inputs.provenance, inputs.sbom, inputs.cache_to, bool(inputs.secrets))
    choice = builders.choose(inputs.builder, ctx.environ, needs)
    if isinstance(choice, str):
        raise InputError.single("builder", inputs.builder, choice)
    if refused := [_refusal(inputs, name, why) for name, why in choice.builder.problems(needs)]:
        raise InputError(refused)
    report.info(f"builder: {choice.builder.name} ({choice.reason})")

    ecr = found = token = None
    registry = inputs.registry or ""
    if inputs.push or not registry:
        policy = (repository.read_policy(inputs.lifecycle_policy) if inputs.lifecycle_policy else
                  repository.keep_last_policy(inputs.keep_last) if inputs.keep_last else None)
        try:
            ecr = ctx.aws(inputs).client("ecr")
            found = repository.ensure_repository(ecr, inputs.repository, create=inputs.create_repository,
                                                 scan_on_push=inputs.scan_on_push, immutable=inputs.tag_immutability,
                                                 policy=policy, reporter=report, given=_creation_settings(inputs))
        except ConfigurationError as exc:
            if inputs.push:
                raise
            raise _without_aws(exc) from None
        token = ecr_api.authorization(ecr, str(found.get("registryId") or "") or None)
        report.mask(token.password)
        registry = registry or token.registry
        if taken := repository.taken_tags(ecr, found, plan.tags):
            moving = " (flavor latest=false stops the latest tag)" if "latest" in taken else ""
            raise InputError.single("tags", ", ".join(taken), f"{inputs.repository} has immutable tags and already "
                                    "holds these; ECR would refuse the push. Use tags that change with each build "
                                    f"(type=sha, type=semver,pattern={{{{version}}}}){moving} or a mutable repository")
        if registry == token.registry:
            _cache_repositories(ecr, inputs, registry, report)
    name = f"{registry}/{inputs.repository}" if registry else inputs.repository
    images = [f"{name}:{tag}" for tag in plan.tags]
    ctx.outputs.set(registry=registry, image=images[0], tags=images, labels=labels, version=plan.version)

    with secret_files(inputs.secrets) as (workdir, secrets), RegistryAuth(ctx.environ) as auth:
        request = builders.BuildRequest(
            context=context, dockerfile=dockerfile, images=images, labels=labels, build_args=inputs.build_args,
            secret_files=secrets, platforms=inputs.platform_list, target=inputs.target, cache_from=inputs.cache_from,
            cache_to=inputs.cache_to, push=inputs.push, provenance=inputs.provenance, sbom=inputs.sbom,
            registry=registry, workdir=workdir, timestamp=epoch)
        login = None
        if ecr is not None and token is not None:  # also built only: a FROM of the same registry pulls with it
            login = Login(auth, registry, lambda: ecr_api.authorization(ecr), report)
            login.use(token)
        with report.group(f"Build{' and push' if inputs.push else ''} {images[0]} with {choice.builder.name}"):
            digest = build_and_push(choice.builder, request, login, ctx.environ, report, ctx.cancel)
    if inputs.push and not digest:
        raise DeploymentFailed(f"{choice.builder.name} pushed {images[0]} but reported no digest")
    uri = f"{name}@{digest}" if digest else ""
    ctx.outputs.set(digest=digest, image_digest_uri=uri)

    detail = _pushed_image(ecr, inputs.repository, digest, report) if ecr is not None and digest else None
    findings: scan.ScanResult | None = None
    if inputs.scan_gate and ecr is not None and found is not None:
        with report.group(f"Scan gate: fail on {inputs.fail_on_severity} or worse"):
            scans = bool((found.get("imageScanningConfiguration") or {}).get("scanOnPush"))
            findings = scan.scan(ecr, inputs.repository, digest, scan_on_push=scans, threshold=inputs.fail_on_severity,
                                 timeout=parse_duration(inputs.scan_timeout), reporter=report, cancel=ctx.cancel)
        ctx.outputs.set(scan_findings=findings.counts)
    outputs = Outputs(registry=registry, image=images[0], tags=images, digest=digest, image_digest_uri=uri,
                      labels=labels, version=plan.version, scan_findings=findings.counts if findings else None)
    report.summary(image_summary(outputs.model_dump(), choice.builder.name, detail, findings))
    if findings and (bad := findings.at_or_above(inputs.fail_on_severity)):
        counts = ", ".join(f"{n} {s}" for s, n in bad.items())
        raise DeploymentFailed(f"scan gate: {counts} in {uri}" + "".join(f"\n  {w}" for w in findings.worst))
    return outputs


def _tags_and_labels(inputs: Inputs, ctx: RunContext) -> tuple[TagPlan, dict[str, str], int | None]:
    """metadata-action's tags and OCI labels for this run, and the commit's time for a reproducible build; exit 2
    for a rule that cannot be read or none made."""
    git = metadata.git_ref(ctx.facts, ctx.environ)
    try:
        flavor = parse_flavor(inputs.flavor)
    except RuleError as exc:
        raise _rule_error("flavor", inputs.flavor, exc) from None
    try:
        plan = compute_tags(parse_rules(inputs.tags), flavor, git)
    except RuleError as exc:
        raise _rule_error("tags", inputs.tags, exc) from None
    try:
        generated = metadata.standard_labels(ctx.facts, git, plan.version, metadata.created(ctx.environ, git))
        labels = compute_labels(generated, _label_lines(inputs.labels), git)
    except RuleError as exc:
        raise _rule_error("labels", inputs.labels, exc) from None
    for warning in plan.warnings:
        ctx.reporter.warning(warning)
    if not plan.tags and not git.sha and not git.ref:
        raise InputError.single("tags", _lines(inputs.tags), "no commit, branch or tag to tag by: not a git checkout "
                                "and no GitHub or GitLab run; build in a checkout, or give a tag that needs none, "
                                "e.g. type=raw,value=dev")
    if not plan.tags:
        raise InputError.single("tags", _lines(inputs.tags), f"the rules make no tag for this run "
                                f"(ref {git.ref or 'unknown'}, event {git.event or 'none'}); add one that always "
                                "applies, e.g. type=sha")
    return plan, labels, metadata.source_epoch(ctx.environ, git)


def _pushed_image(ecr: Any, name: str, digest: str, report: Reporter) -> dict[str, Any] | None:
    """DescribeImages of what was pushed, for the summary's size: the image is pushed, so a refusal (no
    ecr:DescribeImages, say) only leaves the size unknown."""
    try:
        return ecr_api.describe_image(ecr, name, digest)
    except AwsCallFailed as exc:
        report.warning(f"the image is pushed; its size is unknown: {exc}")
        return None


def _refusal(inputs: Inputs, name: str, why: str) -> InputProblem:
    if name == "secrets":
        return InputProblem(name, None, why, hidden=True)
    value = inputs.model_dump(by_alias=True).get(name)
    shown = "\n".join(value) if isinstance(value, list) else str(value).lower() if isinstance(value, bool) else value
    return InputProblem(name, shown, why)


def _paths(inputs: Inputs) -> tuple[Path, Path]:
    context = Path(inputs.context)
    if not context.is_dir():
        raise InputError.single("context", inputs.context, "not a directory; point context at the build context")
    dockerfile = Path(inputs.dockerfile) if inputs.dockerfile else context / "Dockerfile"
    if not dockerfile.is_file():
        raise InputError.single("dockerfile", inputs.dockerfile, f"no Dockerfile at {dockerfile}; add one or point "
                                "dockerfile at it")
    return context.absolute(), dockerfile.absolute()


def _cache_repositories(ecr: Any, inputs: Inputs, registry: str, report: Reporter) -> None:
    """An ECR registry cache (cache-to) is pushed to a repository of its own: it exists (or is made, mutable, as
    the cache's tags move), else the build would fail only at its end, pushing the cache."""
    for spec in inputs.cache_to:
        ref = builders.repository_cache(spec)
        host, _, path = ref.partition("/")
        name = path.split("@")[0]
        if ":" in name.rpartition("/")[2]:
            name = name.rpartition(":")[0]
        if host != registry or not name or name == inputs.repository:
            continue
        try:
            repository.ensure_repository(ecr, name, create=inputs.create_repository, scan_on_push=False,
                                         immutable=False, policy=None, reporter=report)
        except InputError:
            raise InputError.single("cache-to", spec, f"no ECR repository {name} for the cache in this account and "
                                    "region; create it (mutable: the cache's tags move), or set create-repository: "
                                    "true") from None


def _without_aws(exc: ConfigurationError) -> ConfigurationError:
    """A build-only run stopped by AWS (no region, no credentials, no repository): it needs none of it."""
    hint = InputProblem("registry", None, "push is false: set registry (the registry's host, e.g. "
                        "123456789012.dkr.ecr.us-east-1.amazonaws.com) and the step builds without any AWS call, "
                        "as a fork's pull request must")
    if isinstance(exc, InputError):
        return InputError([*exc.problems, hint])
    return ConfigurationError(f"{exc}\n{hint.render()}")


def _creation_settings(inputs: Inputs) -> tuple[str, ...]:
    """The inputs set away from their defaults that only shape a repository this step creates."""
    return tuple(name for name, given in (("scan-on-push", not inputs.scan_on_push),
                                          ("tag-immutability", inputs.tag_immutability),
                                          ("lifecycle-policy", bool(inputs.lifecycle_policy)),
                                          ("keep-last", bool(inputs.keep_last))) if given)


def _lines(lines: list[str]) -> str | None:
    """A multi-line input as the user wrote it, for an error message (None: not set, the default applies)."""
    return "\n".join(lines) or None


def _rule_error(name: str, lines: list[str], exc: RuleError) -> InputError:
    """The input as written (not "(not set)") and the fix; a one-line input is not quoted twice."""
    value, text = _lines(lines), str(exc)
    for quoted in (repr(value) + ": ", f"flavor {value!r}: "):
        text = text.removeprefix(quoted) if value and "\n" not in value else text
    return InputError.single(name, value, text)


def _label_lines(lines: list[str]) -> dict[str, str]:
    labels = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise RuleError(f"label {line!r}: write KEY=VALUE")
        labels[key.strip()] = value
    return labels


SPEC = ActionSpec(
    name="build-push-ecr",
    title=ActionSpec.title_from(__doc__),
    description="Log in to ECR, make sure the repository exists, compute tags with docker/metadata-action's rules, "
    "build with buildx, docker, buildah or podman, push, report the digest, and gate on ECR's scan findings.",
    icon="box",
    color="orange",
    inputs=Inputs,
    outputs=Outputs,
    run=run,
)
