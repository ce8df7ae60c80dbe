"""The ECS appspec CodeDeploy needs for a CODE_DEPLOY service: the new task definition and the container and port
the service's load balancer sends traffic to (its capacity providers or platform version kept)."""

from __future__ import annotations

import json
from typing import Any

from deploy_actions.core.errors import InputError


def ecs_appspec(service: dict[str, Any], task_definition_arn: str) -> str:
    """AppSpec content (JSON) for a blue/green deployment of `service` to `task_definition_arn`."""
    balancers = [b for b in service.get("loadBalancers") or [] if b.get("containerName")]
    if not balancers:
        raise InputError.single("services", str(service.get("serviceName")), "a CODE_DEPLOY service needs a load "
                                "balancer with a container name and port (CodeDeploy shifts its traffic)")
    balancer = balancers[0]
    properties: dict[str, Any] = {
        "TaskDefinition": task_definition_arn,
        "LoadBalancerInfo": {"ContainerName": balancer["containerName"],
                             "ContainerPort": int(balancer["containerPort"])},
    }
    if service.get("platformVersion"):
        properties["PlatformVersion"] = service["platformVersion"]
    if service.get("capacityProviderStrategy"):
        properties["CapacityProviderStrategy"] = [
            {k[0].upper() + k[1:]: v for k, v in entry.items()} for entry in service["capacityProviderStrategy"]]
    return json.dumps({"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service",
                                                                         "Properties": properties}}]}, indent=2)
