"""Local AWS emulator: moto's server plus what moto lacks, and a lifecycle engine.

`Emulator` is imported on first use: importing moto takes seconds, and the CLI's `env`, `status`,
`fault` and `stop` only talk to a running emulator over HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deploy_actions.emulator.server import Emulator

__all__ = ["Emulator"]


def __getattr__(name: str) -> Any:
    if name == "Emulator":
        from deploy_actions.emulator.server import Emulator

        return Emulator
    raise AttributeError(name)
