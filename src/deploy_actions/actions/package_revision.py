"""Package a CodeDeploy revision."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field

from deploy_actions.actions import ActionSpec
from deploy_actions.aws import codedeploy as cd_api
from deploy_actions.aws import s3 as s3_api
from deploy_actions.bundle import appspec as appspec_rules
from deploy_actions.bundle import deployment_info
from deploy_actions.bundle.archive import EXTENSIONS, BundleEntry, collect_files, manifest_digest, write_archive
from deploy_actions.bundle.upload import S3Object, already_stored, content_addressed_key, upload
from deploy_actions.core.context import RunContext
from deploy_actions.core.environment import Env
from deploy_actions.core.errors import InputError, InputProblem
from deploy_actions.core.inputs import AwsInputs, KeyValues, MultiLine
from deploy_actions.core.outputs import ActionOutputs
from deploy_actions.core.summary import markdown_table


class Inputs(AwsInputs):
    source: str = Field(".", description="Directory whose files make up the revision.")
    appspec: str = Field("appspec.yml", description="Path of the appspec, relative to source. It is "
                         "validated and stored as appspec.yml at the bundle root.")
    include: MultiLine = Field([], description="Globs (.gitignore syntax, one per line) of files to "
                               "include. Default: everything under source.")
    exclude: MultiLine = Field([], description="Globs (.gitignore syntax, one per line) of files to "
                               "leave out. .git/ is always left out.")
    deployment_info: KeyValues = Field({}, description="Extra KEY=VALUE lines for deployment-info.env, "
                                       "added to COMMIT_SHA, REF, REPOSITORY, ACTOR, RUN_URL, IMAGE, "
                                       "DEPLOYED_AT and COMMIT_MESSAGE. Values are quoted so any text is "
                                       "safe to source.")
    image: str | None = Field(None, description="Container image reference the hooks deploy; written "
                              "as IMAGE in deployment-info.env.")
    bundle_type: Literal["zip", "tgz", "tar"] = Field("zip", description="Archive format.")
    output: str | None = Field(None, description="Path of the archive to write. Default: "
                               "revision.<ext> in the working directory.")
    bucket: str | None = Field(None, description="S3 bucket to upload to. Empty: build the archive only.")
    key_prefix: str | None = Field(None, description="S3 key prefix; the key is "
                                   "<prefix>/<name>-<digest of the files>.<ext>.")
    application: str | None = Field(None, description="CodeDeploy application; when set the revision "
                                    "is registered with it (RegisterApplicationRevision).")
    description: str | None = Field(None, description="Description stored with the registered revision.")

    def problems(self) -> list[InputProblem]:
        found = []
        if self.application and not self.bucket:
            found.append(InputProblem("application", self.application,
                                      "registering a revision needs bucket: set bucket to the S3 bucket "
                                      "CodeDeploy reads revisions from"))
        if self.bucket and (problem := s3_api.bucket_name_problem(self.bucket)):
            found.append(InputProblem("bucket", self.bucket, problem))
        return found


class Outputs(ActionOutputs):
    bundle_path: str = Field(description="Path of the archive written; empty when S3 already held the revision "
                             "built from the same files (nothing was built).")
    sha256: str = Field(description="SHA-256 of the archive (hex).")
    bundle_type: str = Field(description="zip, tgz or tar.")
    s3_bucket: str | None = Field(None, description="Bucket the revision is in.")
    s3_key: str | None = Field(None, description="Content-addressed S3 key.")
    s3_etag: str | None = Field(None, description="ETag of the S3 object.")
    s3_version: str | None = Field(None, description="S3 version id (versioned buckets).")
    uploaded: bool = Field(False, description="true when the archive was uploaded; false when the same "
                           "content was already there or no bucket was given.")
    revision: dict[str, object] | None = Field(None, description="CodeDeploy RevisionLocation JSON, the "
                                               "revision input of codedeploy-deploy.")


def run(inputs: Inputs, ctx: RunContext) -> Outputs:
    report = ctx.reporter
    source = _source_dir(inputs.source)
    appspec_path = source / inputs.appspec
    if not appspec_path.is_file():
        raise InputError.single("appspec", inputs.appspec, f"no file at {appspec_path}; add an appspec.yml "
                                "to the revision or point appspec at it (relative to source)")
    extension = EXTENSIONS[inputs.bundle_type]
    target = _writable_target(inputs.output or f"revision.{extension}")
    appspec_text = _utf8_text(appspec_path, inputs.appspec)

    with report.group("Collect files and validate appspec"):
        # The run's own files (the archive, the dotenv report, the summary) never go into the revision.
        own = [Path(ctx.environ[name]) for name in (Env.DOTENV, Env.SUMMARY) if ctx.environ.get(name)]
        contents = collect_files(source, inputs.include, inputs.exclude, skip=[target, *own])
        contents.add(BundleEntry("appspec.yml", None, content=appspec_text.encode()))
        epoch = deployment_info.build_epoch(ctx.environ, ctx.facts)
        facts = deployment_info.standard_facts(ctx.facts, inputs.image, epoch)
        for replaced in deployment_info.overridden(facts, inputs.deployment_info):
            report.warning(replaced)
        env_text = deployment_info.render(facts, inputs.deployment_info)
        contents.add(BundleEntry(deployment_info.FILE_NAME, None, content=env_text.encode()))
        shown_path = _display_path(appspec_path)
        spec = appspec_rules.parse_appspec(appspec_text, shown_path, contents.has, contents.is_executable)
        for warning in spec.warnings:
            report.warning(warning.message, file=warning.file, line=warning.line)
        report.info(f"{len(contents.entries)} files, {len(spec.hooks)} hook scripts; appspec is valid")

    s3 = codedeploy = None
    if inputs.bucket:
        clients = ctx.aws(inputs)
        s3 = clients.client("s3")
        s3_api.check_bucket(s3, inputs.bucket)
        if inputs.application:
            codedeploy = clients.client("codedeploy")
            cd_api.check_application(codedeploy, inputs.application)

    digest = manifest_digest(contents, inputs.bundle_type, epoch)
    name = inputs.application or source.resolve().name or "revision"
    key = content_addressed_key(inputs.key_prefix, name, digest, extension)
    stored: S3Object | None = None
    if s3 is not None and inputs.bucket:
        stored = already_stored(s3, inputs.bucket, key, digest)
    built = stored is None
    if stored is None:
        with report.group(f"Build {inputs.bundle_type} archive"):
            sha256 = write_archive(contents, target, inputs.bundle_type, epoch)
            report.info(f"{target} ({target.stat().st_size} bytes) sha256={sha256}")
    else:
        sha256 = stored.sha256
        report.info(f"unchanged: s3://{inputs.bucket}/{key} was built from the same files (sha256={sha256}); "
                    "nothing to build or upload")

    revision = None
    if s3 is not None and inputs.bucket:
        if stored is None:
            with report.group(f"Upload to s3://{inputs.bucket}/{key}"):
                stored = upload(s3, target, inputs.bucket, key, sha256, digest, inputs.bundle_type)
                report.info("uploaded")
        revision = _revision(stored, inputs.bundle_type)
        if codedeploy is not None and inputs.application:
            cd_api.register_revision(codedeploy, inputs.application, revision, inputs.description)
            report.info(f"registered with CodeDeploy application {inputs.application}")

    outputs = Outputs(
        bundle_path=str(target) if built else "", sha256=sha256, bundle_type=inputs.bundle_type,
        s3_bucket=stored.bucket if stored else None, s3_key=stored.key if stored else None,
        s3_etag=stored.etag if stored else None, s3_version=stored.version if stored else None,
        uploaded=bool(stored and stored.uploaded), revision=revision,
    )
    report.summary(_summary(outputs, len(contents.entries)))
    return outputs


def _source_dir(value: str) -> Path:
    path = Path(value)
    if not path.is_dir():
        raise InputError.single("source", value, "not a directory; point source at the folder holding "
                                "appspec.yml and the hook scripts")
    return path


def _writable_target(value: str) -> Path:
    """The archive's path, checked before any work: its folder exists (or can be made) and takes files."""
    target = Path(value).absolute()
    if target.is_dir():
        raise InputError.single("output", value, "is a directory; give the archive's file path, e.g. out/revision.zip")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".deploy-actions-"):
            pass
    except OSError as exc:
        raise InputError.single("output", value, f"cannot write there ({exc.strerror or exc}); choose a writable "
                                "path, e.g. in the workspace") from None
    return target


def _utf8_text(path: Path, shown: str) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.single("appspec", shown, f"is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def _display_path(path: Path) -> str:
    """Relative to the workspace when inside it (annotations need that), absolute otherwise."""
    absolute = path.absolute()
    return str(absolute.relative_to(Path.cwd())) if absolute.is_relative_to(Path.cwd()) else str(absolute)


def _revision(stored: S3Object, bundle_type: str) -> dict[str, object]:
    location: dict[str, object] = {"bucket": stored.bucket, "key": stored.key, "bundleType": bundle_type,
                                   "eTag": stored.etag}
    if stored.version:
        location["version"] = stored.version
    return {"revisionType": "S3", "s3Location": location}


def _summary(outputs: Outputs, files: int) -> str:
    archive = f"`{Path(outputs.bundle_path).name}`" if outputs.bundle_path else "not built (unchanged)"
    rows = [("archive", f"{archive} ({outputs.bundle_type}, {files} files)"),
            ("sha256", f"`{outputs.sha256}`")]
    if outputs.s3_key:
        state = "uploaded" if outputs.uploaded else "unchanged (already in S3)"
        rows.append(("S3", f"`s3://{outputs.s3_bucket}/{outputs.s3_key}` — {state}"))
    return "### 📦 package-revision\n\n" + markdown_table(("", ""), rows)


SPEC = ActionSpec(
    name="package-revision",
    title=ActionSpec.title_from(__doc__),
    description="Validate appspec.yml, add a safely quoted deployment-info.env, write a byte-reproducible "
    "zip/tgz/tar, upload it to S3 under a content-addressed key (skipped when unchanged) and register it.",
    icon="package",
    color="orange",
    inputs=Inputs,
    outputs=Outputs,
    run=run,
)
