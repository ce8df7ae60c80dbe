"""Lifecycle event names per deployment type, in the order the CodeDeploy agent runs them."""

from __future__ import annotations

BLOCK_TRAFFIC = ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"]
INSTALL = ["ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall",
           "ApplicationStart", "ValidateService"]
ALLOW_TRAFFIC = ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]

# Events the agent (or CodeDeploy) handles itself: appspec hooks for them are not allowed.
RESERVED = {"DownloadBundle", "Install", "BlockTraffic", "AllowTraffic"}
# Events whose scripts come from the last revision that succeeded on the instance.
FROM_PREVIOUS_REVISION = {"ApplicationStop", "BeforeBlockTraffic", "AfterBlockTraffic"}


def in_place(with_load_balancer: bool) -> list[str]:
    return [*BLOCK_TRAFFIC, *INSTALL, *ALLOW_TRAFFIC] if with_load_balancer else list(INSTALL)


def replacement() -> list[str]:
    """A green instance of a blue/green deployment."""
    return [*INSTALL, *ALLOW_TRAFFIC]


def original() -> list[str]:
    """A blue instance of a blue/green deployment."""
    return list(BLOCK_TRAFFIC)
