"""`/_emulator/*`: the running emulator's own endpoints, used by `deploy-actions emulator ...`.

GET /_emulator/status, POST /_emulator/faults (one fault as JSON: {"kind": "hook"|"unhealthy"|
"alarm"|"throttle"|"delay"|"scan-findings", ...}), DELETE /_emulator/faults, POST /_emulator/shutdown,
POST /_emulator/ecr/lifecycle ({"repository": name or "", "days_later": n}: run ECR lifecycle policies),
GET /_emulator/calls (the recorded calls), POST /_emulator/calls ({"record": true|false}),
DELETE /_emulator/calls (forget them): the call recorder, core/calls.py.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from deploy_actions.emulator.core.calls import CallRecorder
from deploy_actions.emulator.core.clock import Clock
from deploy_actions.emulator.core.faults import Faults
from deploy_actions.emulator.core.http_layer import StartResponse, json_response, read_json
from deploy_actions.emulator.ecr.service import DEFAULT_SCAN_SECONDS, Ecr, FindingsRule, finding


class Emulator(Protocol):
    """What these endpoints use of the running emulator (`server.Emulator`)."""

    @property
    def faults(self) -> Faults: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def shutdown_requested(self) -> threading.Event: ...

    @property
    def ecr(self) -> Ecr: ...

    @property
    def calls(self) -> CallRecorder: ...

    def status(self) -> dict[str, Any]: ...


def add_fault(emulator: Emulator, fault: dict[str, Any]) -> None:
    kind = fault.pop("kind", None)
    faults = emulator.faults
    if kind == "hook":
        instance = fault.get("instance", 1)
        faults.fail_hook(str(fault["event"]), int(instance) if str(instance).isdigit() else str(instance),
                         int(fault.get("exit_code", 1)), int(fault.get("times", 1)))
    elif kind == "unhealthy":
        seconds = fault.get("seconds")
        faults.make_unhealthy(str(fault.get("target_group", "")), str(fault.get("target", "")),
                              None if seconds is None else emulator.clock.real(float(seconds)))
    elif kind == "alarm":
        at = float(fault.get("at", 0))
        held = fault.get("for_seconds")
        faults.alarm_at(str(fault["alarm"]), at, emulator.clock.real(at), str(fault.get("state", "ALARM")),
                        None if held is None else float(held))
    elif kind == "throttle":
        faults.throttle(float(fault["fraction"]), str(fault.get("service", "")), str(fault.get("operation", "")))
    elif kind == "delay":
        faults.delay(str(fault["state"]), float(fault["seconds"]),
                     int(fault["times"]) if fault.get("times") is not None else None)
    elif kind == "scan-findings":
        findings = [finding(*str(f).split("=", 1)) if isinstance(f, str) else finding(**f)
                    for f in fault.get("finding") or fault.get("findings") or []]
        emulator.ecr.set_findings(FindingsRule(str(fault["repository"]), str(fault.get("tag") or ""), findings,
                                               float(fault.get("seconds") or DEFAULT_SCAN_SECONDS)))
    else:
        raise ValueError(f"unknown fault kind {kind!r}: hook, unhealthy, alarm, throttle, delay or scan-findings")


def handle(emulator: Emulator, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
    try:
        if path == "/_emulator/status" and method == "GET":
            return json_response(start_response, "200 OK", emulator.status())
        if path == "/_emulator/faults" and method == "POST":
            add_fault(emulator, dict(read_json(environ)))
            return json_response(start_response, "200 OK", emulator.faults.as_json())
        if path == "/_emulator/faults" and method == "DELETE":
            emulator.faults.clear()
            emulator.ecr.clear_findings()
            return json_response(start_response, "200 OK", emulator.faults.as_json())
        if path == "/_emulator/ecr/lifecycle" and method == "POST":
            asked = dict(read_json(environ))
            expired = emulator.ecr.run_lifecycle(str(asked.get("repository") or "") or None,
                                                 float(asked.get("days_later") or 0))
            return json_response(start_response, "200 OK", {"expired": expired})
        if path == "/_emulator/calls":
            calls = emulator.calls
            if method == "POST" and read_json(environ).get("record", True):
                calls.start()
            elif method == "POST":
                calls.stop()
            elif method == "DELETE":
                calls.clear()
            return json_response(start_response, "200 OK", calls.as_json())
        if path == "/_emulator/shutdown" and method == "POST":
            emulator.shutdown_requested.set()
            return json_response(start_response, "202 Accepted", {"stopping": True})
    except (KeyError, ValueError, TypeError) as error:
        return json_response(start_response, "400 Bad Request", {"error": str(error)})
    return json_response(start_response, "404 Not Found", {"error": f"no {method} {path}"})
