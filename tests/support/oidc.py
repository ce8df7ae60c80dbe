"""GitHub's ID-token service for act: the emulator's stand-in (the demo uses it too), and the role the tests
ask it for."""

from __future__ import annotations

from deploy_actions.emulator.stand_ins.oidc import OidcTokens

ROLE = "arn:aws:iam::123456789012:role/deploy-actions-example"

__all__ = ["ROLE", "OidcTokens"]
