"""The webhook receiver the tests post to: the emulator's stand-in (the demo shows what it received)."""

from __future__ import annotations

from deploy_actions.emulator.stand_ins.webhooks import Received, Reply, WebhookReceiver

__all__ = ["Received", "Reply", "WebhookReceiver"]
