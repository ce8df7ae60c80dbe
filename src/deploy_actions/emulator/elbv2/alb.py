"""The load balancers' data plane: each ALB listener is a real HTTP listener on loopback.

A request is routed as an ALB routes it: the listener's rules by priority (path-pattern and
host-header conditions), else its default action; a forward action picks a target group by weight
(smooth weighted round robin, so 10/90 weights give exactly 1 request in 10) and a healthy target
in it round-robin (every registered target when none is healthy: ALB's fail-open). Listener state
is read from moto at every request, so ModifyListener or ModifyRule is visible at once.

A listener listens on 127.0.0.1 and a free port (the listener's own port, 80 or 443, is rarely free
for an unprivileged user); the load balancer's DNSName becomes `127.0.0.1:<port>` of its first
listener, so `http://<DNSName>/` reaches it (see docs/emulator.md).
"""

from __future__ import annotations

import fnmatch
import http.client
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto.elbv2.models import FakeListener, elbv2_backends

from deploy_actions.emulator.elbv2.target_health import HealthTracker

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host"}
Resolver = Callable[[str, int], tuple[str, int] | None]
# Where the data plane's CloudWatch metrics go: (namespace, metric, dimensions, value, unit, wall-clock time).
MetricSink = Callable[[str, str, dict[str, str], float, str, float], None]
NAMESPACE = "AWS/ApplicationELB"
HEALTH_PERIOD = 60.0  # emulated seconds between HealthyHostCount datapoints, as ALB publishes them


def _values(condition: dict[str, Any], config_key: str) -> list[str]:
    return list((condition.get(config_key) or {}).get("Values") or condition.get("Values") or [])


def rule_matches(conditions: list[dict[str, Any]], path: str, host: str) -> bool:
    for condition in conditions:
        field = condition.get("Field")
        if field == "path-pattern":
            if not any(fnmatch.fnmatchcase(path, p) for p in _values(condition, "PathPatternConfig")):
                return False
        elif field == "host-header":
            if not any(fnmatch.fnmatchcase(host.lower(), p.lower()) for p in _values(condition, "HostHeaderConfig")):
                return False
        else:
            return False  # conditions the emulator does not evaluate never match
    return True


class WeightedChoice:
    """Smooth weighted round robin (as nginx does it): deterministic and evenly spread."""

    def __init__(self) -> None:
        self._current: dict[str, int] = {}
        self._lock = threading.Lock()

    def pick(self, weights: dict[str, int]) -> str | None:
        live = {key: weight for key, weight in weights.items() if weight > 0}
        if not live:
            return None
        with self._lock:
            total = sum(live.values())
            for key, weight in live.items():
                self._current[key] = self._current.get(key, 0) + weight
            chosen = max(live, key=lambda key: self._current[key])
            self._current[chosen] -= total
            return chosen


class ListenerProxy:
    def __init__(self, plane: DataPlane, listener_arn: str) -> None:
        self.plane, self.listener_arn = plane, listener_arn
        self.groups = WeightedChoice()
        self.targets = WeightedChoice()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        # A short poll interval: shutdown() waits for it, and a session may close dozens of listeners.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name=f"alb-{self.port}", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _listener(self) -> FakeListener | None:
        for balancer in list(elbv2_backends[self.plane.account][self.plane.region].load_balancers.values()):
            found = balancer.listeners.get(self.listener_arn)
            if found is not None:
                return found
        return None

    def _actions(self, listener: FakeListener, path: str, host: str) -> list[Any]:
        rules = sorted(list(listener._non_default_rules.values()), key=lambda rule: int(rule.priority))
        for rule in rules:
            if rule_matches(rule.conditions, path, host):
                return list(rule.actions)
        return list(listener.default_actions)

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        listener = self._listener()
        if listener is None:
            return _respond(request, 503, b"listener deleted\n")
        path = request.path.split("?", 1)[0]
        actions = self._actions(listener, path, request.headers.get("Host", "").split(":")[0])
        action = next((a for a in sorted(actions, key=lambda a: int(a.data.get("Order", 1)))), None)
        if action is None:
            return _respond(request, 503, b"no action\n")
        if action.type == "fixed-response":
            self.plane.count(listener.load_balancer_arn, None, None, 0.0)
            config = action.data.get("FixedResponseConfig") or {}
            return _respond(request, int(config.get("StatusCode", 200)), str(config.get("MessageBody", "")).encode(),
                            str(config.get("ContentType", "text/plain")))
        if action.type != "forward":
            return _respond(request, 501, f"the emulator does not serve {action.type} actions\n".encode())
        forward = action.data.get("ForwardConfig") or {}
        weights = {str(g["TargetGroupArn"]): int(g.get("Weight", 1)) for g in forward.get("TargetGroups") or []}
        if not weights and action.data.get("TargetGroupArn"):
            weights = {str(action.data["TargetGroupArn"]): 1}
        group = self.groups.pick(weights)
        targets = self.plane.health.routable_targets(group) if group else []
        target = self.targets.pick({f"{t}|{p}": 1 for t, p in targets}) if targets else None
        address = None
        if target is not None:
            target_id, port = target.split("|")
            address = self.plane.resolve(target_id, int(port))
        if address is None:
            self.plane.count(listener.load_balancer_arn, group, 503, 0.0, from_target=False)
            return _respond(request, 503, b"503 Service Temporarily Unavailable\n")
        status = self._forward(request, address, body)
        self.plane.count(listener.load_balancer_arn, group, status or 502, time.monotonic() - started,
                         from_target=status is not None)

    def _forward(self, request: BaseHTTPRequestHandler, address: tuple[str, int], body: bytes) -> int | None:
        """The target's status code, or None when it did not answer (the load balancer's 502)."""
        upstream = http.client.HTTPConnection(address[0], address[1], timeout=30)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["X-Forwarded-For"] = request.client_address[0]
        headers["Host"] = request.headers.get("Host", f"127.0.0.1:{self.port}")
        try:
            upstream.request(request.command, request.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        except OSError:
            _respond(request, 502, b"502 Bad Gateway\n")
            return None
        finally:
            upstream.close()
        request.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                request.send_header(key, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(data)
        return int(response.status)


def _respond(request: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "text/plain") -> None:
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    if request.command != "HEAD":
        request.wfile.write(body)


def _dimension(arn: str) -> str:
    """ALB metrics' dimension values: `app/<name>/<id>` of a load balancer, `targetgroup/<name>/<id>`."""
    return arn.split(":loadbalancer/", 1)[-1] if ":loadbalancer/" in arn else arn.rsplit(":", 1)[-1]


class DataPlane:
    def __init__(self, account: str, region: str, health: HealthTracker, resolve: Resolver,
                 metrics: MetricSink | None = None, watched: Callable[[str, str], bool] | None = None) -> None:
        self.account, self.region, self.health, self.resolve = account, region, health, resolve
        self.metrics = metrics
        self.watched = watched  # whether an alarm watches (namespace, metric): periodic metrics only then
        self._proxies: dict[str, ListenerProxy] = {}
        self._lock = threading.Lock()
        self._health_published: dict[tuple[str, str], float] = {}

    def count(self, balancer_arn: str, group_arn: str | None, status: int | None, seconds: float,
              from_target: bool = True) -> None:
        """One request's metrics, as ALB publishes them per load balancer and per target group."""
        if self.metrics is None:
            return
        balancer = {"LoadBalancer": _dimension(balancer_arn)}
        scopes = [balancer] + ([{**balancer, "TargetGroup": _dimension(group_arn)}] if group_arn else [])
        now = time.time()
        for dimensions in scopes:
            self.metrics(NAMESPACE, "RequestCount", dimensions, 1.0, "Count", now)
        if status is None:
            return
        if not from_target:
            self.metrics(NAMESPACE, f"HTTPCode_ELB_{status // 100}XX_Count", balancer, 1.0, "Count", now)
            if status in (502, 503, 504):
                self.metrics(NAMESPACE, f"HTTPCode_ELB_{status}_Count", balancer, 1.0, "Count", now)
            return
        for dimensions in scopes:
            self.metrics(NAMESPACE, f"HTTPCode_Target_{status // 100}XX_Count", dimensions, 1.0, "Count", now)
            self.metrics(NAMESPACE, "TargetResponseTime", dimensions, seconds, "Seconds", now)

    def _publish_health(self, balancers: list[Any]) -> None:
        """HealthyHostCount and UnHealthyHostCount per target group behind each load balancer, every minute
        (emulated) while an alarm watches either: a minute lasts 0.1 s at clock factor 600."""
        if self.metrics is None or (self.watched is not None and not (
                self.watched(NAMESPACE, "HealthyHostCount") or self.watched(NAMESPACE, "UnHealthyHostCount"))):
            return
        now, period = time.time(), self.health.clock.real(HEALTH_PERIOD)
        groups = dict(elbv2_backends[self.account][self.region].target_groups)
        for balancer in balancers:
            for group_arn, group in groups.items():
                key = (balancer.arn, group_arn)
                due = self._health_published.get(key, now)
                if balancer.arn not in (group.load_balancer_arns or []) or now < due:
                    continue
                states = [d["TargetHealth"]["State"] for d in self.health.describe(group_arn, [])]
                dimensions = {"LoadBalancer": _dimension(balancer.arn), "TargetGroup": _dimension(group_arn)}
                # One datapoint per minute since the last, each in its minute, however late this loop runs.
                for _ in range(100):
                    healthy = float(states.count("healthy"))
                    self.metrics(NAMESPACE, "HealthyHostCount", dimensions, healthy, "Count", due)
                    self.metrics(NAMESPACE, "UnHealthyHostCount", dimensions, float(states.count("unhealthy")),
                                 "Count", due)
                    due += period
                    if due > now:
                        break
                self._health_published[key] = max(due, now - period)

    def sync(self) -> None:
        """Called by the control loop: one proxy per existing listener, DNSName pointing at it."""
        balancers = list(elbv2_backends[self.account][self.region].load_balancers.values())
        wanted = {}
        for balancer in balancers:
            for arn, listener in list(balancer.listeners.items()):
                wanted[arn] = (balancer, listener)
        with self._lock:
            for arn in [a for a in self._proxies if a not in wanted]:
                self._proxies.pop(arn).close()
            for arn in wanted:
                if arn not in self._proxies:
                    self._proxies[arn] = ListenerProxy(self, arn)
            for balancer in balancers:
                listeners = sorted(balancer.listeners.values(), key=lambda item: int(item.port or 0))
                if listeners:
                    balancer.dns_name = f"127.0.0.1:{self._proxies[listeners[0].arn].port}"
        self._publish_health(balancers)

    def listener_address(self, listener_arn: str) -> str | None:
        with self._lock:
            proxy = self._proxies.get(listener_arn)
            return f"127.0.0.1:{proxy.port}" if proxy else None

    def listeners(self) -> dict[str, str]:
        with self._lock:
            return {arn: f"127.0.0.1:{proxy.port}" for arn, proxy in self._proxies.items()}

    def close(self) -> None:
        with self._lock:
            for proxy in self._proxies.values():
                proxy.close()
            self._proxies.clear()
