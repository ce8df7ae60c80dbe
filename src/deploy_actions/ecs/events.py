"""Service events as a person reads them: without what the line already says, and the telling ones first.

ECS writes "(service api) registered 1 targets in (target-group arn:aws:elasticloadbalancing:…:targetgroup/
web-tg/0123456789abcdef)". Behind our "api: " prefix the service's name is said twice and the ARN hides the one
word that matters, the target group's name. A failure's last events are often the rollback's bookkeeping, while
the cause ("is unhealthy in target-group … due to (reason Health checks failed)") came a few lines earlier.
"""

from __future__ import annotations

import re

_TARGET_GROUP_ARN = re.compile(r"arn:aws[\w-]*:elasticloadbalancing:[\w-]*:\d*:targetgroup/([\w-]+)/[0-9a-f]+")
_TELLING = re.compile(r"unhealthy|fail|unable|error|insufficient|health ?check|not (?:start|pass)|denied|"
                      r"exceeded|alarm|rolling back|rolled back|circuit breaker", re.IGNORECASE)


def brief(message: str, service: str) -> str:
    """The event without its "(service NAME) " opening when NAME is `service`, target groups by name."""
    opening = f"(service {service}) "
    if message.startswith(opening):
        message = message[len(opening):]
    return _TARGET_GROUP_ARN.sub(r"\1", message)


def telling(events: list[str], limit: int) -> list[str]:
    """At most `limit` events in their order: those that name a failure's cause first, then the latest others."""
    chosen = {i for i, event in enumerate(events) if _TELLING.search(event)}
    chosen = set(sorted(chosen)[-limit:])
    for i in reversed(range(len(events))):  # then the latest others, up to the limit
        if len(chosen) >= limit:
            break
        chosen.add(i)
    return [events[i] for i in sorted(chosen)]
