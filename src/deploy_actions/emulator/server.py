"""`Emulator`: moto's server on loopback with the emulator's operations and lifecycle engine.

Use it as a context manager from tests and scripts::

    with Emulator(clock_factor=60) as emulator:
        codedeploy = emulator.client("codedeploy")   # or boto3 with emulator.env()
        emulator.faults.fail_hook("ValidateService", instance=2)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from moto.ec2.models import ec2_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from deploy_actions.emulator import extensions
from deploy_actions.emulator.cloudwatch.alarms import Alarms
from deploy_actions.emulator.codedeploy.context import Services
from deploy_actions.emulator.codedeploy.engine import Engine
from deploy_actions.emulator.core import http_layer, runtime
from deploy_actions.emulator.core.calls import CallRecorder
from deploy_actions.emulator.core.clock import Clock
from deploy_actions.emulator.core.defaults import DEFAULT_ACCOUNT, DUMMY_CREDENTIALS, LOOPBACK
from deploy_actions.emulator.core.faults import Faults
from deploy_actions.emulator.core.sandbox import Fleet
from deploy_actions.emulator.ecr.service import Ecr
from deploy_actions.emulator.ecs.engine import EcsEngine
from deploy_actions.emulator.elbv2.alb import DataPlane
from deploy_actions.emulator.elbv2.target_health import HealthTracker

TICK = 0.05  # control loop period, real seconds
RECORD_CALLS_ENV = "DEPLOY_ACTIONS_EMULATOR_RECORD_CALLS"  # "1" or a file: record every call (core/calls.py)


class _QuietHandler(MotoRequestHandler):
    """moto's handler without one access-log line per request on stderr (tests, demo output)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class EmulatorAlreadyRunning(RuntimeError):
    pass


# moto keeps its state in module globals: two emulators in one process would drive the same
# deployments and probe the same targets with different clocks. One runs at a time.
_running: Emulator | None = None
_running_lock = threading.Lock()


class Emulator:
    """Local AWS on loopback. One runs per process at a time (moto's state is per process)."""

    def __init__(self, *, region: str = "us-east-1", host: str = LOOPBACK, port: int = 0,
                 state_dir: str | os.PathLike[str] | None = None, clock_factor: float = 1.0) -> None:
        if not host.startswith("127."):
            raise ValueError(f"the emulator listens on loopback only, not {host}")
        self.region = region
        self.account = DEFAULT_ACCOUNT
        self.clock = Clock(clock_factor)
        self.faults = Faults()
        self.calls = CallRecorder.from_setting(os.environ.get(RECORD_CALLS_ENV, ""))
        self._host, self._port = host, port
        self._own_state_dir = state_dir is None
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="deploy-actions-emulator-"))
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.shutdown_requested = threading.Event()
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    @property
    def clock_factor(self) -> float:
        return self.clock.factor

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Emulator:
        global _running
        if self._server is not None:
            return self
        with _running_lock:
            if _running is not None:
                raise EmulatorAlreadyRunning(
                    f"an emulator already runs in this process at {_running.endpoint_url}; moto's state is per "
                    "process, so reuse that one (the aws_emulator fixture) or start another process")
            _running = self
        try:
            self._start()
        except BaseException:
            with _running_lock:
                _running = None
            raise
        return self

    def _start(self) -> None:
        extensions.install()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(self._host, self._port, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self._stopping.clear()
        self.fleet = Fleet(self.state_dir)
        self.health = HealthTracker(self.account, self.region, self.clock, self.resolve, self.faults.is_unhealthy)
        self.alarms = Alarms(self.account, self.region, self.clock)
        self.data_plane = DataPlane(self.account, self.region, self.health, self.resolve, self.alarms.publish,
                                    self.alarms.watched)
        services = Services(self.account, self.region, self.clock, self.fleet, self.health, self.faults,
                            self.internal_client, self.state_dir)
        self.engine = Engine(services, self.env())
        self.ecs = EcsEngine(self.account, self.region, self.clock, self.health, self.internal_client)
        self.ecr = Ecr(self.account, self.region, self.clock, self.state_dir)
        self.ecr.registry.observer = self.calls.record_registry
        self._threads = [threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                          name="emulator-http", daemon=True),
                         threading.Thread(target=self._control_loop, name="emulator-control", daemon=True)]
        for thread in self._threads:
            thread.start()
        self.ecs.start()

    def stop(self) -> None:
        """Stop deployments, listeners, probes, and every process a hook started; then the server."""
        if self._server is None:
            return
        # Stop deployments first, then end the hooks' processes so a running hook returns at once,
        # then wait for the deployment threads to notice.
        self.engine.stop_all()
        self.fleet.close()
        self.engine.join()
        self.ecs.stop()
        self._stopping.set()
        self.data_plane.close()
        self.health.close()
        self.ecr.close()
        self.fleet.close()  # anything a hook started while the deployments wound down
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)
        self._server, self._threads = None, []
        if self._own_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        global _running
        with _running_lock:
            if _running is self:
                _running = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    # -- addresses and clients -----------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        return f"http://{self._host}:{self._server.server_port}"

    def env(self) -> dict[str, str]:
        """The environment a process needs to talk to this emulator with any AWS SDK or CLI."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
        }

    def client(self, service: str) -> Any:
        """A boto3 client pointed at this emulator (for tests and the demo)."""
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region, **DUMMY_CREDENTIALS)

    def internal_client(self, service: str) -> Any:
        """The engine's own clients: over HTTP like anyone's, but never throttled by fault injection."""
        import boto3

        with self._clients_lock:
            if service not in self._clients:
                # A session of their own: handlers registered on clients of boto3's default session
                # can leak to every other client of that session.
                session = boto3.session.Session(region_name=self.region, **DUMMY_CREDENTIALS)
                client = session.client(service, endpoint_url=self.endpoint_url)
                client.meta.events.register("before-sign.*.*", _mark_internal)
                self._clients[service] = client
            return self._clients[service]

    def resolve(self, target_id: str, port: int) -> tuple[str, int] | None:
        """Where a target really listens: an instance's sandbox address, or a loopback IP target."""
        if target_id.startswith("i-"):
            sandbox = self.fleet.sandbox(target_id)
            return sandbox.ip, sandbox.port
        if target_id.startswith("127."):
            return target_id, port
        return None

    def listener_url(self, listener_arn: str) -> str:
        """The base URL of a listener's real HTTP endpoint (waits for the control loop to open it)."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            address = self.data_plane.listener_address(listener_arn)
            if address:
                return f"http://{address}"
            time.sleep(TICK)
        raise LookupError(f"no listener {listener_arn}")

    def status(self) -> dict[str, Any]:
        from moto.elbv2.models import elbv2_backends

        balancers = elbv2_backends[self.account][self.region].load_balancers.values()
        return {
            "endpoint": self.endpoint_url, "region": self.region, "account": self.account,
            "clock_factor": self.clock.factor, "state_dir": str(self.state_dir), "pid": os.getpid(),
            "load_balancers": {b.name: b.dns_name for b in list(balancers)},
            "listeners": self.data_plane.listeners(),
            "ecs_services": self.ecs.status(),
            "instances": self._instances(),
            "faults": {**self.faults.as_json(), "scan_findings": self.ecr.findings_rules()},
        }

    def _instances(self) -> list[dict[str, Any]]:
        """Each instance with its Auto Scaling group and the target groups it is registered in: with two fleets
        (blue/green) the list says which is which."""
        from moto.autoscaling.models import autoscaling_backends
        from moto.elbv2.models import elbv2_backends

        groups = autoscaling_backends[self.account][self.region].autoscaling_groups.values()
        group_of = {state.instance.id: group.name for group in list(groups) for state in list(group.instance_states)}
        target_groups = elbv2_backends[self.account][self.region].target_groups.values()
        registered: dict[str, list[str]] = {}
        for target_group in list(target_groups):
            for target_id in list(target_group.targets):
                registered.setdefault(target_id, []).append(target_group.name)
        return [{"id": s.instance_id, "address": f"{s.ip}:{s.port}", "root": str(s.root),
                 "auto_scaling_group": group_of.get(s.instance_id, ""),
                 "target_groups": registered.get(s.instance_id, [])}
                for s in self._in_deployment_order(self.fleet.all())]

    def _in_deployment_order(self, sandboxes: list[Any]) -> list[Any]:
        """Instances in the order a deployment reaches them (their Auto Scaling groups' order), so `fault
        --instance N` means the N-th line of `status`; instances in no group last, as launched."""
        from moto.autoscaling.models import autoscaling_backends

        groups = autoscaling_backends[self.account][self.region].autoscaling_groups.values()
        order = [state.instance.id for group in list(groups) for state in list(group.instance_states)]
        rank = {instance_id: index for index, instance_id in enumerate(order)}
        return sorted(sandboxes, key=lambda sandbox: rank.get(sandbox.instance_id, len(order)))

    # -- HTTP ----------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_emulator/"):
            from deploy_actions.emulator.control import handle

            return handle(self, environ, start_response)
        if self.faults.throttles and not environ.get("HTTP_X_DEPLOY_ACTIONS_EMULATOR_INTERNAL"):
            service, operation, _ = http_layer.service_and_operation(environ)
            if self.faults.throttled(service, operation):
                return http_layer.throttling_response(environ, service, start_response)
        if self.calls.recording and not environ.get("HTTP_X_DEPLOY_ACTIONS_EMULATOR_INTERNAL"):
            service, _, body = http_layer.service_and_operation(environ)
            self.calls.record_api(environ, service, body)
        invalid = http_layer.malformed_version_response(environ, start_response)
        if invalid is not None:
            return invalid
        runtime.set_current((self.engine, self.health, self.ecr, self.alarms, self.ecs))
        try:
            return self._moto(environ, start_response)
        finally:
            runtime.set_current(None)

    # -- the control loop ----------------------------------------------------------------------

    def _control_loop(self) -> None:
        ticks = 0
        while not self._stopping.wait(TICK):
            ticks += 1
            # Each step is guarded: a failure in one must not stop health checks or listeners.
            with contextlib.suppress(Exception):
                self.health.tick()
            if ticks % 4 == 0:
                with contextlib.suppress(Exception):
                    self.data_plane.sync()
            with contextlib.suppress(Exception):
                for alarm in self.faults.due_alarms():
                    hold = None if alarm.seconds is None else self.clock.real(alarm.seconds)
                    self.alarms.script(alarm.alarm, alarm.state, alarm.reason, hold)
            with contextlib.suppress(Exception):
                self.alarms.tick()
            if ticks % 20 == 0:
                with contextlib.suppress(Exception):
                    self._reap_terminated()

    def _reap_terminated(self) -> None:
        """End the processes of instances AWS-side terminated (a deleted ASG, TerminateInstances)."""
        instances = ec2_backends[self.account][self.region].get_instance_by_id
        for sandbox in self.fleet.all():
            instance = instances(sandbox.instance_id)
            if instance is None or instance.state in ("terminated", "shutting-down", "stopped"):
                sandbox.kill_processes()


def _mark_internal(request: Any, **_: Any) -> None:
    request.headers[http_layer.INTERNAL_HEADER] = "1"
