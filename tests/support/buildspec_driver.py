"""Run a CodeBuild buildspec (version 0.2) on this machine the way the build service runs it.

What is carried over from CodeBuild (the buildspec reference and "Build phase transitions"):
- `env.variables` are set for every command; variables the project (or StartBuild) sets win over them, and
  `env.parameter-store` values are read from SSM (GetParameter, decrypted) before the first phase;
- the phases run in order install, pre_build, build, post_build, every command of every phase in ONE shell
  session (`env.shell`, bash by default here): a `cd` or an `export` carries over to the later commands;
- a command exiting non-zero fails its phase; the phase's later commands are skipped, its `finally` commands
  still run; CODEBUILD_BUILD_SUCCEEDING turns 0 for the rest of the build;
- after a failed phase: `on-failure: CONTINUE` goes on with the next phase; `on-failure: ABORT` ends the build;
  without `on-failure`, a failed install or pre_build ends the build, a failed build still runs post_build
  (the transitions CodeBuild documents), a failed post_build ends it;
- CODEBUILD_SRC_DIR, CODEBUILD_RESOLVED_SOURCE_VERSION, CODEBUILD_BUILD_ID/NUMBER, CODEBUILD_BUILD_SUCCEEDING;
- `env.exported-variables` are reported with their values at the end of the build.

Not carried over: artifacts upload, reports, batch builds, `run-as`, `secrets-manager`, `git-credential-helper`.
The log has CodeBuild's `[Container]` lines (`Running command …`, `Phase complete: BUILD State: FAILED`).
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

PHASES = ("install", "pre_build", "build", "post_build")
STATUS_MARK = "##buildspec-driver-phase "
EXPORT_MARK = "##buildspec-driver-export "


@dataclass
class Build:
    """How a build ended: CodeBuild's status, each phase's state, the exported variables, the whole log."""

    succeeded: bool
    phases: dict[str, str]  # phase -> SUCCEEDED / FAILED (phases that did not run are absent)
    exported: dict[str, str]
    log: str
    seconds: float
    returncode: int = 0


def _commands(block: Any, phase: str, part: str) -> list[str]:
    if block is None:
        return []
    if not isinstance(block, list) or not all(isinstance(c, str) for c in block):
        raise ValueError(f"phases.{phase}.{part}: a list of commands (strings)")
    return list(block)


def script(buildspec: Mapping[str, Any]) -> str:
    """The one shell script the build's commands run in, phase by phase, with CodeBuild's transitions."""
    if str(buildspec.get("version")) != "0.2":
        raise ValueError(f"version: {buildspec.get('version')!r}; this driver runs buildspec version 0.2")
    phases = buildspec.get("phases") or {}
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise ValueError(f"phases: unknown {sorted(unknown)}; CodeBuild's are {', '.join(PHASES)}")
    lines = ["__abort=0", "export CODEBUILD_BUILD_SUCCEEDING=1"]
    for phase in PHASES:
        spec = phases.get(phase) or {}
        on_failure = spec.get("on-failure")
        if on_failure not in (None, "ABORT", "CONTINUE"):
            raise ValueError(f"phases.{phase}.on-failure: {on_failure!r}; ABORT or CONTINUE")
        ends_build = on_failure == "ABORT" or (on_failure is None and phase != "build")
        lines.append('if [ "$__abort" = 0 ]; then')
        lines.append(f"  echo {shlex.quote(f'[Container] Entering phase {phase.upper()}')}")
        lines.append("  __failed=0")
        for part in ("commands", "finally"):
            for command in _commands(spec.get(part), phase, part):
                guard = '[ "$__failed" = 0 ]' if part == "commands" else "true"
                lines += [
                    f"  if {guard}; then",
                    f"    echo {shlex.quote(f'[Container] Running command {command}')}",
                    f"    eval {shlex.quote(command)}",
                    "    __rc=$?",
                    '    if [ "$__rc" != 0 ]; then',
                    f"      echo {shlex.quote(f'[Container] Command did not exit successfully {command} exit status ')}"
                    '"$__rc"',
                    "      __failed=1",
                    "    fi",
                    "  fi",
                ]
        lines += [
            '  if [ "$__failed" = 0 ]; then __state=SUCCEEDED; else __state=FAILED; CODEBUILD_BUILD_SUCCEEDING=0;'
            + (" __abort=1;" if ends_build else "") + " fi",
            f'  echo "[Container] Phase complete: {phase.upper()} State: $__state"',
            f'  echo "{STATUS_MARK}{phase} $__state"',
            "fi",
        ]
    for name in (buildspec.get("env") or {}).get("exported-variables") or []:
        lines.append(f'echo "{EXPORT_MARK}{name}=${{{name}-}}"')
    lines.append('[ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ]')
    return "\n".join(lines) + "\n"


def run(buildspec_path: Path, source_dir: Path, project_env: Mapping[str, str], *, commit: str,
        ssm: Callable[[str], str] | None = None, timeout: float = 600) -> Build:
    """Run the buildspec in `source_dir` (the checked-out source) with the project's environment."""
    buildspec = YAML(typ="safe").load(buildspec_path.read_text())
    env_spec = buildspec.get("env") or {}
    env: dict[str, str] = {k: str(v) for k, v in (env_spec.get("variables") or {}).items()}
    for name, parameter in (env_spec.get("parameter-store") or {}).items():
        if ssm is None:
            raise ValueError(f"env.parameter-store.{name}: no SSM client given to read {parameter}")
        env[name] = ssm(str(parameter))
    build_id = f"seed-002:{int(time.time())}"
    env.update({"CODEBUILD_SRC_DIR": str(source_dir), "CODEBUILD_RESOLVED_SOURCE_VERSION": commit,
                "CODEBUILD_SOURCE_VERSION": commit, "CODEBUILD_BUILD_ID": build_id, "CODEBUILD_BUILD_NUMBER": "1",
                "CODEBUILD_INITIATOR": "codepipeline/seed-002"})
    env.update(project_env)  # the project's (and StartBuild's) variables win over the buildspec's
    shell = str(env_spec.get("shell") or "bash")
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as handle:
        handle.write(script(buildspec))
    started = time.monotonic()
    try:
        done = subprocess.run([shell, handle.name], cwd=source_dir, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
    finally:
        Path(handle.name).unlink()
    phases, exported, log = {}, {}, []
    for line in done.stdout.splitlines():
        if line.startswith(STATUS_MARK):
            phase, state = line.removeprefix(STATUS_MARK).split()
            phases[phase] = state
        elif line.startswith(EXPORT_MARK):
            name, _, value = line.removeprefix(EXPORT_MARK).partition("=")
            exported[name] = value
        else:
            log.append(line)
    return Build(done.returncode == 0, phases, exported, "\n".join(log), time.monotonic() - started, done.returncode)


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.support.buildspec_driver [buildspec.yml] [--source DIR] [--commit SHA]`: run it here, with
    this shell's environment as the project's variables (AWS_ENDPOINT_URL and credentials included)."""
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="buildspec_driver", description=__doc__.splitlines()[0])
    parser.add_argument("buildspec", nargs="?", default="buildspec.yml")
    parser.add_argument("--source", default=".", help="the checked-out source (CODEBUILD_SRC_DIR)")
    parser.add_argument("--commit", default="", help="CODEBUILD_RESOLVED_SOURCE_VERSION (default: git rev-parse HEAD)")
    args = parser.parse_args(argv)
    source = Path(args.source).resolve()
    commit = args.commit or subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True,
                                           check=True).stdout.strip()
    build = run(Path(args.buildspec).resolve(), source, dict(os.environ), commit=commit, timeout=3600)
    print(build.log)
    for name, value in build.exported.items():
        print(f"exported {name}={value}")
    print(f"build {'SUCCEEDED' if build.succeeded else 'FAILED'} in {build.seconds:.1f}s: "
          + ", ".join(f"{phase} {state}" for phase, state in build.phases.items()))
    return 0 if build.succeeded else 1


if __name__ == "__main__":
    raise SystemExit(main())
