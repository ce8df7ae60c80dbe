"""Verify a deployment and notify."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from deploy_actions.actions import ActionSpec
from deploy_actions.core.context import RunContext
from deploy_actions.core.durations import parse_duration
from deploy_actions.core.errors import DeploymentFailed, InputError, InputProblem
from deploy_actions.core.inputs import AwsInputs, Flag, Metavar, MultiLine, secret_field
from deploy_actions.core.outputs import ActionOutputs
from deploy_actions.core.runfacts import RunFacts
from deploy_actions.notify.channels import ChannelProblem, parse_channels, parse_templates, secret_parts
from deploy_actions.notify.deliver import deliver, should_notify
from deploy_actions.notify.message import SAMPLE, CheckLine, Message
from deploy_actions.notify.render import TemplateProblem, compile_check, read_template, render
from deploy_actions.verify import aws_checks
from deploy_actions.verify.checks import Check, CheckResult, Retry, Runner, unique_names, url_check
from deploy_actions.verify.report import checks_table
from deploy_actions.verify.urls import parse_url_line, password, shown_url

_STATUS = {"success": "success", "succeeded": "success", "passed": "success", "running": "success",
           "failure": "failure", "failed": "failure", "cancelled": "cancelled", "canceled": "cancelled"}


def _status(value: str | None) -> str | None:
    if value is None:
        return None
    found = _STATUS.get(value.strip().lower())
    if found is None:
        raise ValueError("expected success, failure or cancelled (GitHub's job.status; GitLab's CI_JOB_STATUS "
                         "failed and canceled are read the same way)")
    return found


def _seconds(text: str) -> str:
    stripped = text.strip()
    if stripped.replace(".", "", 1).isdigit():
        raise ValueError(f"give a unit: {stripped}s or {stripped}m")
    seconds = parse_duration(stripped)
    if not 0 < seconds <= 24 * 3600:
        raise ValueError("must be more than 0 and at most 24h")
    return stripped


Status = Annotated[str, AfterValidator(_status)]
LOG_FILTER = "ERROR"
Seconds = Annotated[str, AfterValidator(_seconds), Metavar("DURATION")]


class Inputs(AwsInputs):
    urls: MultiLine = Field([], description="HTTP checks, one a line: a URL, then expectations: expect-status=200 "
                            "(or 200,204 or 2xx; default any 2xx), expect-body=TEXT (or /REGEX/), "
                            "expect-json=PATH=VALUE (e.g. status=UP, components.db.status=UP, items[0].id=3), "
                            "expect-version[=VERSION] (default: the version input). Quote values with spaces.")
    attempts: int = Field(10, ge=1, le=1000, description="Tries per check (URL, target group, alarm) before it "
                          "fails.")
    interval: Seconds = Field("5s", description="Wait between tries of a check (e.g. 5s, 1m).")
    request_timeout: Seconds = Field("10s", description="How long one HTTP request may take.")
    target_groups: MultiLine = Field([], description="Target groups (names or ARNs), one a line: every registered "
                                     "target must be healthy.")
    alarms: MultiLine = Field([], description="CloudWatch alarm names, one a line: none may be in ALARM.")
    log_group: str | None = Field(None, description="CloudWatch Logs group to scan for errors, after the other "
                                  "checks.")
    log_filter: str = Field(LOG_FILTER, description="CloudWatch Logs filter pattern for the scan, passed as written.")
    log_since: Seconds = Field("15m", description="The scan covers this long up to the moment it runs.")
    max_log_matches: int = Field(0, ge=0, le=10000, description="Matching log events allowed; more fails the "
                                 "check and shows the lines.")
    status: Status = Field("success", description="The outcome to report: success, failure or cancelled "
                           "(GitHub's job.status; GitLab's CI_JOB_STATUS, whose failed and canceled mean the "
                           "same). A failed check reports failure.")
    notify: str | None = secret_field(description="Where to send the message, one channel a line: slack=URL, "
                                      "discord=URL, teams=URL (a Workflows webhook), webhook=URL (plain JSON); a "
                                      "URL may be a variable: slack=$SLACK_WEBHOOK. Secrets: the URLs are masked "
                                      "and never printed.")
    template: MultiLine = Field([], description="Your own Jinja template for a channel, one a line: CHANNEL=PATH "
                                "(see the docs for its variables and filters).")
    environment: str | None = Field(None, description="Environment named in the message, e.g. production.")
    version: str | None = Field(None, description="Version named in the message and expected by expect-version.")
    deployment_id: str | None = Field(None, description="Deployment id named in the message.")
    notify_on: Literal["always", "failure", "success", "change"] = Field(
        "always", description="When to notify: always, failure, success, or change (the outcome differs from "
        "previous-status; without it, always).")
    previous_status: Status | None = Field(None, description="The previous run's outcome, for notify-on: change.")
    fail_on_notify_error: Flag = Field(False, description="Fail the step when a channel does not accept the "
                                       "message (default: a warning).")

    def problems(self) -> list[InputProblem]:
        found: list[InputProblem] = []
        for line in self.urls:
            try:
                parse_url_line(line, self.version)
            except ValueError as exc:
                url, _, rest = line.partition(" ")
                found.append(InputProblem("urls", f"{shown_url(url)} {rest}".strip(), str(exc)))
        kinds: set[str] = set()
        if self.notify:
            try:
                kinds = {c.kind for c in parse_channels(self.notify)}
            except ChannelProblem as exc:
                found.append(InputProblem("notify", None, str(exc), hidden=True))
        try:
            templates = parse_templates(self.template)
        except ValueError as exc:
            found.append(InputProblem("template", "\n".join(self.template), str(exc)))
            templates = {}
        for kind, path in templates.items():
            problem = _template_problem(kind, path)
            if problem:
                found.append(InputProblem("template", f"{kind}={path}", problem))
            elif self.notify and kind not in kinds:
                found.append(InputProblem("template", f"{kind}={path}", f"notify has no {kind} channel"))
        # front doors pass defaults as values: only a pattern other than the default says a scan was meant
        if self.log_group is None and self.log_filter != LOG_FILTER:
            found.append(InputProblem("log-filter", self.log_filter, "set log-group: the log group to scan"))
        if not (self.urls or self.target_groups or self.alarms or self.log_group or self.notify):
            found.append(InputProblem("urls", None, "nothing to do: give checks (urls, target-groups, alarms, "
                                      "log-group) and/or channels to notify"))
        return found


def _template_problem(kind: str, path: str) -> str | None:
    """Why a user's template cannot be used: unreadable, does not compile, or fails on a sample message."""
    try:
        source = read_template(path)
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read it: {exc.__class__.__name__}: {getattr(exc, 'strerror', None) or exc}"
    try:
        compile_check(kind, source)
        render(kind, source, SAMPLE.context())
    except TemplateProblem as exc:
        return f"{exc}; fix the template"
    return None


class Outputs(ActionOutputs):
    healthy: bool | None = Field(None, description="true when every check passed, false when one failed; empty "
                                 "without checks.")
    checks: list[dict[str, Any]] = Field([], description="JSON list of checks: name, kind, ok, attempts, seconds, "
                                         "detail, timings-ms (and lines for a failed log scan).")
    notified: list[str] = Field([], description="JSON list of the channels that accepted the message (slack, "
                                "discord, teams, webhook; slack#2 for a second one).")


def run(inputs: Inputs, ctx: RunContext) -> Outputs:
    try:
        channels = parse_channels(inputs.notify, ctx.environ) if inputs.notify else []
    except ChannelProblem as exc:  # a variable the URL refers to is not set: before any request
        raise InputError([InputProblem("notify", None, str(exc), hidden=True)]) from None
    for channel in channels:  # masked before anything else can print
        for part in secret_parts(channel.url):
            ctx.reporter.mask(part)
    for line in inputs.urls:  # https://user:password@host/: the password is a secret too
        secret = password(line.split()[0])
        if secret:
            ctx.reporter.mask(secret)
    templates = {kind: read_template(path) for kind, path in parse_templates(inputs.template).items()}
    checks = _checks(inputs, ctx)
    results: list[CheckResult] = []
    if checks:
        runner = Runner(ctx.reporter, ctx.cancel, Retry(inputs.attempts, parse_duration(inputs.interval)))
        with ctx.reporter.group(f"Verifying: {len(checks)} check{'s' if len(checks) != 1 else ''}"):
            results = runner.run(checks)
    failed = [r for r in results if not r.ok]
    for result in failed:
        if result.lines:  # text from the service's logs: printed so that no line of it can act as a command
            ctx.reporter.info(f"{result.name}: {result.detail}:")
            ctx.reporter.untrusted("\n".join(result.lines))
    healthy = None if not results else not failed
    ctx.outputs.set(healthy=healthy, checks=[r.as_output() for r in results])
    outcome = "cancelled" if ctx.cancel.cancelled else "failure" if failed else (inputs.status or "success")
    if results:
        head = f"{len(results) - len(failed)}/{len(results)} checks passed"
        ctx.reporter.summary(f"### {'✅' if not failed else '❌'} verify-and-notify: {head}\n\n{checks_table(results)}")
    notified = _notify(inputs, ctx, channels, templates, results, outcome)
    ctx.outputs.set(notified=notified)
    ctx.cancel.raise_if_cancelled("while verifying")  # 128 + the signal, after the cancelled run was reported
    if failed:
        raise DeploymentFailed(f"{len(failed)} of {len(results)} checks failed: " + "; ".join(
            f"{r.name}: {r.detail}" for r in failed))
    if inputs.fail_on_notify_error and len(notified) < len(channels):
        missing = [c.label for c in channels if c.label not in notified]
        raise DeploymentFailed(f"not notified: {', '.join(missing)} (fail-on-notify-error: true)")
    return Outputs(healthy=healthy, checks=[r.as_output() for r in results], notified=notified)


def _checks(inputs: Inputs, ctx: RunContext) -> list[Check]:
    """The checks, AWS names looked up first (an unknown one: exit 2 before any check runs)."""
    timeout = parse_duration(inputs.request_timeout)
    checks = [url_check(parse_url_line(line, inputs.version), timeout) for line in inputs.urls]
    if inputs.target_groups or inputs.alarms or inputs.log_group:
        clients = ctx.aws(inputs)
        if inputs.target_groups:
            elbv2 = clients.client("elbv2", polling=True)
            for name, arn in aws_checks.target_group_arns(elbv2, inputs.target_groups).items():
                checks.append(aws_checks.target_group_check(elbv2, name, arn))
        if inputs.alarms:
            cloudwatch = clients.client("cloudwatch", polling=True)
            checks += aws_checks.alarm_checks(cloudwatch, inputs.alarms)
        if inputs.log_group:
            checks.append(aws_checks.log_scan(clients.client("logs"), inputs.log_group, inputs.log_filter,
                                              parse_duration(inputs.log_since), inputs.max_log_matches))
    return unique_names(checks)


def _notify(inputs: Inputs, ctx: RunContext, channels: list[Any], templates: dict[str, str],
            results: list[CheckResult], outcome: str) -> list[str]:
    if not channels:
        return []
    wanted, why_not = should_notify(inputs.notify_on, outcome, inputs.previous_status)
    if not wanted:
        ctx.reporter.info(f"Not notifying: {why_not}")
        return []
    message = _message(inputs, ctx.facts, results, outcome, time.monotonic() - ctx.started)
    with ctx.reporter.group(f"Notifying: {', '.join(c.label for c in channels)}"):
        sent = deliver(channels, templates, message, ctx.reporter, ctx.cancel)
    notified = [s.channel.label for s in sent if s.ok]
    ctx.reporter.summary(f"Notified: {', '.join(notified) or 'none'}"
                         + "".join(f"; {s.channel.label} not delivered" for s in sent if not s.ok))
    return notified


def _message(inputs: Inputs, facts: RunFacts, results: list[CheckResult], outcome: str, seconds: float) -> Message:
    return Message(
        status=outcome,  # type: ignore[arg-type]
        environment=inputs.environment or "", version=inputs.version or "", deployment_id=inputs.deployment_id or "",
        repository=facts.repository, branch=facts.branch or facts.tag, ref=facts.ref, actor=facts.actor,
        sha=facts.sha, commit_url=commit_url(facts), commit_message=facts.commit_message, run_url=facts.run_url,
        duration_seconds=seconds,
        checks=tuple(CheckLine(r.name, r.kind, r.ok, r.attempts, r.seconds, r.detail, r.lines) for r in results),
    )


def commit_url(facts: RunFacts) -> str:
    """The commit's page, from the run's URL: GitHub's .../actions/runs/N, GitLab's .../-/jobs/N or pipelines/N."""
    if not facts.sha or not facts.run_url:
        return ""
    if "/actions/runs/" in facts.run_url:
        return f"{facts.run_url.split('/actions/runs/')[0]}/commit/{facts.sha}"
    if "/-/" in facts.run_url:
        return f"{facts.run_url.split('/-/')[0]}/-/commit/{facts.sha}"
    return ""


SPEC = ActionSpec(
    name="verify-and-notify",
    title=ActionSpec.title_from(__doc__),
    description="Prove the new version serves (HTTP checks with expectations, target-group health, CloudWatch "
    "alarms, a CloudWatch Logs error scan; concurrent, retried), then tell Slack, Discord, Microsoft Teams or any "
    "webhook in each platform's own format, hostile commit text escaped and every URL kept secret.",
    icon="check-circle",
    color="green",
    inputs=Inputs,
    outputs=Outputs,
    run=run,
)
