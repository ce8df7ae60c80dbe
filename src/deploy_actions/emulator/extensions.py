"""Install the emulator's operations on moto's response classes.

moto dispatches `X-Amz-Target: CodeDeploy_20141006.StopDeployment` to a method named
`stop_deployment` when the class has one (`method_names_from_class`), so adding a function to the
class is all it takes; the patch is process-wide and idempotent. Handlers that need the running
emulator (its lifecycle engine, its health tracker) find it through `runtime.current()`, set per
request by the server's WSGI wrapper.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.codedeploy.responses import CodeDeployResponse
from moto.elbv2.responses import ELBV2Response

from deploy_actions.emulator import api_deployments, api_revisions, api_targets, target_health

_installed = False
_install_lock = threading.Lock()


def _install(cls: type, handlers: dict[str, Callable[..., Any]]) -> None:
    for name, handler in handlers.items():
        setattr(cls, name, handler)


def install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        _install(CodeDeployResponse, api_revisions.HANDLERS)
        _install(CodeDeployResponse, api_deployments.HANDLERS)
        _install(CodeDeployResponse, api_targets.HANDLERS)
        _install(ELBV2Response, target_health.HANDLERS)
        _installed = True
