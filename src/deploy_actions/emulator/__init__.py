"""Local AWS emulator: moto's server plus what moto lacks, and a lifecycle engine."""

from deploy_actions.emulator.server import Emulator

__all__ = ["Emulator"]
