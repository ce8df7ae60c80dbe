"""placeholder"""

from typing import Any

HANDLERS: dict[str, Any] = {}
