"""Registry credentials for one step: a private Docker/containers auth file, removed when the step ends.

No `docker login`: the password never passes through an argument or a terminal, nothing is written to the
user's ~/.docker/config.json, and a later step (or another job on the same runner) finds no credentials.
The user's own Docker configuration is copied in (other registries keep working; buildx builders and CLI
plugins are linked), minus the credential store for the ECR registry, which would answer in our place.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from deploy_actions.core.environment import Env

_LINKED = ("cli-plugins", "buildx", "contexts")


class RegistryAuth:
    """A temporary DOCKER_CONFIG (and REGISTRY_AUTH_FILE for buildah/podman) holding one registry's login."""

    def __init__(self, environ: Mapping[str, str], parent: Path | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="deploy-actions-auth-", dir=parent))
        os.chmod(self.folder, 0o700)
        home = Path(environ.get(Env.HOME, "~")).expanduser()
        self.original = Path(environ.get(Env.DOCKER_CONFIG) or home / ".docker")
        self.base = self._original_config()
        for name in _LINKED:
            if (self.original / name).exists():
                (self.folder / name).symlink_to(self.original / name)

    @property
    def config_file(self) -> Path:
        return self.folder / "config.json"

    @property
    def env(self) -> dict[str, str]:
        return {Env.DOCKER_CONFIG.value: str(self.folder), Env.REGISTRY_AUTH_FILE.value: str(self.config_file)}

    def _original_config(self) -> dict[str, Any]:
        try:
            config = json.loads((self.original / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return config if isinstance(config, dict) else {}

    def login(self, registry: str, username: str, password: str) -> None:
        """Write (or rewrite, after a token refresh) the login for `registry`."""
        config = json.loads(json.dumps(self.base))
        auths = config.setdefault("auths", {})
        auths[registry] = {"auth": base64.b64encode(f"{username}:{password}".encode()).decode()}
        helpers = config.get("credHelpers")
        if isinstance(helpers, dict):
            helpers.pop(registry, None)
        config.pop("credsStore", None)  # a store answers for every registry, ours included
        partial = self.folder / "config.json.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(config, handle)
        partial.replace(self.config_file)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> RegistryAuth:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
