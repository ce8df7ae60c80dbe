"""Composite-action bootstrap: step start → first AWS call, cold (empty cache) and warm, uv and pip.

    .venv/bin/python benchmarks/bootstrap.py [--cold-repeat 3] [--warm-repeat 5] [--only WORD] [--hog N]

Without uv on PATH run-action.sh fetches uv (pinned, hash-checked) with the host's pip; the scenarios
"uv hidden, host has pip" measure that, "uv hidden, no pip on the host" today's venv + pip path (python3
there refuses `-m pip`, as Debian's without python3-pip), in the same run. --only keeps the scenarios
whose label contains WORD; --hog N runs N busy loops (one per CPU = a fully busy machine) throughout.

Runs `bash scripts/run-action.sh package-revision ...` on a tiny tree against a moto S3 server in this
process; the first AWS call is the first request the server logs (package-revision's HeadBucket).
DEPLOY_ACTIONS_CACHE, UV_CACHE_DIR and PIP_CACHE_DIR point into a scratch directory removed at exit.
Prints markdown for RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    REPO,
    S3Server,
    command_line,
    exit_cleanly_on_sigterm,
    load,
    machine,
    median,
    timed,
    write_appspec_and_hooks,
)

SCRIPT = REPO / "scripts" / "run-action.sh"
FETCH_COLD = "uv hidden, host has pip: uv fetched, nothing cached"
PIP_COLD = "uv hidden, no pip on the host: venv + pip, nothing cached"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
COLD_GOAL, WARM_GOAL = 15.0, 1.0


@dataclass
class Scenario:
    label: str
    installer: str  # uv | pip (no uv, no host pip) | fetch (no uv, host pip fetches it)
    package_cache: str  # empty | warm: uv's and/or pip's own download cache
    env: dict[str, str] = field(default_factory=dict)
    profile: str = ""  # when set, import-profile the warm venv under this heading
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


class Bench:
    def __init__(self, scratch: Path, server: S3Server) -> None:
        self.scratch, self.server = scratch, server
        self.tree = scratch / "tree"
        write_appspec_and_hooks(self.tree)
        server.create_bucket("bench-bootstrap")
        base = server.env(scratch)
        for name in ("PYTHONPYCACHEPREFIX", "PIP_FIND_LINKS", "UV_CACHE_DIR", "PIP_CACHE_DIR", "VIRTUAL_ENV"):
            base.pop(name, None)  # bytecode as on a plain runner: written next to the sources
        # pip sees PyPI only, as on a hosted runner (this machine's pip.conf adds local wheel folders).
        base["PIP_CONFIG_FILE"] = os.devnull
        self.base = base
        self.count = 0

    def path_without_uv(self, host_pip: bool) -> str:
        """System PATH plus a folder holding only python3: run-action.sh fetches uv, or with host_pip
        False (python3 -m pip fails there, venvs keep theirs) takes its venv + pip branch."""
        python = Path(shutil.which("python3") or sys.exit("python3 not found"))
        if shutil.which("pyenv"):
            found = subprocess.run(["pyenv", "which", "python3"], capture_output=True, text=True, check=False)
            python = Path(found.stdout.strip() or python)
        folder = self.scratch / ("bin-without-uv" if host_pip else "bin-without-uv-or-pip")
        folder.mkdir(exist_ok=True)
        (folder / "python3").unlink(missing_ok=True)
        if host_pip:
            (folder / "python3").symlink_to(python.resolve())
        else:
            refuse_pip = '[ "$1 $2" = "-m pip" ] && exit 1'
            (folder / "python3").write_text(f'#!/bin/sh\n{refuse_pip}\nexec {python.resolve()} "$@"\n')
            (folder / "python3").chmod(0o755)
        path = f"{folder}:{SYSTEM_PATH}"
        if shutil.which("uv", path=path):
            sys.exit(f"uv is still reachable on {path}")
        return path

    def run(self, scenario: Scenario, cache: Path, kind: str) -> None:
        self.count += 1
        env = {**self.base, **scenario.env, "DEPLOY_ACTIONS_CACHE": str(cache)}
        package_cache = self.scratch / f"{scenario.installer}-downloads"
        if scenario.package_cache == "empty" and kind == "cold":
            shutil.rmtree(package_cache, ignore_errors=True)
        if scenario.installer in ("uv", "fetch"):
            env["UV_CACHE_DIR"] = str(package_cache / "uv")
        if scenario.installer in ("pip", "fetch"):
            env["PIP_CACHE_DIR"] = str(package_cache / "pip")
        if scenario.installer != "uv":
            env["PATH"] = self.path_without_uv(host_pip=scenario.installer == "fetch")
        run = timed(["bash", str(SCRIPT), "package-revision", "--source", str(self.tree), "--bucket",
                     "bench-bootstrap", "--key-prefix", f"boot-{self.count}", "--output",
                     str(self.scratch / "revision.zip"), "--json"], env, cwd=self.scratch)
        requests = self.server.during(run)
        scenario.times[f"{kind}.first-call"].append(requests[0].at - run.start)
        scenario.times[f"{kind}.wall"].append(run.seconds)
        created = "creating its environment" in run.stderr
        assert created == (kind == "cold"), run.stderr
        ready = re.search(r"environment ready in (\d+)s", run.stderr)
        print(f"  {scenario.label} {kind}: first AWS call {requests[0].at - run.start:.2f} s, wall "
              f"{run.seconds:.2f} s{f' (script says ready in {ready[1]} s)' if ready else ''}", file=sys.stderr)

    def measure(self, scenario: Scenario, cold_repeat: int, warm_repeat: int) -> Path:
        cache = self.scratch / "none"
        for rep in range(cold_repeat):
            cache = self.scratch / f"cache-{self.count}-{rep}"
            self.run(scenario, cache, "cold")
        for _ in range(warm_repeat):
            self.run(scenario, cache, "warm")
        return cache


def import_profile(venv: Path, env: dict[str, str], top: int = 8) -> list[str]:
    """`python -X importtime` of the CLI in a warm venv: self time summed per top-level package."""
    done = subprocess.run([str(venv / "bin" / "python"), "-X", "importtime", "-c", "import deploy_actions.cli"],
                          env=env, capture_output=True, text=True, check=True)
    per_package: dict[str, int] = defaultdict(int)
    total = 0
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match:
            per_package[match[4].split(".")[0]] += int(match[1])
            if match[4] == "deploy_actions.cli":
                total = int(match[2])
    ranked = sorted(per_package.items(), key=lambda item: -item[1])[:top]
    return [f"{total / 1000:.0f} ms to import deploy_actions.cli; self time by package: "
            + ", ".join(f"{name} {micros / 1000:.0f} ms" for name, micros in ranked)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-repeat", type=int, default=3)
    parser.add_argument("--warm-repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="keep the scenarios whose label contains this")
    parser.add_argument("--hog", type=int, default=0, help="busy loops running throughout")
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    uv = subprocess.run(["uv", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    scenarios = [
        Scenario("uv, nothing cached", "uv", "empty", profile="bytecode written on the first run"),
        Scenario("uv, uv download cache warm", "uv", "warm"),
        Scenario(FETCH_COLD, "fetch", "empty"),
        Scenario("uv hidden, host has pip: uv fetched, download caches warm", "fetch", "warm"),
        Scenario(PIP_COLD, "pip", "empty"),
        Scenario("uv hidden, no pip on the host: venv + pip, pip download cache warm", "pip", "warm"),
        Scenario("uv, download cache warm, PYTHONDONTWRITEBYTECODE=1 in the job", "uv", "warm",
                 {"PYTHONDONTWRITEBYTECODE": "1"}, profile="PYTHONDONTWRITEBYTECODE=1, venv from uv without .pyc"),
        Scenario("… same, plus UV_COMPILE_BYTECODE=1 (what `uv sync --compile-bytecode` would do)", "uv", "warm",
                 {"PYTHONDONTWRITEBYTECODE": "1", "UV_COMPILE_BYTECODE": "1"}),
    ]
    scenarios = [s for s in scenarios if args.only in s.label]
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.hog)]
    try:
        run_all(scenarios, args, uv)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def run_all(scenarios: list[Scenario], args: argparse.Namespace, uv: str) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-bootstrap-") as scratch, S3Server() as server:
        bench = Bench(Path(scratch), server)
        profiles: dict[str, list[str]] = {}
        for scenario in scenarios:
            cache = bench.measure(scenario, args.cold_repeat, args.warm_repeat)
            if scenario.profile:
                venv = next(cache.glob("venv-*/"))
                profiles[scenario.profile] = import_profile(venv, {**bench.base, **scenario.env})
        report(scenarios, profiles, args, uv)


def report(scenarios: list[Scenario], profiles: dict[str, list[str]], args: argparse.Namespace, uv: str) -> None:
    def cell(values: list[float], goal: float) -> str:
        return f"{median(values):.2f} s ({median(values) / goal:.2f})"

    hog = f" · {args.hog} busy loop(s) running throughout" if args.hog else ""
    print(f"## Bootstrap\n\n{machine()} · {uv}{hog}\n\n`{command_line(sys.argv)}`\n\n"
          f"Step start (`bash scripts/run-action.sh package-revision …`) → first AWS request logged by the "
          f"moto server, and the whole command, on a 4-file tree. Cold: empty DEPLOY_ACTIONS_CACHE "
          f"(median of {args.cold_repeat}); warm: the same cache again (median of {args.warm_repeat}). "
          f"In brackets: ratio to the goal (cold {COLD_GOAL:.0f} s, warm {WARM_GOAL:.0f} s); ≤ 1.00 meets it.\n")
    print("| scenario | cold → first AWS call | cold wall | warm → first AWS call | warm wall |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for s in scenarios:
        t = s.times
        print(f"| {s.label} | {cell(t['cold.first-call'], COLD_GOAL)} | {median(t['cold.wall']):.2f} s | "
              f"{cell(t['warm.first-call'], WARM_GOAL)} | {median(t['warm.wall']):.2f} s |")
    by_label = {s.label: s.times for s in scenarios}
    if FETCH_COLD in by_label and PIP_COLD in by_label:
        fetch, pip = by_label[FETCH_COLD], by_label[PIP_COLD]
        print(f"\nWithout uv, nothing cached, uv fetched / venv + pip (same run): cold "
              f"{median(fetch['cold.first-call']) / median(pip['cold.first-call']):.2f}×, warm "
              f"{median(fetch['warm.first-call']) / median(pip['warm.first-call']):.2f}×.\n")
    if profiles:
        print("Import profile of the warm venv (`python -X importtime -c 'import deploy_actions.cli'`):\n")
    for label, lines in profiles.items():
        print(f"- {label}: {' '.join(lines)}")
    print(f"\n{load()} at the end.")


if __name__ == "__main__":
    main()
