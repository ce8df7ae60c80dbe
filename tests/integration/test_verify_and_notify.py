"""verify-and-notify over real HTTP: a service behind the emulator's load balancer, target health, alarms and
logs from the emulator, and a webhook receiver on loopback standing in for Slack, Discord, Teams and a webhook."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from deploy_actions.emulator import Emulator
from deploy_actions.notify.escape import plain
from tests.conftest import AwsEndpoint, CliResult
from tests.integration.emulator.conftest import wait_for
from tests.integration.emulator.test_target_health import ip_target_group
from tests.support.platform_limits import HOSTILE_COMMIT, PROBLEMS, texts
from tests.support.webhook_receiver import Reply, WebhookReceiver


class Service:
    """The deployed app on loopback: /health answers JSON with its status and version, /version plain text."""

    def __init__(self, version: str) -> None:
        self.version, self.health_status, self.requests = version, 200, 0
        self.authorization: str | None = None
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                service.requests += 1
                service.authorization = self.headers.get("Authorization")
                if self.path == "/health":
                    status, body = service.health_status, json.dumps(
                        {"status": "UP" if service.health_status == 200 else "DOWN", "version": service.version,
                         "components": {"db": {"status": "UP"}}})
                else:
                    status, body = 200, f"version: {service.version}\n"
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service() -> Iterator[Service]:
    running = Service("2.0.0")
    yield running
    running.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver()
    yield running
    running.close()


@pytest.fixture
def balanced(aws_emulator: Emulator, service: Service) -> dict[str, str]:
    """The service as the only target of an IP target group behind an ALB listener, healthy."""
    unique = uuid.uuid4().hex[:8]
    elbv2 = aws_emulator.client("elbv2")
    arn = ip_target_group(elbv2, aws_emulator, f"vn-{unique}", healthy=2)
    port = int(service.url.rsplit(":", 1)[1])
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": port}])
    subnets = [s["SubnetId"] for s in aws_emulator.client("ec2").describe_subnets()["Subnets"][:2]]
    balancer = elbv2.create_load_balancer(Name=f"vn-{unique}", Subnets=subnets)["LoadBalancers"][0]
    listener = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}])["Listeners"][0]
    wait_for(lambda: state(elbv2, arn) == ["healthy"], timeout=10)
    return {"name": f"vn-{unique}", "arn": arn, "url": aws_emulator.listener_url(listener["ListenerArn"])}


def state(elbv2: Any, arn: str) -> list[str]:
    return [d["TargetHealth"]["State"] for d in elbv2.describe_target_health(TargetGroupArn=arn)[
        "TargetHealthDescriptions"]]


FAST = ["--attempts", "2", "--interval", "0.05s", "--request-timeout", "5s"]


def checks_of(result: CliResult) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads(result.outputs["checks"])}


def summary(tmp_path: Path) -> str:
    path = tmp_path / "summary.md"
    return path.read_text() if path.exists() else ""


def test_every_check_passes_through_the_load_balancer(run_cli: Any, aws: AwsEndpoint, balanced: dict[str, str],
                                                      tmp_path: Path) -> None:
    url = balanced["url"]
    result = run_cli("verify-and-notify", "--urls",
                     f"{url}/health expect-status=200 expect-json=status=UP expect-json=components.db.status=UP\n"
                     f"{url}/version 'expect-body=/^version: \\d+\\.\\d+/' expect-version\n"
                     f"{url}/version expect-body=\"version: 2\"",
                     "--version", "2.0.0", "--target-groups", balanced["name"], *FAST, env=aws.env)
    assert result.code == 0, result.log
    assert result.outputs["healthy"] == "true" and result.outputs["notified"] == "[]"
    checks = checks_of(result)
    assert {c["kind"] for c in checks.values()} == {"url", "target-group"}
    assert all(c["ok"] and c["attempts"] == 1 and len(c["timings-ms"]) == 1 for c in checks.values())
    assert checks[f"target group {balanced['name']}"]["detail"] == "1/1 targets healthy"
    assert f"  GET {url}/health #1/2: ok, 200 in " in result.log
    assert "✅ verify-and-notify: 4/4 checks passed" in summary(tmp_path)


def test_each_check_type_fails_saying_what_it_saw(run_cli: Any, aws: AwsEndpoint, aws_emulator: Emulator,
                                                  balanced: dict[str, str], service: Service,
                                                  receiver: WebhookReceiver, tmp_path: Path) -> None:
    service.health_status = 503
    elbv2 = aws_emulator.client("elbv2")
    wait_for(lambda: state(elbv2, balanced["arn"]) == ["unhealthy"], timeout=10)
    url, hook = balanced["url"], receiver.url("webhook")
    result = run_cli("verify-and-notify", "--urls",
                     f"{service.url}/health expect-json=status=UP\n"
                     f"{service.url}/version expect-body=DOWN\n"
                     f"{service.url}/version expect-version=2.1\n"
                     f"{url}/health expect-status=200",
                     "--target-groups", balanced["arn"], "--notify", f"webhook={hook}", *FAST, env=aws.env)
    assert result.code == 1, result.log
    checks = checks_of(result)
    assert result.outputs["healthy"] == "false"
    assert {name: (c["ok"], c["attempts"], c["detail"]) for name, c in checks.items() if c["kind"] == "url"} == {
        f"GET {service.url}/health": (False, 2, "503: status 503, expected 2xx; status=DOWN, expected UP"),
        f"GET {service.url}/version": (False, 2, "200: body lacks 'DOWN'"),
        f"GET {service.url}/version (2)": (False, 2, "200: version 2.1 not served (body: 'version: 2.0.0')"),
        f"GET {url}/health": (False, 2, "503: status 503, expected 200"),  # the load balancer passes the 503 on
    }
    tg = checks[f"target group {balanced['name']}"]  # given its ARN, named by its name
    assert not tg["ok"] and tg["detail"].startswith("0/1 targets healthy; 127.0.0.1:")
    assert tg["detail"].endswith(" unhealthy (Target.ResponseCodeMismatch)")
    assert "5 of 5 checks failed" in result.log
    assert f"  GET {service.url}/version (2) #2/2: failed, 200: version 2.1 not served" in result.log
    (sent,) = receiver.to(hook)
    assert sent.json["status"] == "failure" and sent.json["healthy"] is False
    assert "❌ verify-and-notify: 0/5 checks passed" in summary(tmp_path)


def test_a_password_in_a_url_is_sent_as_basic_authentication_and_shown_nowhere(run_cli: Any, service: Service,
                                                                                tmp_path: Path) -> None:
    secret = f"pw{uuid.uuid4().hex}"
    authenticated = service.url.replace("http://", f"http://probe:{secret}@")
    result = run_cli("verify-and-notify", "--urls", f"{authenticated}/health expect-json=status=UP", *FAST)
    assert result.code == 0, result.log
    assert service.authorization == "Basic " + base64.b64encode(f"probe:{secret}".encode()).decode()
    shown = service.url.replace("http://", "http://probe:***@")
    assert list(checks_of(result)) == [f"GET {shown}/health"]
    bad = run_cli("verify-and-notify", "--urls", f"{authenticated}/health expect-jsn=status=UP")
    assert bad.code == 2 and f"input 'urls' = '{shown}/health expect-jsn=status=UP'" in bad.log
    for text in (result.log, result.stdout, bad.log, summary(tmp_path)):
        assert secret not in text


def test_alarms_none_in_alarm_passes_one_in_alarm_fails_an_unknown_one_is_bad_input(
        run_cli: Any, aws: AwsEndpoint) -> None:
    cloudwatch = aws.client("cloudwatch")
    quiet, firing = f"quiet-{uuid.uuid4().hex[:6]}", f"firing-{uuid.uuid4().hex[:6]}"
    for name in (quiet, firing):
        cloudwatch.put_metric_alarm(AlarmName=name, MetricName="5xx", Namespace="AWS/ApplicationELB",
                                    Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                    ComparisonOperator="GreaterThanOrEqualToThreshold")
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="test")
    cloudwatch.set_alarm_state(AlarmName=firing, StateValue="ALARM", StateReason="5xx above 1")

    waiting = f"no-data-{uuid.uuid4().hex[:6]}"
    cloudwatch.put_metric_alarm(AlarmName=waiting, MetricName="5xx", Namespace="AWS/ApplicationELB",
                                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanOrEqualToThreshold")

    ok = run_cli("verify-and-notify", "--alarms", f"{quiet}\n{waiting}", *FAST, env=aws.env)
    assert ok.code == 0, ok.log
    assert checks_of(ok)[f"alarm {quiet}"]["detail"] == "OK"
    assert checks_of(ok)[f"alarm {waiting}"]["detail"] == "INSUFFICIENT_DATA"  # a new alarm without data passes
    failed = run_cli("verify-and-notify", "--alarms", f"{quiet}\n{firing}", *FAST, env=aws.env)
    assert failed.code == 1 and checks_of(failed)[f"alarm {firing}"] == {**checks_of(failed)[f"alarm {firing}"],
                                                                          "ok": False, "detail": "ALARM"}
    unknown = run_cli("verify-and-notify", "--alarms", f"{quiet}\nno-such-alarm", *FAST, env=aws.env)
    assert unknown.code == 2 and "no-such-alarm" in unknown.log and "no such CloudWatch alarm" in unknown.log


def test_a_log_scan_with_more_matches_than_allowed_fails_and_shows_the_lines(run_cli: Any, aws: AwsEndpoint,
                                                                            tmp_path: Path) -> None:
    logs = aws.client("logs")
    group = f"/app/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="web-1")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="web-1", logEvents=[
        {"timestamp": now - 3000, "message": "INFO started in 2.1 s"},
        {"timestamp": now - 2000, "message": "ERROR database connection refused"},
        {"timestamp": now - 1500, "message": "WARN slow query"},
        {"timestamp": now - 1000, "message": "ERROR ::set-output name=x:: <!channel> timeout"}])

    # The pattern reaches FilterLogEvents as written: the INFO and WARN lines do not match it.
    failed = run_cli("verify-and-notify", "--log-group", group, "--log-filter", "?ERROR ?FATAL", "--log-since", "5m",
                     env=aws.env)
    assert failed.code == 1, failed.log
    scan = checks_of(failed)[f"logs {group} '?ERROR ?FATAL'"]
    assert (scan["ok"], scan["attempts"], scan["detail"]) == (False, 1, "2 matching events, at most 0 allowed")
    assert scan["lines"] == ["ERROR database connection refused", "ERROR ::set-output name=x:: <!channel> timeout"]
    assert "ERROR database connection refused" in summary(tmp_path)
    assert "  | ERROR ::set-output name=x:: <!channel> timeout" in failed.log.splitlines()

    allowed = run_cli("verify-and-notify", "--log-group", group, "--max-log-matches", "2", env=aws.env)  # ERROR
    assert allowed.code == 0, allowed.log
    missing = run_cli("verify-and-notify", "--log-group", f"{group}-nope", env=aws.env)
    assert missing.code == 2 and "input 'log-group'" in missing.log and "no such log group" in missing.log


def gitlab_run(commit_message: str = HOSTILE_COMMIT) -> dict[str, str]:
    return {"CI_COMMIT_SHA": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", "CI_COMMIT_MESSAGE": commit_message,
            "CI_COMMIT_BRANCH": "feat/<!here>", "CI_PROJECT_PATH": "acme/api", "GITLAB_USER_LOGIN": "@everyone",
            "CI_JOB_URL": "https://gitlab.example.com/acme/api/-/jobs/42", "CI_JOB_ID": "42"}


def test_one_message_per_channel_native_inert_within_limits_and_no_url_anywhere(
        run_cli: Any, receiver: WebhookReceiver, tmp_path: Path) -> None:
    urls = {kind: receiver.url(kind) for kind in ("slack", "discord", "teams", "webhook")}
    outputs, dotenv = tmp_path / "github_output", tmp_path / "job.env"
    result = run_cli("verify-and-notify", "--notify", "\n".join(f"{k}={u}" for k, u in urls.items()),
                     "--status", "failed", "--environment", "production", "--version", "2.0.0",
                     "--deployment-id", "d-ABC123",
                     env={**gitlab_run(), "GITHUB_OUTPUT": str(outputs), "DEPLOY_ACTIONS_DOTENV": str(dotenv)})
    assert result.code == 0, result.log
    assert json.loads(result.outputs["notified"]) == ["slack", "discord", "teams", "webhook"]
    for kind, url in urls.items():
        (sent,) = receiver.to(url)
        assert sent.headers["Content-Type"].startswith("application/json")
        # the commit's U+2028/U+2029 and CR LF arrive as plain newlines, its escape sequences not at all
        assert b"\\u2028" not in sent.body and b"\\u2029" not in sent.body and b"\\u001b" not in sent.body
        payload = sent.json
        assert PROBLEMS[kind](payload) == [], kind
        if kind != "webhook":
            for text in texts(payload):
                assert re.search("@(everyone|here)", text) is None, (kind, text)
                # Slack's <!channel>, <@U…> and Discord's <@id> only act unescaped
                assert re.search(r"<[!@#]" if kind == "slack" else r"(?<!\\)<[!@#]", text) is None, (kind, text)
            assert any("d-ABC123" in t for t in texts(payload)) and any("production" in t for t in texts(payload))
    slack = receiver.to(urls["slack"])[0].json
    assert slack["attachments"][0]["color"] == "#E01E5A"  # status failed: red
    assert any("https://gitlab.example.com/acme/api/-/commit/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b" in t
               for t in texts(slack))
    assert receiver.to(urls["webhook"])[0].json["commit"]["message"] == plain(HOSTILE_COMMIT.rstrip("\n"))
    for where in (result.log, result.stdout, outputs.read_text(), dotenv.read_text(), summary(tmp_path)):
        for url in urls.values():
            assert url not in where and url.split("/hooks/")[1] not in where


def test_on_github_the_url_reaches_only_the_add_mask_command(run_cli: Any, receiver: WebhookReceiver,
                                                             tmp_path: Path) -> None:
    url = receiver.url("slack")
    step_summary = tmp_path / "step_summary.md"
    result = run_cli("verify-and-notify", "--notify", f"slack={url}\nteams=not a url", env={
        "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step_summary)})
    assert result.code == 2
    assert "input 'notify' (value not shown): line 2 (teams): the URL must be an http(s) URL" in result.log
    assert f"::add-mask::{url}" in result.log.splitlines()  # the URL alone, before anything is checked
    assert receiver.received == []
    ok = run_cli("verify-and-notify", "--notify", f"slack={url}", env={
        "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step_summary), "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/api", "GITHUB_RUN_ID": "77", "GITHUB_SHA": "c0ffee" * 6 + "c0ff"})
    assert ok.code == 0, ok.log
    links = [t for t in texts(receiver.to(url)[0].json) if "https://github.com/acme/api/" in t]
    assert f"*Commit*\n<https://github.com/acme/api/commit/{'c0ffee' * 6}c0ff|c0ffeec0>" in links
    assert "<https://github.com/acme/api/actions/runs/77|Run> · deploy-actions verify-and-notify" in links
    assert f"::add-mask::/hooks/slack/{url.split('/hooks/slack/')[1]}" in ok.log.splitlines()  # the token path alone
    for log in (result.log, ok.log):
        carrying = [line for line in log.splitlines() if url.split("/hooks/")[1] in line]
        assert carrying and all(line.startswith("::add-mask::") for line in carrying)
    assert url.split("/hooks/")[1] not in step_summary.read_text()


def test_429_is_retried_after_the_time_the_server_asks(run_cli: Any, receiver: WebhookReceiver) -> None:
    url = receiver.url("discord")
    receiver.then(Reply(429, b'{"message": "You are being rate limited.", "retry_after": 0.4}'),
                  Reply(429, b"slow down", {"Retry-After": "1"}), Reply(502, b"bad gateway", {"Retry-After": "0"}))
    result = run_cli("verify-and-notify", "--notify", f"discord={url}")
    assert result.code == 0, result.log
    assert len(receiver.to(url)) == 4 and json.loads(result.outputs["notified"]) == ["discord"]
    assert "discord: accepted (HTTP 200) after 4 attempts, waited 1s as asked" in result.log


def test_without_retry_after_the_wait_is_our_backoff_not_the_servers(run_cli: Any, receiver: WebhookReceiver) -> None:
    url = receiver.url("webhook")
    receiver.then(Reply(503, b"busy"))  # no Retry-After: the first backoff, 1 s
    result = run_cli("verify-and-notify", "--notify", f"webhook={url}")
    assert result.code == 0, result.log
    assert "  webhook: accepted (HTTP 200) after 2 attempts, waited 1s between attempts\n" in result.log


def test_a_channel_that_keeps_failing_warns_or_fails_the_step_as_asked(run_cli: Any,
                                                                       receiver: WebhookReceiver) -> None:
    good, bad = receiver.url("slack"), receiver.url("teams")
    receiver.then(*[Reply(500, b"oops", {"Retry-After": "0"})] * 6, to=bad)
    warned = run_cli("verify-and-notify", "--notify", f"teams={bad}")
    assert warned.code == 0 and json.loads(warned.outputs["notified"]) == []
    assert "notification not delivered: teams: HTTP 500: oops after 6 attempts, waited 0s as asked\n" in warned.log
    receiver.then(Reply(400, b"<html>\n  <body>\n    <p>invalid payload</p>\n  </body>\n</html>\n"), to=bad)
    failed = run_cli("verify-and-notify", "--notify", f"teams={bad}\nslack={good}", "--fail-on-notify-error", "true")
    assert failed.code == 1
    assert json.loads(failed.outputs["notified"]) == ["slack"]
    assert ("notification not delivered: teams: refused: HTTP 400: <html> <body> <p>invalid payload</p> </body> "
            "</html> after 1 attempt\n") in failed.log  # an error page's layout squeezed onto one line
    assert "not notified: teams (fail-on-notify-error: true)" in failed.log
    receiver.then(Reply(429, b"", {"Retry-After": "3600"}), to=good)
    gave_up = run_cli("verify-and-notify", "--notify", f"slack={good}")
    assert "the next attempt (in 3600s) would pass the 60s allowed for sending" in gave_up.log
    assert bad not in warned.log + failed.log + gave_up.log


def test_notify_alone_reports_the_status_and_notify_on_chooses_when(run_cli: Any, receiver: WebhookReceiver) -> None:
    url = receiver.url("slack")
    env = gitlab_run("Ship it")
    cancelled = run_cli("verify-and-notify", "--notify", f"slack={url}", "--status", "canceled", env=env)
    assert cancelled.code == 0 and cancelled.outputs["healthy"] == ""
    assert receiver.to(url)[-1].json["text"] == "⚪ acme/api was cancelled"
    skipped = run_cli("verify-and-notify", "--notify", f"slack={url}", "--notify-on", "failure", env=env)
    assert skipped.code == 0 and "Not notifying: notify-on: failure and the outcome is success" in skipped.log
    same = run_cli("verify-and-notify", "--notify", f"slack={url}", "--notify-on", "change",
                   "--previous-status", "success", env=env)
    changed = run_cli("verify-and-notify", "--notify", f"slack={url}", "--notify-on", "change", "--status", "failure",
                      "--previous-status", "success", env=env)
    assert json.loads(same.outputs["notified"]) == [] and json.loads(changed.outputs["notified"]) == ["slack"]
    assert len(receiver.to(url)) == 2


def test_a_channel_url_from_a_variable_gitlab_masks_one_line_each(run_cli: Any, service: Service,
                                                                   receiver: WebhookReceiver) -> None:
    url = receiver.url("teams")
    sent = run_cli("verify-and-notify", "--notify", "teams=${TEAMS_WEBHOOK}", env={"TEAMS_WEBHOOK": url})
    assert sent.code == 0 and len(receiver.to(url)) == 1, sent.log
    unset = run_cli("verify-and-notify", "--urls", f"{service.url}/health", "--notify", "teams=$TEAMS_WEBHOOK")
    assert unset.code == 2 and service.requests == 0
    assert "input 'notify' (value not shown): line 1 (teams): the variable TEAMS_WEBHOOK is not set" in unset.log


def test_a_users_template_replaces_the_message(run_cli: Any, receiver: WebhookReceiver, tmp_path: Path) -> None:
    template = tmp_path / "slack.json.j2"
    template.write_text('{"text": "{{ emoji }} {{ environment }}: {{ commit.subject | clip(20) }}"}')
    url = receiver.url("slack")
    result = run_cli("verify-and-notify", "--notify", f"slack={url}", "--template", f"slack={template}",
                     "--environment", "<!channel>", env=gitlab_run())
    assert result.code == 0, result.log
    assert receiver.to(url)[0].json == {"text": '✅ &lt;!channel&gt;: Fix "$(rm -rf ~)" a…'}


CHECK = ["--urls", "{service}/health"]  # a check that would request the service, were the input good


@pytest.mark.parametrize(("args", "says"), [
    (["--urls", "localhost:8080/health"], "input 'urls' = 'localhost:8080/health': 'localhost:8080/health' is not "
     "an http(s) URL"),
    (["--urls", "{service}/health expect-code=200"], "unknown expectation 'expect-code'; use expect-status"),
    ([*CHECK, "--notify", "mattermost={hook}"], "input 'notify' (value not shown): line 1: unknown channel "
     "'mattermost'"),
    ([*CHECK, "--notify", "slack=hooks.slack.com/T/B/x"], "line 1 (slack): the URL must be an http(s) URL"),
    ([*CHECK, "--notify", "slack={hook}", "--template", "slack={broken}"], "input 'template' = 'slack="),
    ([*CHECK, "--notify", "slack={hook}", "--template", "teams={good}"], "notify has no teams channel"),
    ([*CHECK, "--notify", "slack={hook}", "--template", "slack={misspelt}"], "fails to render: 'enviroment' is "
     "undefined (did you mean environment?); fix the template"),
    ([*CHECK, "--notify", "slack={hook}", "--template", "slack=missing.j2"], "cannot read it: FileNotFoundError"),
    ([*CHECK, "--notify", "slack={hook}", "--status", "ok"], "input 'status' = 'ok': expected success, failure or "
     "cancelled"),
    ([*CHECK, "--interval", "5"], "input 'interval' = '5': give a unit: 5s or 5m"),
    ([*CHECK, "--target-groups", "no-such-group"], "input 'target-groups' = 'no-such-group': no such target group"),
    ([], "nothing to do"),
])
def test_bad_input_exits_2_before_any_request(run_cli: Any, aws: AwsEndpoint, service: Service,
                                              receiver: WebhookReceiver, tmp_path: Path, args: list[str],
                                              says: str) -> None:
    broken, good, misspelt = tmp_path / "broken.j2", tmp_path / "good.j2", tmp_path / "misspelt.j2"
    broken.write_text('{"text": "{{ status }"}')
    good.write_text('{"text": "{{ status }}"}')
    misspelt.write_text('{"text": "{{ enviroment }}"}')
    hook = receiver.url("slack")
    result = run_cli("verify-and-notify", *[a.format(service=service.url, hook=hook, broken=broken, good=good,
                                                     misspelt=misspelt) for a in args], env=aws.env)
    assert result.code == 2, result.log
    assert says in result.log
    if "broken" in says or "{broken}" in " ".join(args):
        assert "does not compile (line 1)" in result.log
    assert service.requests == 0 and receiver.received == []
    assert hook not in result.log and hook.split("/hooks/")[1] not in result.log
