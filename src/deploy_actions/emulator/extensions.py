"""Install the emulator's operations on moto's response classes: each service's `HANDLERS`.

moto dispatches `X-Amz-Target: CodeDeploy_20141006.StopDeployment` to a method named
`stop_deployment` when the class has one (`method_names_from_class`), so adding a function to the
class is all it takes; the patch is process-wide and idempotent. Handlers that need the running
emulator (its lifecycle engine, its health tracker) find it through `core.runtime.current()`, set
per request by the server's WSGI wrapper.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.cloudwatch.responses import CloudWatchResponse
from moto.codedeploy.responses import CodeDeployResponse
from moto.ecr.responses import ECRResponse
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.responses import ELBV2Response
from moto.logs.responses import LogsResponse

from deploy_actions.emulator.cloudwatch import api as cloudwatch_api
from deploy_actions.emulator.codedeploy import api_deployments, api_revisions, api_targets
from deploy_actions.emulator.ecr import api as ecr_api
from deploy_actions.emulator.ecs import api_services as ecs_services
from deploy_actions.emulator.ecs import api_tasks as ecs_tasks
from deploy_actions.emulator.elbv2 import api_target_health
from deploy_actions.emulator.logs import api_filter as logs_api
from deploy_actions.emulator.logs import api_insights as logs_insights

# moto's response class per service, and the handler modules that extend it.
SERVICES: list[tuple[type, list[dict[str, Callable[..., Any]]]]] = [
    (CodeDeployResponse, [api_revisions.HANDLERS, api_deployments.HANDLERS, api_targets.HANDLERS]),
    (ELBV2Response, [api_target_health.HANDLERS]),
    (LogsResponse, [logs_api.HANDLERS, logs_insights.HANDLERS]),
    (ECRResponse, [ecr_api.HANDLERS]),
    (CloudWatchResponse, [cloudwatch_api.HANDLERS]),
    (EC2ContainerServiceResponse, [ecs_services.HANDLERS, ecs_tasks.HANDLERS]),
]

_installed = False
_install_lock = threading.Lock()


def install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        for cls, handler_sets in SERVICES:
            for handlers in handler_sets:
                for name, handler in handlers.items():
                    setattr(cls, name, handler)
        _installed = True
