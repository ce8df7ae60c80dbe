"""Whether to notify, and each channel's message rendered and posted (all channels at once)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import CancellationToken
from deploy_actions.notify.channels import Channel
from deploy_actions.notify.message import Message
from deploy_actions.notify.render import TemplateProblem, builtin_template, render
from deploy_actions.notify.send import BUDGET, post_json

NOTIFY_ON = ("always", "failure", "success", "change")


def should_notify(notify_on: str, outcome: str, previous: str | None) -> tuple[bool, str]:
    """(notify?, why not) for the outcome being reported."""
    if notify_on == "always":
        return True, ""
    if notify_on in ("failure", "success"):
        return outcome == notify_on, f"notify-on: {notify_on} and the outcome is {outcome}"
    if previous is None:
        return True, ""  # nothing to compare with: a first run, or previous-status not given
    return outcome != previous, f"notify-on: change and the outcome is {outcome} again"


@dataclass(frozen=True)
class Sent:
    channel: Channel
    ok: bool
    message: str


def deliver(channels: Sequence[Channel], templates: Mapping[str, str], message: Message, reporter: Reporter,
            cancel: CancellationToken, budget: float = BUDGET) -> list[Sent]:
    """Every channel's message; one channel failing never stops the others."""
    context = message.context()

    def one(channel: Channel) -> Sent:
        source = templates.get(channel.kind) or builtin_template(channel.kind)
        try:
            payload = render(channel.kind, source, context)
        except TemplateProblem as exc:
            return Sent(channel, False, f"template {exc}")
        delivery = post_json(channel.url, payload, sleep=cancel.sleep, budget=budget)
        waited = (f", waited {sum(delivery.waits):.0f}s" + (" as asked" if delivery.asked else " between attempts")
                  if delivery.waits else "")
        return Sent(channel, delivery.ok, f"{delivery.message} after {delivery.attempts} "
                    f"attempt{'s' if delivery.attempts != 1 else ''}{waited}")

    if not channels:
        return []
    with ThreadPoolExecutor(max_workers=min(4, len(channels)), thread_name_prefix="notify") as pool:
        sent = list(pool.map(one, channels))
    for item in sent:
        line = f"{item.channel.label}: {item.message}"
        if item.ok:
            reporter.info(f"  {line}")
        else:
            reporter.warning(f"notification not delivered: {line}")
    return sent
