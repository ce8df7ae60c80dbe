"""Constants shared by the emulator and its light-weight CLI (which must not import moto)."""

from __future__ import annotations

DEFAULT_ACCOUNT = "123456789012"  # moto's default account
LOOPBACK = "127.0.0.1"
# moto accepts any credentials; these dummies keep a developer's real ones out of the picture.
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
