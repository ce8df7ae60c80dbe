"""The emulator's clock: AWS waits (termination waits, health-check intervals, deregistration delay)
run `factor` times faster, so a 5-minute wait takes 0.5 s at factor 600.

Only waits AWS itself imposes are scaled. Hook scripts and the apps they start are real processes
in real time, so hook timeouts are not scaled (a 60 s timeout stays 60 s).
"""

from __future__ import annotations

import threading
import time

# Real waits never go below this: a probe every 0.1 ms would only burn the machine's two cores.
MIN_REAL_WAIT = 0.02


class Clock:
    def __init__(self, factor: float = 1.0) -> None:
        if factor <= 0:
            raise ValueError("the clock factor must be positive")
        self.factor = factor

    def real(self, emulated_seconds: float) -> float:
        return max(emulated_seconds / self.factor, MIN_REAL_WAIT) if emulated_seconds > 0 else 0.0

    def sleep(self, emulated_seconds: float, interrupt: threading.Event | None = None) -> bool:
        """Wait; True when `interrupt` was set before the time was up."""
        seconds = self.real(emulated_seconds)
        if interrupt is None:
            time.sleep(seconds)
            return False
        return interrupt.wait(seconds)

    def monotonic(self) -> float:
        """Emulated seconds since an arbitrary origin, for deadlines measured in AWS time."""
        return time.monotonic() * self.factor
