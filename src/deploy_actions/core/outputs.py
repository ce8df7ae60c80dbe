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


def write_dotenv(path: str, values: Mapping[str, str]) -> None:
    """GitLab's dotenv report: one KEY=VALUE a line, no multi-line values."""
    with open(path, "a", encoding="utf-8") as handle:
        for name, value in values.items():
            flat = value if "\n" not in value else json.dumps(value)
            handle.write(f"{name.replace('-', '_').upper()}={flat}\n")


def ensure_dotenv(environ: Mapping[str, str]) -> None:
    """Create the dotenv file (empty) when one is asked for, before anything can fail.

    GitLab's `artifacts:reports:dotenv` fails the artifact upload when the file is missing, which
    would hide the job's real failure; outputs are appended to it as they become known (`publish`).
    """
    path = environ.get(Env.DOTENV)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).touch()


def publish(outputs: ActionOutputs, environ: Mapping[str, str], *, json_stream: TextIO | None) -> dict[str, str]:
    values = output_values(outputs)
    if environ.get(Env.GITHUB_OUTPUT):
        write_github_output(environ[Env.GITHUB_OUTPUT], values)
    if environ.get(Env.DOTENV):
        write_dotenv(environ[Env.DOTENV], values)
    if json_stream is not None:
        json_stream.write(json.dumps(values) + "\n")
        json_stream.flush()
    return values
