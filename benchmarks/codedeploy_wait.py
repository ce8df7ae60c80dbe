"""codedeploy-deploy beside the seeds' `create-deployment` + `get-deployment`/`sleep 15` loop, same deployment.

    .venv/bin/python benchmarks/codedeploy_wait.py [--repeat 3] [--clock-factor 6] [--start-seconds 4] [--no-failure]

One emulator in this process (ec2-rolling: 2 instances, OneAtATime, ALB, automatic rollback on
failure) deploys a copy of examples/app whose ApplicationStart takes ``--start-seconds`` (an app
warming up), plus 15 / (2 * repeat) s more in each further repetition: the deployments' lengths then
spread over one 15 s period of the bash loop, whose tail would otherwise be the same phase every time.
Each repetition deploys its revision once with each side, in alternating order:

- the bash loop of seed 001, run as GitHub runs a `run:` step (`bash --noprofile --norc -eo pipefail`),
  with the aws CLI v1;
- `deploy-actions codedeploy-deploy --application A --deployment-group G --revision '<json>'`.

Then, unless ``--no-failure``, one deployment of a revision whose ValidateService fails, per side.
Every API request is logged as it reaches the emulator's WSGI app (requests the emulator makes to
itself carry X-Deploy-Actions-Emulator-Internal and are left out). Prints markdown for RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any, NamedTuple

from _common import CLI, REPO, aws_cli, command_line, exit_cleanly_on_sigterm, load, machine, median
from tests.support.revisions import upload_revision, zip_revision

from deploy_actions.emulator.codedeploy import state
from deploy_actions.emulator.core import http_layer
from deploy_actions.emulator.seed import load_scenario, seed
from deploy_actions.emulator.server import Emulator

APP = REPO / "examples" / "app"
DONE = ("Succeeded", "Failed", "Stopped")
ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")
OURS, BASH = "ours", "bash"
OURS_COMMAND = shlex.join(["deploy-actions", "codedeploy-deploy", "--application", "A", "--deployment-group", "G",
                           "--revision", "<json>"])
LOG_MARKER = "database connection refused"  # a line only the failing hook's log holds

# Seed 001's two steps ("CodeDeploy 배포 생성", "배포 상태 모니터링"), in one script; only the
# names come from the environment. `aws` is the aws CLI v1 first on PATH.
BASH_LOOP = """\
DEPLOYMENT_ID=$(aws deploy create-deployment \\
  --application-name "$CODEDEPLOY_APP" \\
  --deployment-group-name "$CODEDEPLOY_GROUP" \\
  --deployment-config-name CodeDeployDefault.OneAtATime \\
  --description "Deploy commit $GITHUB_SHA" \\
  --s3-location "bucket=$BUCKET,key=$KEY,bundleType=zip" \\
  --query 'deploymentId' \\
  --output text)
echo "Monitoring deployment: $DEPLOYMENT_ID"

while true; do
  STATUS=$(aws deploy get-deployment \\
    --deployment-id $DEPLOYMENT_ID \\
    --query 'deploymentInfo.status' \\
    --output text)

  echo "Current status: $STATUS"

  if [ "$STATUS" = "Succeeded" ]; then
    echo "Deployment succeeded!"
    exit 0
  elif [ "$STATUS" = "Failed" ] || [ "$STATUS" = "Stopped" ]; then
    echo "Deployment failed!"
    exit 1
  fi

  sleep 15
done
"""

FAILING_VALIDATE = f"""#!/bin/sh
# ValidateService of a broken release: the app is up but cannot reach its database.
. "$(dirname "$0")/common.sh"
echo "checking http://$HOST:$PORT/health"
echo "GET /health -> 503 Service Unavailable"
echo "health check failed: {LOG_MARKER} (jdbc:postgresql://db.internal:5432/app)" >&2
exit 1
"""


class Call(NamedTuple):
    at: float  # time.perf_counter() in this process
    operation: str  # X-Amz-Target operation, or "s3 HEAD" and the like
    agent: str


class CountingEmulator(Emulator):
    """The emulator, logging every API request (but its own internal ones) as it reaches the WSGI app."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.counted: list[Call] = []

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("HTTP_X_DEPLOY_ACTIONS_EMULATOR_INTERNAL") \
                and not environ.get("PATH_INFO", "").startswith("/_emulator/"):
            at = time.perf_counter()
            service, operation, _ = http_layer.service_and_operation(environ)  # puts the body back
            if not environ.get("HTTP_X_AMZ_TARGET"):
                operation = f"{service} {operation}"
            self.counted.append(Call(at, operation, environ.get("HTTP_USER_AGENT", "")))
        return super()._wsgi(environ, start_response)


class Observer:
    """Reads the deployments' status in this process (no API call) every 5 ms; notes when each ends."""

    def __init__(self, emulator: Emulator) -> None:
        self.backend = state.backend(emulator.account, emulator.region)
        self.finished: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-observer", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            with state.LOCK:
                seen = [(str(i.deployment_id), i.status) for i in self.backend.deployments.values()]
            now = time.perf_counter()
            for deployment_id, status in seen:
                if status in DONE and deployment_id not in self.finished:
                    self.finished[deployment_id] = now

    def deployments(self) -> dict[str, Any]:
        with state.LOCK:
            return dict(self.backend.deployments)

    def __enter__(self) -> Observer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Proc:
    start: float
    end: float
    code: int
    lines: list[tuple[float, str]]

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)


def run_logged(cmd: list[str], env: dict[str, str], cwd: Path) -> Proc:
    """Run to completion, stdout and stderr merged as in a CI log, each line timestamped as it arrives."""
    lines: list[tuple[float, str]] = []
    start = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1)
    assert process.stdout is not None
    stream = process.stdout

    def read() -> None:
        for line in stream:
            lines.append((time.perf_counter(), line.rstrip("\n")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    code = process.wait()
    end = time.perf_counter()
    reader.join()
    return Proc(start, end, code, lines)


@dataclass
class Result:
    """One run of one side, every time in seconds of time.perf_counter()."""

    side: str
    proc: Proc
    deployment_id: str
    status: str
    finished: float  # completeTime of the deployment, on this process's perf_counter
    observed: float  # when the observer saw the final status
    calls: list[Call]
    info: Any = None
    rollback_id: str = ""

    @property
    def created(self) -> float:
        return next(c.at for c in self.calls if c.operation == "CreateDeployment")

    @property
    def saw_it(self) -> float:
        """The first GetDeployment after the deployment finished: the poll that learned it."""
        return next((c.at for c in self.calls if c.operation == "GetDeployment" and c.at >= self.finished),
                    self.proc.end)

    def counts(self) -> Counter[str]:
        return Counter(c.operation for c in self.calls)


@dataclass
class Bench:
    emulator: CountingEmulator
    observer: Observer
    env: dict[str, str]
    names: dict[str, Any]
    work: Path
    aws_dir: str
    offset: float = field(default_factory=lambda: time.time() - time.perf_counter())

    def command(self, side: str, revision: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
        env = dict(self.env)
        if side == BASH:
            script = self.work / "deploy.sh"
            script.write_text(BASH_LOOP)
            env.update(PATH=f"{self.aws_dir}{os.pathsep}{env['PATH']}", CODEDEPLOY_APP=self.names["application"],
                       CODEDEPLOY_GROUP=self.names["deployment_group"], BUCKET=revision["s3Location"]["bucket"],
                       KEY=revision["s3Location"]["key"], GITHUB_SHA="0123abc")
            return ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], env
        return [str(CLI), "codedeploy-deploy", "--application", self.names["application"], "--deployment-group",
                self.names["deployment_group"], "--revision", json.dumps(revision)], env

    def run(self, side: str, revision: dict[str, Any]) -> Result:
        self.wait_idle()
        before = set(self.observer.deployments())
        cmd, env = self.command(side, revision)
        proc = run_logged(cmd, env, self.work)
        created = [i for d, i in self.observer.deployments().items() if d not in before and i.creator == "user"]
        if len(created) != 1:
            raise SystemExit(f"{side}: expected one deployment, found {len(created)}\n{proc.text}")
        info = created[0]
        deployment_id = str(info.deployment_id)
        deadline = time.monotonic() + 5
        while deployment_id not in self.observer.finished and time.monotonic() < deadline:
            time.sleep(0.01)
        if info.status not in DONE:
            raise SystemExit(f"{side}: the process ended ({proc.code}) before {deployment_id} did\n{proc.text}")
        complete = info.complete_time.replace(tzinfo=UTC).timestamp() - self.offset
        calls = [c for c in self.emulator.counted if proc.start <= c.at <= proc.end]
        client = "aws-cli/" if side == BASH else "deploy-actions/"
        strays = Counter(c.agent for c in calls if client not in c.agent)
        if strays:  # nothing else calls the emulator during a run; say so if something did
            print(f"warning: {side}: {sum(strays.values())} requests from other clients: {dict(strays)}",
                  file=sys.stderr)
        run = state.extras(self.observer.backend).runs[deployment_id]
        rollback_id = (run.rollback_info or {}).get("rollbackDeploymentId", "")
        return Result(side, proc, deployment_id, info.status, complete, self.observer.finished[deployment_id],
                      calls, info, rollback_id)

    def wait_idle(self, timeout: float = 600) -> None:
        """No deployment of the group active (a rollback the bash loop left behind runs to its end)."""
        deadline = time.monotonic() + timeout
        while any(i.status in ACTIVE for i in self.observer.deployments().values()):
            if time.monotonic() > deadline:
                raise SystemExit(f"a deployment is still active after {timeout:g} s")
            time.sleep(0.05)


def revisions(emulator: Emulator, bucket: str, start_seconds: list[float]) -> dict[str, dict[str, Any]]:
    """quick: examples/app as is; slow-N: ApplicationStart takes start_seconds[N]; broken: ValidateService fails."""
    start = (APP / "scripts" / "start.sh").read_text()
    marker = 'echo "started app'
    assert marker in start, "examples/app/scripts/start.sh changed: update the benchmark's warm-up line"

    def slow(seconds: float) -> str:
        return start.replace(marker, f"sleep {seconds:g}  # the app warming up\n{marker}")

    s3 = emulator.client("s3")
    found = {"quick": upload_revision(s3, bucket, zip_revision(APP)),
             "broken": upload_revision(s3, bucket, zip_revision(APP, {"scripts/start.sh": slow(start_seconds[0]),
                                                                      "scripts/validate.sh": FAILING_VALIDATE}))}
    for index, seconds in enumerate(start_seconds):
        found[f"slow-{index}"] = upload_revision(s3, bucket, zip_revision(APP, {"scripts/start.sh": slow(seconds)}))
    return found


def client_env(emulator: Emulator, scratch: Path) -> dict[str, str]:
    """The host's environment without AWS or CI settings, plus the emulator's; bytecode cached in scratch."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "GITHUB_", "GITLAB_", "CI", "PYTHONDONTWRITEBYTECODE", "DEPLOY_ACTIONS_"))}
    env.update(emulator.env())
    env.update(AWS_CONFIG_FILE=str(scratch / "aws-config"), AWS_SHARED_CREDENTIALS_FILE=str(scratch / "aws-creds"),
               PYTHONPYCACHEPREFIX=str(scratch / "pycache"))
    return env


def warm_up(bench: Bench, quick: dict[str, Any]) -> None:
    """Bytecode of both programs, and one deployment so every measured one has a previous revision."""
    aws = [str(Path(bench.aws_dir) / "aws")]
    subprocess.run([*aws, "deploy", "get-deployment", "--deployment-id", "d-WARMUP000"], env=bench.env,
                   capture_output=True, check=False)
    subprocess.run([str(CLI), "codedeploy-deploy", "--application", "warm-up", "--deployment-group", "none",
                    "--revision", json.dumps(quick)], env=bench.env, cwd=bench.work, capture_output=True, check=False)
    codedeploy = bench.emulator.client("codedeploy")
    codedeploy.create_deployment(applicationName=bench.names["application"],
                                 deploymentGroupName=bench.names["deployment_group"], revision=quick)
    bench.wait_idle()


# -- report ------------------------------------------------------------------------------------------


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def row(label: str, ours: list[float], bash: list[float], unit: str = " s") -> str:
    a, b = median(ours), median(bash)
    return f"| {label} | {a:.2f}{unit} | {b:.2f}{unit} | {f'{a / b:.2f}' if b else ''} |"


def spread(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def by_operation(results: list[Result]) -> str:
    total: Counter[str] = Counter()
    for result in results:
        total.update(result.counts())
    parts = [f"{op} {round(n / len(results), 1):g}" for op, n in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))]
    return ", ".join(parts)


def report_success(ours: list[Result], bash: list[Result], repeat: int) -> None:
    def get(results: list[Result], fn: Any) -> list[float]:
        return [float(fn(r)) for r in results]

    lines = [
        f"\n### A deployment that succeeds (median of {repeat}, interleaved)\n",
        "| measurement | deploy-actions codedeploy-deploy | bash loop (`sleep 15`) | ratio ours/bash |",
        "| --- | ---: | ---: | ---: |",
        row("**wall** (step start → step end)", get(ours, lambda r: r.proc.end - r.proc.start),
            get(bash, lambda r: r.proc.end - r.proc.start)),
        row("… step start → CreateDeployment request", get(ours, lambda r: r.created - r.proc.start),
            get(bash, lambda r: r.created - r.proc.start)),
        row("… CreateDeployment → deployment finished (the emulator's work, same for both)",
            get(ours, lambda r: r.finished - r.created), get(bash, lambda r: r.finished - r.created)),
        row("… **tail: deployment finished → step end**", get(ours, lambda r: r.proc.end - r.finished),
            get(bash, lambda r: r.proc.end - r.finished)),
        row("…… finished → the GetDeployment that saw it", get(ours, lambda r: r.saw_it - r.finished),
            get(bash, lambda r: r.saw_it - r.finished)),
        row("…… that request → step end", get(ours, lambda r: r.proc.end - r.saw_it),
            get(bash, lambda r: r.proc.end - r.saw_it)),
        f"| tail of each run, s | {spread(get(ours, lambda r: r.proc.end - r.finished))} | "
        f"{spread(get(bash, lambda r: r.proc.end - r.finished))} | |",
        f"| **API calls** (median) | {median(get(ours, lambda r: len(r.calls))):g} | "
        f"{median(get(bash, lambda r: len(r.calls))):g} | "
        f"{median(get(ours, lambda r: len(r.calls))) / median(get(bash, lambda r: len(r.calls))):.2f} |",
        row("API calls per minute of the step", get(ours, lambda r: 60 * len(r.calls) / (r.proc.end - r.proc.start)),
            get(bash, lambda r: 60 * len(r.calls) / (r.proc.end - r.proc.start)), unit=""),
        row("API calls per minute while following (after CreateDeployment)", get(ours, following_rate),
            get(bash, following_rate), unit=""),
        f"| … by operation (mean per run) | {by_operation(ours)} | {by_operation(bash)} | |",
        f"| exit code | {spread_codes(ours)} | {spread_codes(bash)} | |",
    ]
    print("\n".join(lines), flush=True)


def following_rate(result: Result) -> float:
    """Calls a minute after CreateDeployment: the wait itself, without the fixed preflight and create."""
    after = [c for c in result.calls if c.at > result.created]
    return 60 * len(after) / (result.proc.end - result.created)


def spread_codes(results: list[Result]) -> str:
    return ", ".join(str(r.proc.code) for r in results)


def first_line(proc: Proc, pattern: str) -> tuple[float, str] | None:
    found = re.compile(pattern, re.IGNORECASE)
    return next(((at, line) for at, line in proc.lines if found.search(line)), None)


def report_failure(bench: Bench, ours: Result, bash: Result) -> None:
    def failed_target(result: Result) -> str:
        run = state.extras(bench.observer.backend).runs[result.deployment_id]
        return next(t.instance_id for t in run.targets.values() if any(e.status == "Failed" for e in t.events))

    def learned(result: Result) -> str:
        line = first_line(result.proc, r"fail")
        return f"{line[0] - result.finished:+.2f} s (`{line[1].strip()[:60]}`)" if line else "never"

    def shows(result: Result, text: str) -> str:
        return "yes" if text and text in result.proc.text else "no"

    def rollback(result: Result) -> str:
        if not result.rollback_id:
            return "none started"
        reported = result.rollback_id in result.proc.text
        info = bench.observer.deployments()[result.rollback_id]
        verdict = "followed to its end and reported" if reported and result.proc.end >= \
            bench.observer.finished.get(result.rollback_id, float("inf")) else \
            ("named, not followed" if reported else "not mentioned")
        return f"{verdict} (it ended {info.status})"

    lines = [
        "\n### A deployment whose ValidateService fails on the first instance (one run each)\n",
        "| measurement | deploy-actions codedeploy-deploy | bash loop (`sleep 15`) |",
        "| --- | ---: | ---: |",
        f"| deployment failed (completeTime) → first log line saying it failed | {learned(ours)} | {learned(bash)} |",
        f"| deployment failed → step end | {seconds(ours.proc.end - ours.finished)} | "
        f"{seconds(bash.proc.end - bash.finished)} |",
        f"| exit code | {ours.proc.code} | {bash.proc.code} |",
        f"| log names the failing hook (ValidateService) | {shows(ours, 'ValidateService')} | "
        f"{shows(bash, 'ValidateService')} |",
        f"| log names the instance whose hook failed | {shows(ours, failed_target(ours))} | "
        f"{shows(bash, failed_target(bash))} |",
        f"| log shows the hook's own output (`{LOG_MARKER}`) | {shows(ours, LOG_MARKER)} | {shows(bash, LOG_MARKER)} |",
        f"| automatic rollback deployment | {rollback(ours)} | {rollback(bash)} |",
        f"| API calls | {len(ours.calls)} | {len(bash.calls)} |",
    ]
    print("\n".join(lines), flush=True)
    for result in (ours, bash):
        print(f"\n<details><summary>{result.side} log</summary>\n\n```\n{result.proc.text}\n```\n</details>",
              flush=True)


def setup(scenario: dict[str, Any], clock_factor: float, starts: list[float], aws_version: str) -> str:
    group = scenario["load_balancer"]["target_groups"][0]
    check = group["health_check"]
    taking = f"{starts[0]:g} s (real time)"
    if len(starts) > 1:
        taking = (f"{', '.join(f'{s:g}' for s in starts)} s (real time) in the successive repetitions, so the "
                  f"deployments' lengths spread over one 15 s period of the bash loop, and {starts[0]:g} s in the "
                  "failing deployment")
    return (
        "Emulator: scenario `ec2-rolling` (2 instances in an Auto Scaling group behind an ALB, "
        f"CodeDeployDefault.OneAtATime, deregistration delay {group['deregistration_delay']} s, health check every "
        f"{check['interval']} s with {check['healthy']} to pass, automatic rollback on failure), "
        f"clock ×{clock_factor:g} for those AWS waits; the revision is examples/app with ApplicationStart taking "
        f"{taking}. "
        "Bash loop: seed 001's `aws deploy create-deployment … --query deploymentId --output text` then "
        "`while true; do STATUS=$(aws deploy get-deployment … --query deploymentInfo.status --output text); …; "
        f"sleep 15; done` under `bash --noprofile --norc -eo pipefail` ({aws_version}). Ours: `{OURS_COMMAND}` "
        "(plain terminal output; the revision JSON is what package-revision outputs as `revision`).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="successful deployments per side")
    parser.add_argument("--clock-factor", type=float, default=6.0,
                        help="AWS waits (deregistration delay, health checks) run this many times faster")
    parser.add_argument("--start-seconds", type=float, default=4.0,
                        help="how long ApplicationStart takes in the first repetition (and the failing deployment)")
    parser.add_argument("--no-failure", action="store_true", help="skip the failing deployment")
    parser.add_argument("--instances", type=int, default=2,
                        help="instances in the Auto Scaling group (OneAtATime: steady until the last)")
    parser.add_argument("--calls", action="store_true", help="list our calls (s after CreateDeployment)")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    aws = aws_cli()
    version = subprocess.run([*aws, "--version"], capture_output=True, text=True, check=True)
    aws_version = (version.stdout or version.stderr).strip()
    began = time.monotonic()
    print(f"## CodeDeploy wait\n\n{machine()}\n\n`{command_line(sys.argv)}`\n")
    emulator = CountingEmulator(clock_factor=args.clock_factor)
    with tempfile.TemporaryDirectory(prefix="bench-codedeploy-") as scratch, emulator, Observer(emulator) as observer:
        work = Path(scratch) / "work"
        work.mkdir()
        scenario = load_scenario("ec2-rolling")
        scenario["auto_scaling_group"]["instances"] = args.instances
        names = seed(emulator.client, scenario, prefix="bench-")
        bench = Bench(emulator, observer, client_env(emulator, Path(scratch)), names, work, str(Path(aws[0]).parent))
        starts = [args.start_seconds + rep * 15 / (2 * args.repeat) for rep in range(args.repeat)]
        revs = revisions(emulator, names["bucket"], starts)
        warm_up(bench, revs["quick"])
        print(setup(scenario, args.clock_factor, starts, aws_version))
        results: dict[str, list[Result]] = {OURS: [], BASH: []}
        for rep in range(args.repeat):
            for side in (OURS, BASH) if rep % 2 == 0 else (BASH, OURS):
                result = bench.run(side, revs[f"slow-{rep}"])
                results[side].append(result)
                print(f"  rep {rep + 1}/{args.repeat} {side}: {result.status}, wall "
                      f"{result.proc.end - result.proc.start:.1f} s, tail {result.proc.end - result.finished:.2f} s, "
                      f"{len(result.calls)} calls", file=sys.stderr)
                if args.calls and side == OURS:
                    print("  " + ", ".join(f"{c.at - result.created:+.1f} {c.operation}" for c in result.calls)
                          + f"; finished {result.finished - result.created:+.1f}", file=sys.stderr)
        report_success(results[OURS], results[BASH], args.repeat)
        skew = [abs(r.observed - r.finished) for rs in results.values() for r in rs]
        if not args.no_failure:
            failed = {side: bench.run(side, revs["broken"]) for side in (OURS, BASH)}
            bench.wait_idle()
            report_failure(bench, failed[OURS], failed[BASH])
            skew += [abs(r.observed - r.finished) for r in failed.values()]
        print(f"\nThe moment a deployment finished is its completeTime (the emulator sets it with the final status, "
              f"under one lock), read in this process at microsecond precision; an observer thread polling the "
              f"status every 5 ms agreed within {max(skew) * 1000:.0f} ms. Whole benchmark: "
              f"{time.monotonic() - began:.0f} s. {load()} at the end.")


if __name__ == "__main__":
    main()
