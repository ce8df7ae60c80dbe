"""`make demo`: example 2's GitHub workflow, unchanged, run by act for a push to main against the emulator.

workflows-examples/github/seed-001-ec2-rolling.yml in a user's repository holding examples/seed-001-api: it
builds and tests the service, pushes its image to the emulator's ECR (scan gate), packages deploy/, deploys it
to production one instance at a time with automatic rollback, verifies health, targets, alarms and the hooks'
log, and tells Slack. act runs the jobs on this machine (`-P ubuntu-latest=-self-hosted`) and serves this
checkout as `org/deploy-actions@v1`; the demo stands in for what GitHub gives a job and act lacks (the OIDC
token service, the production environment's variables, the Slack webhook), then reports what happened.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import tempfile
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy_actions.emulator.demo import report
from deploy_actions.emulator.demo.act_log import ActLog
from deploy_actions.emulator.demo.messages import read_slack
from deploy_actions.emulator.demo.prerequisites import find_act
from deploy_actions.emulator.demo.watch import Say, Watcher, fetch
from deploy_actions.emulator.demo.world import (
    ROOT,
    SCENARIO,
    SERVICE,
    WORKFLOW,
    WORKFLOW_SOURCE,
    commit_all,
    copy_checkout,
    host_env,
    provision,
    user_repository,
)
from deploy_actions.emulator.seed import load_scenario, seed
from deploy_actions.emulator.stand_ins.oidc import OidcTokens
from deploy_actions.emulator.stand_ins.webhooks import WebhookReceiver

if TYPE_CHECKING:
    from deploy_actions.emulator.server import Emulator

REMOTE = "https://github.com/acme/api.git"  # github.repository acme/api: the links in Slack and the summaries
EVENT = "push to main"
COMMIT_TITLE = "First release"
ACTOR = "acme-dev"  # github.actor: act's default is nektos/act, which reads oddly in Slack beside acme/api
SECRET_ENV = {"ACTIONS_ID_TOKEN_REQUEST_TOKEN"}  # shown as *** in the command the report prints


@dataclass
class ActRun:
    code: int
    log: ActLog
    seconds: float


def act_argv(act: str, checkout: Path, work: Path, env: dict[str, str], variables: dict[str, str]) -> list[str]:
    """A runner's setup for act: the job on this machine, this checkout as org/deploy-actions@v1, the
    environment's variables, the secrets from a file outside the repository, nothing read from the user's
    .env/.vars/.secrets."""
    argv = [act, "push", "-W", f".github/workflows/{WORKFLOW}", "-P", "ubuntu-latest=-self-hosted", "--json",
            "--local-repository", f"org/deploy-actions@v1={checkout}", "--action-cache-path", str(work / "act-cache"),
            "--secret-file", str(work / "act.secrets"), "--var-file", "/dev/null", "--env-file", "/dev/null",
            "--actor", ACTOR]
    for name, value in variables.items():
        argv += ["--var", f"{name}={value}"]
    for name, value in env.items():
        argv += ["--env", f"{name}={value}"]
    return argv


def shown_command(argv: list[str]) -> str:
    """The act command as a person would type it, one option per line, request tokens masked."""
    lines, i = [shlex.join(["act", *argv[1:2]])], 2
    while i < len(argv):
        option = argv[i]
        value = argv[i + 1] if i + 1 < len(argv) and not argv[i + 1].startswith("--") else None
        if value is not None and value.split("=", 1)[0] in SECRET_ENV:
            value = value.split("=", 1)[0] + "=***"
        lines.append(shlex.join([option] if value is None else [option, value]))
        i += 1 if value is None else 2
    return " \\\n  ".join(lines)


def brief_command(variables: int, env: int) -> str:
    """The act command's gist for the live view: the event, the workflow, the platform, the action's source."""
    return (f"act push -W .github/workflows/{WORKFLOW} -P ubuntu-latest=-self-hosted --json --local-repository "
            f"org/deploy-actions@v1=<a copy of this checkout> ({variables} --var, {env} --env, --secret-file)")


def run_act(argv: list[str], repo: Path, out: Path, log: ActLog, say: Say) -> ActRun:
    """act, its JSON log read into `log` as it comes: the live view to `say`, the full log to act.log, the raw
    to act.jsonl."""
    started = time.monotonic()
    with (out / "act.log").open("w", encoding="utf-8") as text, \
            (out / "act.jsonl").open("w", encoding="utf-8") as raw, \
            subprocess.Popen(argv, cwd=repo, env=host_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace") as act:
        assert act.stdout is not None
        written = 0
        for line in act.stdout:
            raw.write(line)
            for shown in log.feed(line):
                say(shown)
            text.writelines(entry + "\n" for entry in log.text[written:])
            written = len(log.text)
            text.flush()
        code = act.wait()
    return ActRun(code, log, time.monotonic() - started)


def instance_ids(emulator: Emulator, group: str) -> list[str]:
    described = emulator.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    return [i["InstanceId"] for g in described["AutoScalingGroups"] for i in g["Instances"]]


def remove_leftovers(emulator: Emulator, group: str, image_tags: list[str]) -> None:
    """The containers the hooks started (`api-<instance>`, restart unless-stopped) outlive the emulator, and the
    image tags name a registry port that is gone: remove both, and nothing else."""
    names = [f"api-{instance}" for instance in instance_ids(emulator, group)]
    if names:
        subprocess.run(["docker", "rm", "-f", *names], capture_output=True, timeout=120, check=False)
    if image_tags:
        subprocess.run(["docker", "image", "rm", *image_tags], capture_output=True, timeout=120, check=False)


def image_tags(log: ActLog) -> list[str]:
    try:
        tags = json.loads(log.outputs.get(("build", "image"), {}).get("tags", "[]"))
    except ValueError:
        return []
    return [str(tag) for tag in tags] if isinstance(tags, list) else []


def run_workflow_demo(out: Path, clock_factor: float, say: Say, root: Path = ROOT) -> int:
    """0 when the run is green and the load balancer serves the pushed commit, 1 otherwise."""
    from deploy_actions.emulator.server import Emulator

    lock = threading.Lock()

    def said(line: str) -> None:  # act's log and the load balancer watcher share the terminal
        with lock:
            say(line)

    act = find_act()
    assert act is not None  # the prerequisites were checked
    out.mkdir(parents=True, exist_ok=True)
    cache = root / ".cache" / "demo" / "actions-env"  # the actions' environment, built once, reused by later runs
    said(f"deploy-actions demo: example 2 ({WORKFLOW_SOURCE}), a {EVENT}, under act against the local AWS emulator")
    with tempfile.TemporaryDirectory(prefix="deploy-actions-demo-") as tmp, \
            Emulator(clock_factor=clock_factor) as emulator, closing(OidcTokens()) as oidc, \
            closing(WebhookReceiver()) as slack:
        work = Path(tmp)
        said(f"emulator on {emulator.endpoint_url} (clock x{clock_factor:g}: AWS's waits run that much faster)")
        seeded = seed(emulator.client, load_scenario(SCENARIO))
        variables = provision(emulator, seeded)
        said(f"seeded `{SCENARIO}`: load balancer {variables['SERVICE_URL']} → target group "
             f"{variables['TARGET_GROUP']}, Auto Scaling group {seeded['auto_scaling_group']} (2 instances); "
             f"CodeDeploy {variables['CODEDEPLOY_APPLICATION']}/{variables['CODEDEPLOY_DEPLOYMENT_GROUP']}; bucket "
             f"{variables['DEPLOY_BUCKET']}; ECR repository {variables['ECR_REPOSITORY']} (scan on push); alarm "
             f"{variables['ALARMS']}; SSM parameters under {variables['SSM_PATH']}; hook log group "
             f"{variables['LOG_GROUP']}")
        said(f"GitHub's part, stood in for: the OIDC token service (role {variables['AWS_ROLE_ARN']}), a Slack "
             "webhook receiver, the production environment's variables")
        repo = user_repository(work / "api", REMOTE, root)
        commit = commit_all(repo, COMMIT_TITLE)
        said(f"your repository: {repo} — {SERVICE} plus .github/workflows/{WORKFLOW}; "
             f"commit {commit[:7]} \"{COMMIT_TITLE}\" on main")
        checkout = copy_checkout(root, work / "deploy-actions")
        (work / "act.secrets").write_text(f"SLACK_WEBHOOK={slack.url('slack')}\n")
        env = {"AWS_ENDPOINT_URL": emulator.endpoint_url, "DEPLOY_ACTIONS_CACHE": str(cache), **oidc.env}
        argv = act_argv(act, checkout, work, env, variables)
        info_url = variables["SERVICE_URL"] + "/actuator/info"
        before = fetch(info_url)
        said(f"load balancer before the run: {report.describe(before, commit)}")
        said(f"\n$ {brief_command(len(variables), len(env))}\n  (the whole command is in the report; "
             f"act's full log: {out / 'act.log'})")
        log = ActLog()
        try:
            with Watcher(info_url, said, initial=before) as watcher:
                run = run_act(argv, repo, out, log, said)
            after = fetch(info_url)
        finally:  # interrupted too: what the run got to start is removed
            remove_leftovers(emulator, seeded["auto_scaling_group"], image_tags(log))
        outcome = report.Outcome(
            workflow=f".github/workflows/{WORKFLOW}", event=EVENT, repository=repo, commit=commit,
            commit_title=COMMIT_TITLE, act_command=shown_command(argv), act_code=run.code, seconds=run.seconds,
            service_url=info_url, before=before, after=after, changes=watcher.changes, jobs=run.log.jobs,
            steps=run.log.steps, summaries=run.log.summaries, slack=[read_slack(_json(r.body)) for r in slack.received],
            log=out / "act.log", html=out / "report.html")
        outcome.html.write_text(report.as_html(outcome), encoding="utf-8")
        for line in report.as_text(outcome):
            said(line)
        return 0 if outcome.succeeded else 1


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return {"text": body.decode(errors="replace")}

