"""Constants shared by the emulator and its light-weight CLI (which must not import moto)."""

from __future__ import annotations

from importlib.util import find_spec

DEFAULT_ACCOUNT = "123456789012"  # moto's default account
LOOPBACK = "127.0.0.1"
# moto accepts any credentials; these dummies keep a developer's real ones out of the picture.
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

# moto[server] is the optional extra `emulator`: the actions never import it, and a CI job that only
# deploys should not install it (docs/decisions/0006-moto-stays-an-extra.md).
SERVER_MODULES = ("moto", "flask", "flask_cors")  # what `moto[server]` brings that the emulator imports
INSTALL_HINT = "install ci-deploy-actions[emulator]: pip install 'ci-deploy-actions[emulator]'"


def missing_server_modules() -> list[str]:
    """The modules of moto[server] that are not installed (found without importing them: moto is slow)."""
    return [name for name in SERVER_MODULES if find_spec(name) is None]


def server_missing_message(what: str) -> str | None:
    """None when the emulator can run here; else one sentence saying what to install."""
    missing = missing_server_modules()
    if not missing:
        return None
    return f"{what} needs moto[server] ({', '.join(missing)} not installed); {INSTALL_HINT}"
