"""Entry point: parse, dispatch, exit codes. All work happens in the action modules.

Start-up cost matters (every CI step starts a process): only the chosen action's module is imported,
and `deploy-actions --help` / `--version` import neither boto3 nor pydantic.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

from deploy_actions import __version__
from deploy_actions.actions import ActionEntry, ActionSpec, entries
from deploy_actions.core.environment import Env

if TYPE_CHECKING:
    from deploy_actions.core.errors import DeployActionsError
    from deploy_actions.core.inputs import InputSpec
    from deploy_actions.core.platform import Reporter

EPILOG = """\
Every --<input> can also come from INPUT_<NAME> (e.g. --key-prefix from INPUT_KEY_PREFIX).
Outputs go to $GITHUB_OUTPUT, to the dotenv file named by $DEPLOY_ACTIONS_DOTENV, and with
--json to stdout as one JSON object. Exit codes: 0 done, 1 the deployment or check failed,
2 bad input or configuration (nothing in AWS was changed)."""


def build_parser(actions: Mapping[str, ActionSpec],
                 listed: Mapping[str, ActionEntry] | None = None) -> argparse.ArgumentParser:
    """Every discovered action (`listed`, default `entries()`); those in `actions` with their inputs as flags,
    the others by title only."""
    parser = argparse.ArgumentParser(
        prog="deploy-actions",
        description="Ship containerized services to AWS with zero downtime, from any CI or a laptop.",
        epilog="Run 'deploy-actions <command> --help' for a command's inputs.",
        allow_abbrev=False,  # --time must not quietly mean --timeout
    )
    parser.add_argument("--version", action="version", version=f"deploy-actions {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="<command>")
    for name, entry in (entries() if listed is None else listed).items():
        spec = actions.get(name)
        if spec is None:  # listed for --help; never parsed, as main() loads the action it runs
            commands.add_parser(name, help=entry.title, allow_abbrev=False)
            continue
        from deploy_actions.core.inputs import input_specs

        sub = commands.add_parser(
            spec.name, help=spec.title, description=spec.description, epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False,
        )
        sub.add_argument("--json", action="store_true", help="print the outputs as one JSON object on stdout")
        group = sub.add_argument_group("inputs")
        for item in input_specs(spec.inputs):
            help_text = item.description
            if item.required:
                help_text += " (required)"
            elif item.default not in (None, ""):
                shown = str(item.default).replace("\n", ", ")
                help_text += f" (default: {shown})"
            group.add_argument(f"--{item.name}", dest=f"input:{item.name}", metavar=_metavar(item),
                               help=help_text.replace("%", "%%"))
    commands.add_parser("emulator", help="local AWS emulator: start, stop, status, env, seed",
                        add_help=False)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["emulator"]:
        from deploy_actions.emulator.cli import main as emulator_main

        return emulator_main(args_list[1:])
    env = dict(os.environ if environ is None else environ)
    out = stdout if stdout is not None else sys.stdout
    if env.get(Env.DOTENV):  # it must exist whatever the exit code, even after a usage error
        _ensure_dotenv(env, stderr if stderr is not None else sys.stderr)
    # The command is the first word that is not an option; only its module is imported.
    chosen = next((arg for arg in args_list if not arg.startswith("-")), None)
    listed = entries()
    actions = {chosen: listed[chosen].load()} if chosen in listed else {}
    parser = build_parser(actions, listed)
    if chosen in actions:
        args_list = _glue_values(args_list, actions[chosen])
    args = parser.parse_args(args_list)
    if not args.command:
        parser.print_help(out)
        return 2
    if args.command not in actions:  # not reached with the usual argument order; parse again, fully
        actions = {args.command: listed[args.command].load()}
        args = build_parser(actions, listed).parse_args(args_list)
    return run_action(actions[args.command], args, env, out, stderr if stderr is not None else sys.stderr)


def _metavar(item: InputSpec) -> str:
    """What --help shows for the value: its choices, its type (DURATION, N, LINES) or VALUE."""
    if item.choices:
        return "{" + ",".join(item.choices) + "}"
    if item.kind == "boolean":
        return "{true,false}"
    return item.metavar or {"number": "N", "multiline": "LINES"}.get(item.kind, "VALUE")


def _glue_values(args: list[str], spec: ActionSpec) -> list[str]:
    """`--timeout -5m` as `--timeout=-5m`: every input flag takes exactly one value, even one that starts
    with a dash (argparse would read it as an option and say "expected one argument")."""
    from deploy_actions.core.inputs import input_specs

    flags = {f"--{item.name}" for item in input_specs(spec.inputs)}
    glued: list[str] = []
    index = 0
    while index < len(args):
        if args[index] in flags and index + 1 < len(args) and args[index + 1].startswith("-"):
            glued.append(f"{args[index]}={args[index + 1]}")
            index += 2
        else:
            glued.append(args[index])
            index += 1
    return glued


def run_action(spec: ActionSpec, args: argparse.Namespace, env: dict[str, str], out: TextIO, err: TextIO) -> int:
    import traceback

    from deploy_actions.core.context import RunContext
    from deploy_actions.core.errors import DeployActionsError
    from deploy_actions.core.inputs import collect_raw, input_specs, parse_inputs, unknown_input_variables
    from deploy_actions.core.outputs import OutputSink
    from deploy_actions.core.platform import detect_reporter

    as_json = bool(args.json)
    # With --json, stdout carries only the outputs object; the log goes to stderr.
    reporter = detect_reporter(env, err if as_json else out)
    given = {k.removeprefix("input:"): v for k, v in vars(args).items() if k.startswith("input:")}
    raw = collect_raw(spec.inputs, given, env)
    for item in input_specs(spec.inputs):
        if item.secret and item.name in raw:
            reporter.mask(raw[item.name])
    for warning in unknown_input_variables(spec.name, spec.inputs, env):
        reporter.warning(warning)
    # Outputs are published however the run ends: those known by then after a failure.
    ctx = RunContext(reporter=reporter, environ=env, outputs=OutputSink(spec.outputs, env), action=spec.name)
    try:
        inputs = parse_inputs(spec.inputs, raw)
        with ctx.cancel.on_signals():
            ctx.outputs.merge(spec.run(inputs, ctx))
        code = 0
    except DeployActionsError as exc:
        _report_failure(spec, exc, reporter)
        code = exc.exit_code
    except Exception as exc:  # an unexpected bug: say so plainly, keep the traceback for debug
        reporter.error(f"internal error in {spec.name}: {exc.__class__.__name__}: {exc}")
        reporter.debug(traceback.format_exc())
        code = 1
    if ctx.outputs.left_out_of_dotenv:
        reporter.warning(f"left out of the dotenv report, over GitLab's 5 KB limit for the whole file: "
                         f"{', '.join(ctx.outputs.left_out_of_dotenv)} (the job log and summary show them)")
    ctx.outputs.finish(out if as_json else None)
    return code


def _ensure_dotenv(env: Mapping[str, str], err: TextIO) -> None:
    from deploy_actions.core.outputs import ensure_dotenv

    try:
        ensure_dotenv(env)
    except OSError as exc:
        err.write(f"warning: cannot create the dotenv file {env[Env.DOTENV]} ({Env.DOTENV}): {exc}\n")


def _report_failure(spec: ActionSpec, exc: DeployActionsError, reporter: Reporter) -> None:
    from deploy_actions.core.platform import printable

    kind = "configuration error" if exc.exit_code == 2 else "failed"
    findings = exc.findings()
    if findings:
        for finding in findings:
            if finding.severity == "warning":
                reporter.warning(finding.message, file=finding.file, line=finding.line)
            else:
                reporter.error(finding.message, title=f"{spec.name}: {kind}", file=finding.file,
                               line=finding.line)
    else:
        reporter.error(str(exc), title=f"{spec.name}: {kind}")
    text = printable(str(exc)).replace("```", "ʼʼʼ")  # the fence holds, whatever the message quotes
    reporter.summary(f"### ❌ {spec.name}: {kind}\n\n```\n{text}\n```")
