"""The appspec a CODE_DEPLOY service gets: its load balancer's container and port, the new task definition."""

from __future__ import annotations

import json

import pytest

from deploy_actions.core.errors import InputError
from deploy_actions.ecs.appspec import ecs_appspec

NEW = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:9"


def test_container_port_platform_and_capacity_providers_come_from_the_service() -> None:
    service = {"serviceName": "api", "platformVersion": "1.4.0",
               "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "web", "containerPort": 8080}],
               "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]}
    spec = json.loads(ecs_appspec(service, NEW))
    assert spec["version"] == 0.0
    assert spec["Resources"] == [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
        "TaskDefinition": NEW, "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 8080},
        "PlatformVersion": "1.4.0",
        "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1, "Base": 0}]}}}]


def test_a_service_without_a_load_balancer_is_refused() -> None:
    with pytest.raises(InputError, match="input 'services' = 'api': a CODE_DEPLOY service needs a load balancer"):
        ecs_appspec({"serviceName": "api", "loadBalancers": []}, NEW)
