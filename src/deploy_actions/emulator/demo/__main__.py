"""`python -m deploy_actions.emulator.demo [--cli]`: check what the demo needs, then run it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deploy_actions.emulator import demo
from deploy_actions.emulator.core.defaults import server_missing_message
from deploy_actions.emulator.demo import prerequisites
from deploy_actions.emulator.demo.world import ROOT, SERVICE, WORKFLOW_SOURCE

DEFAULT_OUT = ROOT / ".cache" / "demo"


def say(line: str) -> None:
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy_actions.emulator.demo", description=demo.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", action="store_true",
                        help="the in-process demo: the actions through the CLI, no act and no Docker")
    parser.add_argument("--clock-factor", type=float, default=300.0, help="AWS waits run this many times faster")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where the report and act's log go (default: {DEFAULT_OUT})")
    parser.add_argument("--app", type=Path, default=None, help="--cli: the app to deploy (default: examples/app)")
    args = parser.parse_args(argv)
    if args.clock_factor <= 0:
        print(f"demo: --clock-factor {args.clock_factor:g} is not a positive number; give e.g. 300", file=sys.stderr)
        return 2
    if args.cli:
        return in_process(args.clock_factor, args.app)
    unmet = prerequisites.missing(ROOT, [SERVICE, WORKFLOW_SOURCE])
    if unmet:
        for line in unmet:
            print(f"demo: {line}", file=sys.stderr)
        return 2
    from deploy_actions.emulator.demo.workflow import run_workflow_demo

    try:
        return run_workflow_demo(args.out, args.clock_factor, say)
    except KeyboardInterrupt:
        print("demo: interrupted; the emulator and the containers it started are stopped", file=sys.stderr)
        return 130


def in_process(clock_factor: float, app: Path | None) -> int:
    unmet = server_missing_message("the demo")
    if unmet:
        print(f"demo: {unmet}", file=sys.stderr)
        return 2
    from deploy_actions.emulator.demo.in_process import EXAMPLE_APP, run_demo

    app = app or EXAMPLE_APP
    if not (app / "appspec.yml").is_file():
        print(f"demo: no appspec.yml in {app}; run from a checkout of deploy-actions or pass --app DIR",
              file=sys.stderr)
        return 2
    return run_demo(say=say, clock_factor=clock_factor, app=app)


if __name__ == "__main__":
    sys.exit(main())
