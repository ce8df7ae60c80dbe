"""switch-listener against the session emulator: real HTTP through the emulated ALB, real health probes."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.integration.emulator.apps import App
from tests.integration.emulator.conftest import wait_for
from tests.integration.emulator.test_target_health import ip_target_group


def get(url: str) -> str:
    """The body, 'HTTP <code>' for an error status, 'failed: ...' when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except OSError as error:
        return f"failed: {error}"


@dataclass
class Site:
    """A blue and a green target group (one real app each) behind a listener that forwards to blue."""

    emulator: Any
    elbv2: Any
    name: str
    blue: str
    green: str
    blue_name: str
    green_name: str
    balancer: str
    listener: str
    url: str
    apps: dict[str, App] = field(default_factory=dict)

    def actions(self, arn: str | None = None) -> list[dict[str, Any]]:
        return list(self.elbv2.describe_listeners(ListenerArns=[arn or self.listener])["Listeners"][0][
            "DefaultActions"])

    def rules(self) -> list[dict[str, Any]]:
        return list(self.elbv2.describe_rules(ListenerArn=self.listener)["Rules"])

    def weights(self, actions: list[dict[str, Any]] | None = None) -> dict[str, int]:
        forward = next(a for a in actions or self.actions() if a["Type"] == "forward")
        groups = (forward.get("ForwardConfig") or {}).get("TargetGroups") or [
            {"TargetGroupArn": forward["TargetGroupArn"], "Weight": 1}]
        names = {self.blue: "blue", self.green: "green"}
        return {names[g["TargetGroupArn"]]: int(g.get("Weight", 1)) for g in groups}

    def answers(self, count: int = 10, path: str = "/") -> Counter[str]:
        return Counter(get(self.url + path) for _ in range(count))

    def args(self, *extra: str) -> list[str]:
        return ["switch-listener", "--listener-arn", self.listener, "--blue-target-group", self.blue_name,
                "--green-target-group", self.green_name, *extra]

    def healthy(self, arn: str) -> bool:
        found = self.elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        return bool(found) and all(d["TargetHealth"]["State"] == "healthy" for d in found)


@pytest.fixture
def site(aws_emulator: Any) -> Iterator[Site]:
    emulator = aws_emulator
    elbv2 = emulator.client("elbv2")
    unique = uuid.uuid4().hex[:8]
    apps = {"blue": App("blue"), "green": App("green")}
    blue = ip_target_group(elbv2, emulator, f"blue-{unique}", healthy=2)
    green = ip_target_group(elbv2, emulator, f"green-{unique}", healthy=2)
    elbv2.register_targets(TargetGroupArn=blue, Targets=[{"Id": "127.0.0.1", "Port": apps["blue"].port}])
    elbv2.register_targets(TargetGroupArn=green, Targets=[{"Id": "127.0.0.1", "Port": apps["green"].port}])
    subnets = [s["SubnetId"] for s in emulator.client("ec2").describe_subnets()["Subnets"][:2]]
    balancer = elbv2.create_load_balancer(Name=f"lb-{unique}", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": blue}])["Listeners"][0]["ListenerArn"]
    found = Site(emulator, elbv2, unique, blue, green, f"blue-{unique}", f"green-{unique}", balancer, listener,
                 emulator.listener_url(listener), apps)
    wait_for(lambda: found.healthy(blue) and found.healthy(green))
    yield found
    for app in apps.values():
        app.stop()


@pytest.fixture
def cli_env(aws_emulator: Any) -> dict[str, str]:
    return dict(aws_emulator.env())


class Load:
    """A bounded loop of requests through the listener in a thread, every response recorded."""

    def __init__(self, url: str) -> None:
        self.url, self.responses = url, []  # type: ignore[var-annotated]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set() and len(self.responses) < 20000:
            self.responses.append(get(self.url + "/"))

    def stop(self, until: str | None = None) -> Counter[str]:
        """Stop once a response `until` arrived (the loop saw the switch), or after 20 s."""
        if until is not None:
            wait_for(lambda: until in self.responses[-5:], timeout=20)
        self._stop.set()
        self._thread.join(timeout=30)
        return Counter(self.responses)


# -- all at once ----------------------------------------------------------------------------------

def test_flip_to_green_once_green_is_healthy_then_a_rerun_changes_nothing(site: Site, run_cli: Any,
                                                                          cli_env: dict[str, str]) -> None:
    assert site.answers() == {"blue": 10}
    load = Load(site.url)
    result = run_cli(*site.args("--to", "green"), env=cli_env)
    answers = load.stop(until="green")
    assert result.code == 0, result.log
    assert site.answers() == {"green": 10}
    assert set(answers) <= {"blue", "green"} and answers["green"] > 0, answers  # no request failed
    assert result.outputs["previous-target-group"] == site.blue
    assert result.outputs["active-target-group"] == site.green
    assert result.outputs["inactive-target-group"] == site.blue
    assert json.loads(result.outputs["weights"]) == {"blue": 0, "green": 100}
    assert result.outputs["steps-completed"] == "1" and result.outputs["rolled-back"] == "false"

    before = site.actions()
    again = run_cli(*site.args("--to", "green"), env=cli_env)
    assert again.code == 0, again.log
    assert "already receives all traffic; nothing changed" in again.log
    assert site.actions() == before
    assert again.outputs["active-target-group"] == site.green and again.outputs["steps-completed"] == "0"


def test_inactive_reports_the_side_to_deploy_to_and_changes_nothing(site: Site, run_cli: Any,
                                                                   cli_env: dict[str, str]) -> None:
    before = site.actions()
    result = run_cli(*site.args("--to", "inactive"), env=cli_env)
    assert result.code == 0, result.log
    assert result.outputs["inactive-target-group"] == site.green
    assert result.outputs["active-target-group"] == site.blue
    assert (result.outputs["active-side"], result.outputs["inactive-side"]) == ("blue", "green")
    assert f"deploy to green ({site.green_name})" in result.log
    assert site.actions() == before


def test_toggle_goes_to_the_idle_side_read_from_weights_not_names(site: Site, run_cli: Any,
                                                                 cli_env: dict[str, str]) -> None:
    # green holds all the weight although blue is listed first: green is live, whatever the names say
    site.elbv2.modify_listener(ListenerArn=site.listener, DefaultActions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": site.blue, "Weight": 0}, {"TargetGroupArn": site.green, "Weight": 5}]}}])
    result = run_cli(*site.args("--to", "toggle"), env=cli_env)
    assert result.code == 0, result.log
    assert site.weights() == {"blue": 100, "green": 0}
    assert site.answers() == {"blue": 10}


def test_refuses_when_green_is_unhealthy_and_changes_nothing(site: Site, run_cli: Any,
                                                            cli_env: dict[str, str]) -> None:
    site.apps["green"].health_status = 500
    wait_for(lambda: site.elbv2.describe_target_health(TargetGroupArn=site.green)["TargetHealthDescriptions"][0][
        "TargetHealth"]["State"] == "unhealthy")
    before = site.actions()
    result = run_cli(*site.args("--to", "green"), env=cli_env)
    assert result.code == 1, result.log
    assert f"{site.green_name} is not healthy enough for 100%: 0 of 1 targets healthy" in result.log
    assert "nothing changed" in result.log
    assert site.actions() == before
    assert site.answers() == {"blue": 10}


def test_waits_for_green_targets_still_registering_then_flips(site: Site, run_cli: Any,
                                                             cli_env: dict[str, str]) -> None:
    late = App("green-late")
    try:
        fresh = ip_target_group(site.elbv2, site.emulator, f"fresh-{site.name}", healthy=2)
        site.elbv2.register_targets(TargetGroupArn=fresh, Targets=[{"Id": "127.0.0.1", "Port": late.port}])
        state = site.elbv2.describe_target_health(TargetGroupArn=fresh)["TargetHealthDescriptions"][0]
        assert state["TargetHealth"]["State"] == "initial"
        result = run_cli("switch-listener", "--listener-arn", site.listener, "--blue-target-group", site.blue,
                         "--green-target-group", fresh, "--to", "green", env=cli_env)
        assert result.code == 0, result.log
        assert site.answers() == {"green-late": 10}
    finally:
        late.stop()


# -- canary ---------------------------------------------------------------------------------------

def test_canary_rolled_back_by_an_alarm_during_the_50_percent_bake(site: Site, run_cli: Any, tmp_path: Path,
                                                                  cli_env: dict[str, str]) -> None:
    cw = site.emulator.client("cloudwatch")
    alarm = f"5xx-{site.name}"
    cw.put_metric_alarm(AlarmName=alarm, MetricName="HTTPCode_Target_5XX_Count", Namespace="Tests/SwitchListener",
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    cw.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="test starts healthy")
    seen: list[dict[str, int]] = []

    def alarm_at_fifty() -> None:
        wait_for(lambda: seen.append(site.weights()) or seen[-1].get("green") == 50, timeout=60, interval=0.1)
        start = len(load.responses)
        wait_for(lambda: len(load.responses) >= start + 20)
        window.extend(load.responses[start:start + 20])
        cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="5xx during the canary")

    window: list[str] = []
    load = Load(site.url)
    trigger = threading.Thread(target=alarm_at_fifty, daemon=True)
    trigger.start()
    result = run_cli(*site.args("--to", "green", "--strategy", "canary", "--steps", "10,50,100", "--bake-time",
                                "4s", "--alarms", alarm), env=cli_env)
    answers = load.stop(until="blue")
    trigger.join(timeout=10)
    assert result.code == 1, result.log
    assert f"alarm {alarm} in ALARM during the bake at 50%" in result.log
    # at 50 %, half the responses come from green (give or take the requests in flight when the weights moved)
    assert set(window) == {"blue", "green"} and 8 <= Counter(window)["green"] <= 12, window
    assert site.weights() == {"blue": 1}  # the action list as it was: forward to blue alone
    assert site.answers() == {"blue": 10}
    assert result.outputs["rolled-back"] == "true" and result.outputs["steps-completed"] == "2"
    assert json.loads(result.outputs["weights"]) == {"blue": 1, "green": 0}
    assert set(answers) <= {"blue", "green"}, answers  # every request answered, by one side or the other
    summary = (tmp_path / "summary.md").read_text()
    assert "| blue | " in summary and "```mermaid" in summary and "rolled back" in summary


class BrokenApp(App):
    """Healthy for the load balancer (/health answers 200), but every request of a user gets a 500."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        handler = self.server.RequestHandlerClass

        class Failing(handler):  # type: ignore[valid-type,misc]
            def do_GET(self) -> None:
                if self.path == "/health":
                    super().do_GET()
                    return
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server.RequestHandlerClass = Failing


def test_a_canary_is_rolled_back_by_a_5xx_alarm_that_real_traffic_sets_off(site: Site, run_cli: Any,
                                                                          cli_env: dict[str, str]) -> None:
    broken = BrokenApp("green-broken")
    try:
        green = ip_target_group(site.elbv2, site.emulator, f"broken-{site.name}", healthy=2)
        site.elbv2.register_targets(TargetGroupArn=green, Targets=[{"Id": "127.0.0.1", "Port": broken.port}])
        wait_for(lambda: site.healthy(green))
        alarm = f"green-5xx-{site.name}"
        site.emulator.client("cloudwatch").put_metric_alarm(
            AlarmName=alarm, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
            Dimensions=[{"Name": "LoadBalancer", "Value": site.balancer.split(":loadbalancer/", 1)[1]},
                        {"Name": "TargetGroup", "Value": green.rsplit(":", 1)[1]}],
            Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, TreatMissingData="notBreaching",
            ComparisonOperator="GreaterThanOrEqualToThreshold")
        before = site.actions()
        load = Load(site.url)
        result = run_cli("switch-listener", "--listener-arn", site.listener, "--blue-target-group", site.blue,
                         "--green-target-group", green, "--to", "green", "--strategy", "canary", "--bake-time", "30s",
                         "--alarms", alarm, env=cli_env)
        answers = load.stop(until="blue")
        assert result.code == 1, result.log
        assert f"alarm {alarm} in ALARM during the bake at 10%" in result.log
        assert site.actions() == before
        assert site.answers() == {"blue": 10}
        assert set(answers) == {"blue", "HTTP 500"}, answers  # the canary's 10 % met the broken version
    finally:
        broken.stop()


def test_a_throttled_alarm_read_during_a_bake_is_asked_again(site: Site, run_cli: Any,
                                                             cli_env: dict[str, str]) -> None:
    cw = site.emulator.client("cloudwatch")
    alarm = f"errors-{site.name}"
    cw.put_metric_alarm(AlarmName=alarm, MetricName="Errors", Namespace="Tests/SwitchListener", Statistic="Sum",
                        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    cw.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="test starts healthy")
    faults = site.emulator.faults

    def throttle_during_the_bake() -> None:
        wait_for(lambda: site.weights().get("green") == 10, timeout=60, interval=0.1)
        faults.throttle(1.0, service="monitoring", operation="DescribeAlarms")
        wait_for(lambda: faults._calls.get(0, 0) >= 4, timeout=60)  # a whole poll refused, retries included
        faults.clear()

    trigger = threading.Thread(target=throttle_during_the_bake, daemon=True)
    trigger.start()
    result = run_cli(*site.args("--to", "green", "--strategy", "canary", "--steps", "10,100", "--bake-time", "2s",
                                "--alarms", alarm), env=cli_env)
    trigger.join(timeout=10)
    assert result.code == 0, result.log
    assert "reading the alarms: reading CloudWatch alarms failed: Throttling" in result.log
    assert site.weights() == {"blue": 0, "green": 100}


@pytest.mark.parametrize("on_cancel", ["stop-and-rollback", "stop"])
def test_sigterm_mid_canary_restores_the_starting_weights(site: Site, cli_env: dict[str, str], tmp_path: Path,
                                                         on_cancel: str) -> None:
    before = site.actions()
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy_actions", *site.args("--to", "green", "--strategy", "canary", "--steps",
                                                              "10,100", "--bake-time", "10m", "--timeout", "1h",
                                                              "--on-cancel", on_cancel)],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **cli_env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True)
    reader.start()
    wait_for(lambda: site.weights().get("green") == 10, timeout=30, interval=0.1)
    assert site.answers(10) == {"blue": 9, "green": 1}
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    reader.join(timeout=5)
    log = "".join(lines.queue)
    assert process.returncode == 128 + signal.SIGTERM, log
    assert "cancelled (SIGTERM)" in log
    if on_cancel == "stop":  # the weights reached stay, as asked
        assert site.weights() == {"blue": 90, "green": 10}
        return
    assert site.actions() == before
    assert site.answers() == {"blue": 10}


def test_an_alarm_already_in_alarm_stops_the_shift_before_it_starts(site: Site, run_cli: Any,
                                                                    cli_env: dict[str, str]) -> None:
    cw = site.emulator.client("cloudwatch")
    alarm = f"latency-{site.name}"
    cw.put_metric_alarm(AlarmName=alarm, MetricName="TargetResponseTime", Namespace="Tests/SwitchListener",
                        Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="slow already")
    before = site.actions()
    result = run_cli(*site.args("--to", "green", "--alarms", alarm), env=cli_env)
    assert result.code == 1, result.log
    assert f"alarm {alarm} in ALARM before the first step; nothing changed" in result.log
    assert site.actions() == before and result.outputs["rolled-back"] == "false"


def test_mid_shift_to_green_finishes_from_where_it_stands_and_toggle_is_refused(site: Site, run_cli: Any,
                                                                                cli_env: dict[str, str]) -> None:
    site.elbv2.modify_listener(ListenerArn=site.listener, DefaultActions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": site.blue, "Weight": 70}, {"TargetGroupArn": site.green, "Weight": 30}]}}])
    refused = run_cli(*site.args("--to", "toggle"), env=cli_env)
    assert refused.code == 2, refused.log
    assert "input 'to' = 'toggle': the listener is mid-shift (blue weight 70, green 30)" in refused.log
    assert site.weights() == {"blue": 70, "green": 30}

    result = run_cli(*site.args("--to", "green", "--strategy", "canary", "--bake-time", "0s"), env=cli_env)
    assert result.code == 0, result.log
    assert "Plan: 50% → 100% of traffic to green" in result.log  # 10 % is behind it already
    assert result.outputs["steps-completed"] == "2"
    assert site.weights() == {"blue": 0, "green": 100}


# -- rules, fields kept, dry run --------------------------------------------------------------------

def test_a_rule_switch_leaves_other_rules_and_the_default_action_untouched(site: Site, run_cli: Any,
                                                                          cli_env: dict[str, str]) -> None:
    api = site.elbv2.create_rule(ListenerArn=site.listener, Priority=10, Conditions=[
        {"Field": "path-pattern", "Values": ["/api/*"]}], Actions=[
        {"Type": "forward", "TargetGroupArn": site.blue}])["Rules"][0]["RuleArn"]
    site.elbv2.create_rule(ListenerArn=site.listener, Priority=20, Conditions=[
        {"Field": "path-pattern", "Values": ["/admin/*"]}], Actions=[
        {"Type": "forward", "TargetGroupArn": site.blue}])
    default_before = site.actions()
    others_before = [r for r in site.rules() if r["RuleArn"] != api]
    conditions_before = next(r for r in site.rules() if r["RuleArn"] == api)["Conditions"]

    result = run_cli(*site.args("--rule-arn", api, "--to", "green"), env=cli_env)
    assert result.code == 0, result.log
    rule = next(r for r in site.rules() if r["RuleArn"] == api)
    assert site.weights(rule["Actions"]) == {"blue": 0, "green": 100}
    assert rule["Conditions"] == conditions_before and rule["Priority"] == "10"
    assert [r for r in site.rules() if r["RuleArn"] != api] == others_before
    assert site.actions() == default_before
    assert site.answers(4, "/api/x") == {"green": 4}
    assert site.answers(4, "/admin/x") == {"blue": 4}
    assert site.answers(4, "/") == {"blue": 4}


def test_stickiness_and_the_other_actions_are_kept(site: Site, run_cli: Any, cli_env: dict[str, str]) -> None:
    site.elbv2.modify_listener(ListenerArn=site.listener, DefaultActions=[
        {"Type": "forward", "Order": 2, "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": site.blue, "Weight": 10}],
            "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 600}}}])
    result = run_cli(*site.args("--to", "green"), env=cli_env)
    assert result.code == 0, result.log
    [action] = site.actions()
    assert action["Order"] == 2
    assert action["ForwardConfig"]["TargetGroupStickinessConfig"] == {"Enabled": True, "DurationSeconds": 600}
    assert site.weights() == {"blue": 0, "green": 100}


def test_dry_run_prints_the_plan_and_changes_nothing(site: Site, run_cli: Any, cli_env: dict[str, str]) -> None:
    before = site.actions()
    result = run_cli(*site.args("--to", "green", "--strategy", "linear", "--step-percent", "25", "--dry-run",
                                "true"), env=cli_env)
    assert result.code == 0, result.log
    assert "Plan: 25% → 50% → 75% → 100% of traffic to green" in result.log
    assert "Dry run: nothing changed" in result.log
    assert site.actions() == before
    assert result.outputs["active-target-group"] == site.blue and result.outputs["steps-completed"] == "0"


def test_a_test_listener_is_pointed_at_green_first(site: Site, run_cli: Any, cli_env: dict[str, str]) -> None:
    test = site.elbv2.create_listener(LoadBalancerArn=site.balancer, Protocol="HTTP", Port=8080, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": site.blue}])["Listeners"][0]["ListenerArn"]
    url = site.emulator.listener_url(test) + "/health"
    result = run_cli(*site.args("--to", "green", "--test-listener-arn", test, "--test-url", url), env=cli_env)
    assert result.code == 0, result.log
    assert f"Test listener HTTP:8080 now forwards to {site.green_name}\n" in result.log  # its port, as the console
    assert f"{url} answered HTTP 200 through the test listener" in result.log
    assert site.weights(site.actions(test)) == {"blue": 0, "green": 1}
    assert get(site.emulator.listener_url(test) + "/") == "green"



# -- bad inputs: exit 2 before anything changes -------------------------------------------------------

def _other_balancers_group(site: Site) -> str:
    other = ip_target_group(site.elbv2, site.emulator, f"other-{site.name}")
    subnets = [s["SubnetId"] for s in site.emulator.client("ec2").describe_subnets()["Subnets"][:2]]
    balancer = site.elbv2.create_load_balancer(Name=f"lb2-{site.name}", Subnets=subnets)["LoadBalancers"][0]
    site.elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                               DefaultActions=[{"Type": "forward", "TargetGroupArn": other}])
    return other


def _rule_of_another_listener(site: Site) -> str:
    other = site.elbv2.create_listener(LoadBalancerArn=site.balancer, Protocol="HTTP", Port=8081, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": site.blue}])["Listeners"][0]["ListenerArn"]
    return str(site.elbv2.create_rule(ListenerArn=other, Priority=5, Conditions=[
        {"Field": "path-pattern", "Values": ["/x/*"]}], Actions=[
        {"Type": "forward", "TargetGroupArn": site.blue}])["Rules"][0]["RuleArn"])


def _default_rule(site: Site) -> str:
    return next(str(r["RuleArn"]) for r in site.rules() if r["IsDefault"])


BAD_INPUTS: dict[str, tuple[Callable[[Site], list[str]], str]] = {
    "rule of another listener": (lambda s: s.args("--rule-arn", _rule_of_another_listener(s)),
                                 "is a rule of another listener; give a rule of listener-arn"),
    "the default rule": (lambda s: s.args("--rule-arn", _default_rule(s)),
                         "is the listener's default rule; leave rule-arn empty"),
    "listener not found": (lambda s: ["switch-listener", "--listener-arn", s.listener[:-4] + "0000",
                                      "--blue-target-group", s.blue_name, "--green-target-group", s.green_name],
                           "input 'listener-arn' = 'arn:aws:elasticloadbalancing:"),
    "rule not found": (lambda s: s.args("--rule-arn", s.listener.replace(":listener/", ":listener-rule/") + "/0bad"),
                       "input 'rule-arn' = "),
    "target group not found": (lambda s: ["switch-listener", "--listener-arn", s.listener, "--blue-target-group",
                                          s.blue_name, "--green-target-group", "no-such-group"],
                               "input 'green-target-group' = 'no-such-group': no such target group"),
    "target group of another load balancer": (
        lambda s: ["switch-listener", "--listener-arn", s.listener, "--blue-target-group", s.blue_name,
                   "--green-target-group", _other_balancers_group(s)],
        "an ALB target group serves one load balancer"),
    "steps not ascending": (lambda s: s.args("--strategy", "canary", "--steps", "50,10,100"),
                            "input 'steps' = '50,10,100': steps must be strictly ascending"),
    "steps not ending at 100": (lambda s: s.args("--strategy", "canary", "--steps", "10,50"),
                                "input 'steps' = '10,50': the last step must be 100"),
    "step outside 1-100": (lambda s: s.args("--strategy", "canary", "--steps", "10,1000"),
                           "input 'steps' = '10,1000': each step is a percentage of traffic from 1 to 100"),
    "blue = green": (lambda s: ["switch-listener", "--listener-arn", s.listener, "--blue-target-group",
                                s.blue_name, "--green-target-group", s.blue],
                     "input 'green-target-group' = 'arn:aws:elasticloadbalancing:"),
    "unknown alarm": (lambda s: s.args("--alarms", "no-such-alarm"),
                      "input 'alarms' = 'no-such-alarm': no such CloudWatch alarm"),
    "bakes longer than the timeout": (lambda s: s.args("--strategy", "canary", "--bake-time", "40m"),
                                      "input 'bake-time' = '40m': 2 bakes take 1h20m00s, more than timeout (1h)"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_and_changes_nothing(case: str, site: Site, run_cli: Any, cli_env: dict[str, str]) -> None:
    make_args, message = BAD_INPUTS[case]
    args = make_args(site)
    before = site.actions()
    result = run_cli(*args, "--to", "green", env=cli_env)
    assert result.code == 2, result.log
    assert message in result.log
    assert site.actions() == before
    assert site.answers(4) == {"blue": 4}
