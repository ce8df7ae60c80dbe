"""Deployment configurations: the built-in ones, custom ones, and what minimum healthy hosts means.

CodeDeploy's rules for EC2/on-premises in-place deployments (user guide, "Working with deployment
configurations"): a config fixes how many instances must stay healthy; instances are deployed in
batches of at most `fleet - minimum`; the deployment fails as soon as too few healthy instances
remain. `OneAtATime` is special: one instance at a time, and a failure on the last instance alone
does not fail the deployment.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ONE_AT_A_TIME = "CodeDeployDefault.OneAtATime"


@dataclass(frozen=True)
class DeploymentConfig:
    name: str
    min_healthy_type: str  # HOST_COUNT | FLEET_PERCENT
    min_healthy_value: int
    compute_platform: str = "Server"
    config_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    create_time: datetime = field(default_factory=lambda: datetime(2014, 11, 12))  # naive UTC, as moto keeps times
    traffic_routing: dict[str, Any] | None = None

    def as_api(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "deploymentConfigId": self.config_id,
            "deploymentConfigName": self.name,
            "createTime": self.create_time,
            "computePlatform": self.compute_platform,
        }
        if self.compute_platform == "Server":
            info["minimumHealthyHosts"] = {"type": self.min_healthy_type, "value": self.min_healthy_value}
        if self.traffic_routing:
            info["trafficRoutingConfig"] = self.traffic_routing
        return info

    def minimum_healthy(self, fleet: int) -> int:
        if self.name == ONE_AT_A_TIME:
            return max(fleet - 1, 0)
        if self.min_healthy_type == "HOST_COUNT":
            return self.min_healthy_value
        # FLEET_PERCENT rounds up: 50% of 3 instances keeps 2 healthy.
        return math.ceil(fleet * self.min_healthy_value / 100)

    def batch_size(self, fleet: int) -> int:
        """How many instances may be deployed at once; 0 means the config cannot be met."""
        if self.name == ONE_AT_A_TIME:
            return 1 if fleet else 0
        return max(fleet - self.minimum_healthy(fleet), 0)

    def tolerates(self, fleet: int, failed: int, failed_last_of_one_at_a_time: bool = False) -> bool:
        """Whether the deployment may go on (and succeed) with `failed` failed instances."""
        if failed >= fleet > 0:
            return False  # AWS: deployment to at least one instance must succeed, whatever the config
        if self.name == ONE_AT_A_TIME:
            return failed == 0 or (failed == 1 and failed_last_of_one_at_a_time)
        if self.min_healthy_type == "HOST_COUNT" and self.min_healthy_value == 0:
            return failed < fleet  # AllAtOnce: one successful instance is enough
        return fleet - failed >= self.minimum_healthy(fleet)


def builtin_configs() -> dict[str, DeploymentConfig]:
    server = [
        DeploymentConfig(ONE_AT_A_TIME, "FLEET_PERCENT", 99),
        DeploymentConfig("CodeDeployDefault.HalfAtATime", "FLEET_PERCENT", 50),
        DeploymentConfig("CodeDeployDefault.AllAtOnce", "HOST_COUNT", 0),
    ]
    ecs = [
        DeploymentConfig("CodeDeployDefault.ECSAllAtOnce", "FLEET_PERCENT", 0, "ECS",
                         traffic_routing={"type": "AllAtOnce"}),
    ]
    for name, percentage, minutes in (("ECSLinear10PercentEvery1Minutes", 10, 1),
                                      ("ECSLinear10PercentEvery3Minutes", 10, 3)):
        ecs.append(DeploymentConfig(f"CodeDeployDefault.{name}", "FLEET_PERCENT", 0, "ECS", traffic_routing={
            "type": "TimeBasedLinear",
            "timeBasedLinear": {"linearPercentage": percentage, "linearInterval": minutes}}))
    for name, percentage, minutes in (("ECSCanary10Percent5Minutes", 10, 5),
                                      ("ECSCanary10Percent15Minutes", 10, 15)):
        ecs.append(DeploymentConfig(f"CodeDeployDefault.{name}", "FLEET_PERCENT", 0, "ECS", traffic_routing={
            "type": "TimeBasedCanary",
            "timeBasedCanary": {"canaryPercentage": percentage, "canaryInterval": minutes}}))
    return {config.name: config for config in [*server, *ecs]}
