"""`/_emulator/*`: the running emulator's own endpoints, used by `deploy-actions emulator ...`.

GET /_emulator/status, POST /_emulator/faults (one fault as JSON: {"kind": "hook"|"unhealthy"|
"alarm"|"throttle"|"delay", ...}), DELETE /_emulator/faults, POST /_emulator/shutdown.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from deploy_actions.emulator.core.clock import Clock
from deploy_actions.emulator.core.faults import Faults
from deploy_actions.emulator.core.http_layer import StartResponse, json_response, read_json


class Emulator(Protocol):
    """What these endpoints use of the running emulator (`server.Emulator`)."""

    @property
    def faults(self) -> Faults: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def shutdown_requested(self) -> threading.Event: ...

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
        faults.alarm_at(str(fault["alarm"]), at, emulator.clock.real(at), str(fault.get("state", "ALARM")))
    elif kind == "throttle":
        faults.throttle(float(fault["fraction"]), str(fault.get("service", "")), str(fault.get("operation", "")))
    elif kind == "delay":
        faults.delay(str(fault["state"]), float(fault["seconds"]),
                     int(fault["times"]) if fault.get("times") is not None else None)
    else:
        raise ValueError(f"unknown fault kind {kind!r}: hook, unhealthy, alarm, throttle or delay")


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
            return json_response(start_response, "200 OK", emulator.faults.as_json())
        if path == "/_emulator/shutdown" and method == "POST":
            emulator.shutdown_requested.set()
            return json_response(start_response, "202 Accepted", {"stopping": True})
    except (KeyError, ValueError, TypeError) as error:
        return json_response(start_response, "400 Bad Request", {"error": str(error)})
    return json_response(start_response, "404 Not Found", {"error": f"no {method} {path}"})
