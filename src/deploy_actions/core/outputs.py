"""Outputs: one typed model per action, written to every place a CI reads them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict

from deploy_actions.core.environment import Env
from deploy_actions.core.inputs import kebab


class ActionOutputs(BaseModel):
    model_config = ConfigDict(alias_generator=kebab, populate_by_name=True, frozen=True)


@dataclass(frozen=True)
class OutputSpec:
    name: str
    description: str

    @property
    def dotenv_name(self) -> str:
        return self.name.replace("-", "_").upper()


def output_specs(model: type[ActionOutputs]) -> list[OutputSpec]:
    return [
        OutputSpec(info.alias or kebab(name), info.description or "")
        for name, info in model.model_fields.items()
    ]


def render_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(mode="json", by_alias=True, exclude_none=True),
                          separators=(",", ":"), sort_keys=False)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def output_values(outputs: ActionOutputs) -> dict[str, str]:
    return {
        (info.alias or kebab(name)): render_value(getattr(outputs, name))
        for name, info in type(outputs).model_fields.items()
    }


def write_github_output(path: str, values: Mapping[str, str]) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        for name, value in values.items():
            if "\n" in value or "\r" in value:
                delimiter = f"ghadelimiter_{uuid.uuid4()}"
                handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                handle.write(f"{name}={value}\n")


# GitLab refuses a whole dotenv report over 5 KB (the `dotenv_size` instance limit, 5120 bytes on every plan),
# and with it every output of the job; the largest values (JSON reports) are left out instead.
DOTENV_LIMIT = 5120


def write_dotenv(path: str, values: Mapping[str, str]) -> list[str]:
    """GitLab's dotenv report, written whole: one KEY=VALUE a line, each key once, no multi-line values.

    Returns the outputs left out (largest first) so that the report stays within DOTENV_LIMIT."""
    lines: dict[str, str] = {}
    for name, value in values.items():
        flat = value if "\n" not in value and "\r" not in value else json.dumps(value)
        lines[name] = f"{name.replace('-', '_').upper()}={flat}\n"
    left_out: list[str] = []
    for name in sorted(lines, key=lambda n: -len(lines[n].encode())):
        if sum(len(line.encode()) for line in lines.values()) <= DOTENV_LIMIT:
            break
        left_out.append(name)
        del lines[name]
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    partial.write_text("".join(lines.values()), encoding="utf-8")
    partial.replace(target)  # a reader (or a killed job's artifact upload) never sees half a file
    return left_out


def ensure_dotenv(environ: Mapping[str, str]) -> None:
    """Start the dotenv file empty when one is asked for, before anything can fail.

    GitLab's `artifacts:reports:dotenv` fails the artifact upload when the file is missing, which
    would hide the job's real failure; and a file left by an earlier run in a reused working
    directory must not pass its values off as this run's.
    """
    path = environ.get(Env.DOTENV)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text("", encoding="utf-8")


class OutputSink:
    """The run's outputs as they become known, written out at once and published however the run ends.

    Actions set an output the moment it exists (a deployment id, say), so a job killed later still
    reports it; exceptions never carry outputs. GitHub reads the last value written for a name; the
    dotenv file is rewritten whole so it holds each key once.
    """

    def __init__(self, model: type[ActionOutputs], environ: Mapping[str, str]) -> None:
        self.model = model
        self.environ = environ
        self._names = {name: info.alias or kebab(name) for name, info in model.model_fields.items()}
        self.values: dict[str, str] = {}
        self.left_out_of_dotenv: list[str] = []  # too large for GitLab's dotenv limit (the CLI warns)

    def set(self, **fields: Any) -> None:
        """Set outputs by field name (deployment_id=...) and write them out now."""
        changed: dict[str, str] = {}
        for field_name, value in fields.items():
            if field_name not in self._names:
                raise KeyError(f"{self.model.__name__} has no output {field_name!r}")
            name, text = self._names[field_name], render_value(value)
            if self.values.get(name) != text:
                self.values[name] = changed[name] = text
        if changed:
            self._write(changed)

    def merge(self, outputs: ActionOutputs) -> None:
        """Every output of a finished run (its final values)."""
        self.set(**{name: getattr(outputs, name) for name in self._names})

    def _write(self, changed: Mapping[str, str]) -> None:
        if self.environ.get(Env.GITHUB_OUTPUT):
            write_github_output(self.environ[Env.GITHUB_OUTPUT], changed)
        if self.environ.get(Env.DOTENV):
            self.left_out_of_dotenv = write_dotenv(self.environ[Env.DOTENV], self.values)

    def finish(self, json_stream: TextIO | None) -> dict[str, str]:
        """At the end, success or not: the JSON object on stdout (with --json) of what is known."""
        if json_stream is not None:
            json_stream.write(json.dumps(self.values) + "\n")
            json_stream.flush()
        return dict(self.values)

