"""Which running emulator serves this request: the parts its operation handlers may use.

The server puts its parts (the CodeDeploy lifecycle engine, the ELBv2 health tracker, …) in a
thread-local around moto's dispatch of each request; a handler asks for the part it needs by type.
`current(Engine)` is None when moto serves the request without an emulator (moto used directly in
this process, `mock_aws`): the handler then answers as moto does. Nothing here names a service, so
handlers reach the emulator without importing the server or the installer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")

_request = threading.local()


def set_current(parts: Iterable[object] | None) -> None:
    """Called by the server around each request (None after it)."""
    _request.parts = tuple(parts) if parts is not None else ()


def current(kind: type[T]) -> T | None:
    """The part of type `kind` of the emulator serving this request; None without one."""
    for part in getattr(_request, "parts", ()):
        if isinstance(part, kind):
            return part
    return None
