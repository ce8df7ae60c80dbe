"""build-push-ecr against `docker login` + `docker build` + `docker push` by hand, for the same image.

    .venv/bin/python benchmarks/build_push.py [--repetitions 3] [--payload-mb 16]

One emulator in this process: its ECR answers GetAuthorizationToken with a real registry on loopback. A
counting TCP proxy stands in front of that registry, so every byte a client sends to it is counted. The image
is FROM scratch with a random payload (so each path and repetition has its own layers) and a release file;
the context is a git checkout, as in CI. Each repetition, interleaved (who goes first alternates):

- by hand: `docker login --password-stdin`, `docker build -t R/repo:sha-<short>`, `docker push`; then the same
  three again with nothing changed;
- the action: `deploy-actions build-push-ecr --builder docker --tags type=sha --registry R` (its own process,
  as a CI step runs it); then again with nothing changed.

Printed: wall time and bytes sent to the registry, first run and rebuild, median of the repetitions, as
markdown for RESULTS.md. Both paths use the Docker engine's classic builder (no buildx here).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from _common import CLI, command_line, machine

from deploy_actions.emulator.server import Emulator


class CountingProxy:
    """127.0.0.1:<port> forwarded to the registry, counting the bytes clients send."""

    def __init__(self, target: str) -> None:
        host, _, port = target.partition(":")
        self.target = (host, int(port))
        self.sent = 0
        self._lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, count: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if count:
                    with self._lock:
                        self.sent += len(chunk)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()

    def measure(self, work: list[list[str]], env: dict[str, str], cwd: Path, stdin: str = "") -> tuple[float, int]:
        """Run the commands in turn; (wall seconds, bytes sent to the registry)."""
        before = self.sent
        started = time.perf_counter()
        for argv in work:
            done = subprocess.run(argv, env=env, cwd=cwd, input=stdin, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{argv[:3]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        seconds = time.perf_counter() - started
        time.sleep(0.2)  # the pumps have forwarded everything the clients wrote
        return seconds, self.sent - before


def context(root: Path, payload_mb: int) -> tuple[Path, str]:
    root.mkdir(parents=True)
    (root / "payload.bin").write_bytes(os.urandom(payload_mb * 1024 * 1024))
    (root / "release.txt").write_text(uuid.uuid4().hex + "\n")
    (root / "Dockerfile").write_text("FROM scratch\nCOPY payload.bin /payload.bin\nCOPY release.txt /release.txt\n")
    when = "@1700000000 +0000"
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@x", "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    for argv in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "image"]):
        subprocess.run(argv, cwd=root, env=env, check=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout
    return root, sha.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--payload-mb", type=int, default=16)
    args = parser.parse_args()
    print(f"{machine()}\n")
    results: dict[str, list[tuple[float, int]]] = {k: [] for k in ("hand1", "hand2", "ours1", "ours2")}
    images: list[str] = []
    with tempfile.TemporaryDirectory() as scratch, Emulator(state_dir=Path(scratch) / "aws", clock_factor=600) as aws:
        ecr = aws.client("ecr")
        token = ecr.get_authorization_token()["authorizationData"][0]
        import base64

        password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)[1]
        proxy = CountingProxy(str(token["proxyEndpoint"]).split("://", 1)[1])
        base_env = {**os.environ, "AWS_ENDPOINT_URL": aws.endpoint_url, "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "DEPLOY_ACTIONS_PLATFORM": "local",
                    "DOCKER_BUILDKIT": "0"}
        for rep in range(args.repetitions):
            order = ("hand", "ours") if rep % 2 == 0 else ("ours", "hand")
            for who in order:
                name = f"bench/{who}-{uuid.uuid4().hex[:8]}"
                ecr.create_repository(repositoryName=name)
                root, sha = context(Path(scratch) / f"{who}-{rep}", args.payload_mb)
                image = f"{proxy.host}/{name}:sha-{sha[:7]}"
                images.append(image)
                if who == "hand":
                    env = {**base_env, "DOCKER_CONFIG": str(Path(scratch) / f"docker-{rep}")}
                    steps = [["docker", "login", "--username", "AWS", "--password-stdin", proxy.host],
                             ["docker", "build", "--quiet", "--tag", image, str(root)], ["docker", "push", image]]
                    for run in ("hand1", "hand2"):
                        results[run].append(proxy.measure(steps, env, root, stdin=password))
                else:
                    argv = [str(CLI), "build-push-ecr", "--repository", name, "--context", str(root), "--builder",
                            "docker", "--tags", "type=sha", "--registry", proxy.host]
                    env = {**base_env, "HOME": str(Path(scratch) / f"home-{rep}")}  # the login must leave nothing here
                    for run in ("ours1", "ours2"):
                        results[run].append(proxy.measure([argv], env, root))
        subprocess.run(["docker", "image", "rm", *images], capture_output=True, check=False)

    def med(key: str, index: int) -> float:
        return statistics.median(r[index] for r in results[key])

    shown = command_line(["benchmarks/build_push.py", "--repetitions", str(args.repetitions), "--payload-mb",
                          str(args.payload_mb)])
    print(f"`{shown}`\n")
    print(f"Image: FROM scratch + {args.payload_mb} MiB random payload + a release file; the Docker engine's classic "
          f"builder for both; registry: the emulator's ECR (docker-registry on loopback) behind a byte-counting "
          f"proxy. Median of {args.repetitions}, interleaved.\n")
    print("| measurement | deploy-actions build-push-ecr | docker login + build + push | ratio ours/alt |")
    print("| --- | ---: | ---: | ---: |")
    for label, key in (("first run, wall", "1"), ("rebuild, nothing changed, wall", "2")):
        ours, alt = med(f"ours{key}", 0), med(f"hand{key}", 0)
        print(f"| **{label}** | {ours:.2f} s | {alt:.2f} s | {ours / alt:.2f} |")
    for label, key in (("bytes sent to the registry, first run", "1"), ("bytes sent, rebuild", "2")):
        ours_b, alt_b = med(f"ours{key}", 1), med(f"hand{key}", 1)
        print(f"| {label} | {ours_b:,.0f} | {alt_b:,.0f} | {ours_b / alt_b:.2f} |")


if __name__ == "__main__":
    main()
