"""Install the emulator's operations on moto's response classes.

moto dispatches `X-Amz-Target: CodeDeploy_20141006.StopDeployment` to a method named
`stop_deployment` when the class has one (`method_names_from_class`), so adding a function to the
class is all it takes; the patch is process-wide and idempotent. Handlers that need the running
emulator (its lifecycle engine) find it through `current()`, set per request by the WSGI wrapper,
so two emulators in one process each drive the deployments created through them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from moto.codedeploy.responses import CodeDeployResponse
from moto.elbv2.responses import ELBV2Response

if TYPE_CHECKING:
    from deploy_actions.emulator.engine import Engine
    from deploy_actions.emulator.target_health import HealthTracker

_installed = False
_install_lock = threading.Lock()
_request = threading.local()


class Runtime(Protocol):
    """What handlers may ask of the running emulator (implemented by `server.Emulator`)."""

    @property
    def health(self) -> HealthTracker: ...

    @property
    def engine(self) -> Engine: ...


def current() -> Runtime | None:
    return getattr(_request, "runtime", None)


def set_current(runtime: Runtime | None) -> None:
    _request.runtime = runtime


def _install(cls: type, handlers: dict[str, Callable[..., Any]]) -> None:
    for name, handler in handlers.items():
        setattr(cls, name, handler)


def install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        from deploy_actions.emulator import api_deployments, api_revisions, api_targets, target_health

        _install(CodeDeployResponse, api_revisions.HANDLERS)
        _install(CodeDeployResponse, api_deployments.HANDLERS)
        _install(CodeDeployResponse, api_targets.HANDLERS)
        _install(ELBV2Response, target_health.HANDLERS)
        _installed = True
