"""Build and push with the chosen builder, logged in to the registry for the length of the step only."""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deploy_actions.aws.ecr import Authorization
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import CancellationToken
from deploy_actions.image.auth import RegistryAuth
from deploy_actions.image.builders import Builder, BuildRequest
from deploy_actions.image.process import run_step

REFRESH_BEFORE = timedelta(minutes=15)  # ECR tokens last 12 h; a build still running near the end gets a new one


@contextmanager
def secret_files(secrets: Mapping[str, str]) -> Iterator[tuple[Path, dict[str, Path]]]:
    """A private scratch directory, with each build secret in a file of its own (mode 0600); removed after."""
    with tempfile.TemporaryDirectory(prefix="deploy-actions-build-") as folder:
        root = Path(folder)
        (root / "secrets").mkdir(mode=0o700)
        files = {}
        for index, (secret_id, value) in enumerate(secrets.items()):
            path = root / "secrets" / f"s{index}"
            path.touch(mode=0o600)
            path.write_text(value, encoding="utf-8")
            files[secret_id] = path
        yield root, files


class Login:
    """The registry login for this step, refreshed when the token nears its expiry."""

    def __init__(self, auth: RegistryAuth, registry: str, fetch: Callable[[], Authorization],
                 reporter: Reporter) -> None:
        self.auth, self.registry, self.fetch, self.reporter = auth, registry, fetch, reporter
        self.expires_at: datetime | None = None

    def login(self) -> None:
        self.use(self.fetch())

    def use(self, token: Authorization) -> None:
        """Log in with `token`: its password and the Basic credentials made of it are masked first."""
        self.reporter.mask(token.password)
        self.reporter.mask(base64.b64encode(f"{token.username}:{token.password}".encode()).decode())
        self.auth.login(self.registry, token.username, token.password)
        now = datetime.now(UTC)
        # A token already past its expiry (moto's) says nothing about when to refresh.
        self.expires_at = token.expires_at if token.expires_at and token.expires_at > now else None

    def refresh_if_needed(self) -> None:
        if self.expires_at and self.expires_at - datetime.now(UTC) < REFRESH_BEFORE:
            self.reporter.info("the registry token expires soon: getting a new one")
            self.login()


def build_and_push(builder: Builder, request: BuildRequest, login: Login | None, environ: Mapping[str, str],
                   reporter: Reporter, cancel: CancellationToken) -> str:
    """Run the builder's steps; the pushed image's digest ('' when nothing was pushed)."""
    env = dict(environ)
    if login is not None:
        env.update(login.auth.env)
    for step in builder.steps(request):
        if login is not None and step.what.startswith("push"):
            login.refresh_if_needed()
        run_step(step, env, reporter, cancel)
    return builder.digest(request) if request.push else ""
