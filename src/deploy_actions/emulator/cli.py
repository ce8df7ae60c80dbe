"""`deploy-actions emulator ...` (placeholder until the emulator lands)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    print("deploy-actions emulator: not available yet", file=sys.stderr)
    return 2
