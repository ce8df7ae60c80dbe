"""One pydantic model per action is the source of truth for its inputs.

CLI flags, ``INPUT_*`` variables, action.yml inputs, GitLab ``spec:inputs`` and the docs tables
are all derived from these models (see ``deploy_actions.frontdoors``).
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from deploy_actions.core.durations import parse_duration
from deploy_actions.core.environment import INPUT_PREFIX
from deploy_actions.core.errors import InputError, InputProblem

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def kebab(name: str) -> str:
    return name.replace("_", "-")


def env_name(input_name: str) -> str:
    """INPUT_<NAME_UPPER_SNAKE>, the name composite actions and GitLab templates set."""
    return INPUT_PREFIX + input_name.replace("-", "_").upper()


def input_lines(text: str) -> list[str]:
    """The lines of a multi-line input: split at LF only (a trailing CR of CRLF dropped). U+2028, NEL,
    a lone CR and the other characters str.splitlines breaks at stay inside their line: a value that
    holds one must not become a second KEY=VALUE pair."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _split_lines(value: object) -> object:
    if isinstance(value, str):
        lines = (line.strip() for line in input_lines(value))
        return [line for line in lines if line and not line.startswith("#")]
    return value


def pair_lines(text: str) -> Iterator[tuple[int, str, bool, str]]:
    """The KEY=VALUE lines of a multi-line input, blank lines and # comments skipped: (line number, key without
    its blanks, whether the line has '=', the value as written)."""
    for number, raw in enumerate(input_lines(text), start=1):
        line = raw.strip(" \t")
        if not line or line.startswith("#"):
            continue
        key, sep, rest = line.partition("=")
        yield number, key.strip(" \t"), bool(sep), rest


def _parse_pairs(value: object) -> object:
    """KEY=VALUE lines. Errors name the line and never quote it: a neighbouring value may be a secret."""
    if not isinstance(value, str):
        return value
    pairs: dict[str, str] = {}
    for number, key, sep, rest in pair_lines(value):
        if not sep:
            raise ValueError(f"line {number} has no '=': write each pair as KEY=VALUE")
        if not _KEY.match(key):
            raise ValueError(f"line {number}: the name before '=' must be letters, digits and underscores, "
                             "not starting with a digit")
        pairs[key] = rest
    return pairs


def _parse_bool(value: object) -> object:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("expected true or false")
    return value


@dataclass(frozen=True)
class Metavar:
    """What --help shows for an input's value when its type says more than VALUE (DURATION)."""

    name: str


# The shortest real deployment, rollout or bake outlasts a minute: a shorter timeout is a slip (1ms,
# 0.5s, 30s meant as minutes) that would stop a healthy deployment at once. No CI job outlives five
# days (GitHub's limit for self-hosted runners; hosted jobs end at 6 h, GitLab's at the project's).
MIN_TIMEOUT = 60.0
MAX_TIMEOUT = 5 * 24 * 3600.0


def _checked_duration(text: str) -> str:
    """A duration with a unit, within the bounds; kept as written (front doors show it as the user wrote it)."""
    stripped = text.strip()
    if stripped.startswith("-"):
        raise ValueError("must be a positive duration such as 30m")
    seconds = parse_duration(text)
    if stripped.replace(".", "", 1).isdigit():
        # 30 meant as minutes (aws-actions' wait-for-minutes) would stop production after 30 s.
        raise ValueError(f"give a unit: {stripped}m or {stripped}s")
    if seconds < MIN_TIMEOUT:
        raise ValueError("must be at least 1m: a shorter timeout would stop a healthy deployment before it could "
                         "finish (did you mean minutes?)")
    if seconds > MAX_TIMEOUT:
        raise ValueError("must be at most 120h: no CI job runs longer (GitHub-hosted jobs end at 6h, self-hosted "
                         "ones at 5 days)")
    return stripped


Duration = Annotated[str, AfterValidator(_checked_duration), Metavar("DURATION")]


MultiLine = Annotated[list[str], BeforeValidator(_split_lines)]
KeyValues = Annotated[dict[str, str], BeforeValidator(_parse_pairs)]
Flag = Annotated[bool, BeforeValidator(_parse_bool)]


def secret_field(default: Any = None, *, description: str) -> Any:
    """An input whose value is masked at once and never summarised."""
    return Field(default, description=description, json_schema_extra={"secret": True})


class ActionInputs(BaseModel):
    """Base of every action's inputs: kebab-case names, no unknown keys, immutable."""

    model_config = ConfigDict(
        alias_generator=kebab, populate_by_name=True, extra="forbid", frozen=True,
    )
    # Inputs shared by several actions (mixins) are listed after an action's own, by rank.
    input_rank: ClassVar[int] = 0

    def problems(self) -> list[InputProblem]:
        """Cross-input checks (conflicting options); actions override. Runs before any AWS call."""
        return []


REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
REGION_HELP = "expected an AWS region such as us-east-1 or eu-west-2"


def _check_region(value: str | None) -> str | None:
    if value is not None and not REGION.match(value):
        raise ValueError(REGION_HELP)
    return value


class AwsInputs(ActionInputs):
    """Inputs every action that talks to AWS shares."""

    input_rank: ClassVar[int] = 2

    region: Annotated[str | None, AfterValidator(_check_region)] = Field(
        None, description="AWS region. Default: AWS_REGION or AWS_DEFAULT_REGION from the environment."
    )
    role_to_assume: str | None = Field(
        None,
        description="IAM role ARN to assume with the CI's OIDC token (GitHub id-token, or the GitLab "
        "id_tokens variable named by id-token-variable). Empty: the standard credential chain.",
    )
    id_token_variable: str = Field(
        "AWS_ID_TOKEN",
        description="GitLab only: name of the id_tokens variable that holds the OIDC token for "
        "role-to-assume.",
    )


Kind = Literal["string", "boolean", "number", "multiline", "choice"]


@dataclass(frozen=True)
class InputSpec:
    name: str
    description: str
    kind: Kind
    required: bool
    default: str | None
    choices: tuple[str, ...] = ()
    secret: bool = False
    pairs: bool = False  # KEY=VALUE lines: any value among them may be a secret
    metavar: str | None = None  # a name for the value's type (DURATION), from the field's Metavar

    @property
    def env(self) -> str:
        return env_name(self.name)

    @property
    def quotable(self) -> bool:
        """Whether an error may quote the value (never a secret, never KEY=VALUE lines)."""
        return not (self.secret or self.pairs)


def input_specs(model: type[ActionInputs]) -> list[InputSpec]:
    """The model's inputs, its own first, then shared ones by rank (waiting, then AWS), as users read them."""
    fields = sorted(model.model_fields.items(), key=lambda item: _rank(model, item[0]))
    return [_spec(name, info) for name, info in fields]


def _rank(model: type[ActionInputs], field_name: str) -> int:
    """The rank of the class that first declared the field (an action redefining a default keeps its place)."""
    for cls in reversed(model.__mro__):
        if issubclass(cls, ActionInputs) and field_name in inspect.get_annotations(cls):
            return int(cls.__dict__.get("input_rank", 0))  # its own rank, not one it inherits
    return 0


def _spec(field_name: str, info: FieldInfo) -> InputSpec:
    kind, choices = _kind(info.annotation)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    required = info.is_required()
    return InputSpec(
        name=info.alias or kebab(field_name),
        description=info.description or "",
        kind=kind,
        required=required,
        default=None if required else render_default(info.default),
        choices=choices,
        secret=bool(extra.get("secret")),
        pairs=_is_pairs(info.annotation),
        metavar=next((m.name for m in info.metadata if isinstance(m, Metavar)), None),
    )


def _is_pairs(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType, Annotated):
        return any(_is_pairs(a) for a in get_args(annotation) if a is not type(None))
    return origin is dict


def _kind(annotation: Any) -> tuple[Kind, tuple[str, ...]]:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return _kind(inner[0])
    if origin is Annotated:
        return _kind(get_args(annotation)[0])
    if origin is Literal:
        return "choice", tuple(str(a) for a in get_args(annotation))
    if annotation is bool:
        return "boolean", ()
    if annotation in (int, float):
        return "number", ()
    if origin in (list, dict):
        return "multiline", ()
    return "string", ()


def render_default(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def collect_raw(model: type[ActionInputs], given: Mapping[str, str | None],
                environ: Mapping[str, str]) -> dict[str, str]:
    """Merge CLI values over INPUT_* variables; empty means 'not set' (GitHub passes '' for unset)."""
    raw: dict[str, str] = {}
    for spec in input_specs(model):
        value = given.get(spec.name)
        if value is None:
            value = environ.get(spec.env)
        if value is None:
            # GitHub's own convention for JavaScript actions keeps the hyphens.
            value = environ.get(INPUT_PREFIX + spec.name.upper())
        if value is None:
            continue
        if spec.kind != "multiline":
            value = value.strip()
        if value.strip():
            raw[spec.name] = value
    return raw


# INPUT_ variables the front doors set that are not an action's input.
FRONT_DOOR_VARIABLES = frozenset({INPUT_PREFIX + "COMMAND"})


def unknown_input_variables(action: str, model: type[ActionInputs], environ: Mapping[str, str]) -> list[str]:
    """A warning for each non-empty INPUT_ variable no input reads (INPUT_BUKET), naming the closest input."""
    import difflib

    specs = input_specs(model)
    known = {spec.env for spec in specs} | {INPUT_PREFIX + spec.name.upper() for spec in specs}
    by_env = {spec.env: spec.name for spec in specs}
    warnings = []
    for variable, value in sorted(environ.items()):
        if not variable.startswith(INPUT_PREFIX) or variable in known or variable in FRONT_DOOR_VARIABLES:
            continue
        if not value.strip():
            continue
        close = difflib.get_close_matches(variable.replace("-", "_").upper(), list(by_env), n=1, cutoff=0.75)
        hint = f"; did you mean {by_env[close[0]]} ({close[0]})?" if close else ""
        warnings.append(f"{variable} is set, but {action} has no such input, so it is ignored{hint}")
    return warnings


M = TypeVar("M", bound=ActionInputs)


def parse_inputs(model: type[M], raw: Mapping[str, str]) -> M:
    """Validate raw strings into the model, or raise InputError listing every bad input."""
    try:
        parsed = model.model_validate(dict(raw))
    except ValidationError as exc:
        problems = [_problem(model, error, raw) for error in exc.errors()]
        raise InputError(problems) from None
    problems = parsed.problems()
    if problems:
        raise InputError(problems)
    return parsed


def _problem(model: type[ActionInputs], error: Any, raw: Mapping[str, str]) -> InputProblem:
    loc = error.get("loc") or ("?",)
    name = str(loc[0])
    value = raw.get(name)
    specs = {s.name: s for s in input_specs(model)}
    spec = specs.get(name)
    kind = error.get("type", "")
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "missing" and spec is not None:
        message = f"required; pass --{name} VALUE or set {spec.env}"
    elif kind == "literal_error" and spec is not None:
        message = f"must be one of: {', '.join(spec.choices)}"
    elif kind in ("int_parsing", "float_parsing"):
        message = "must be a number"
    if spec is not None and not spec.quotable:
        return InputProblem(name, None, message, hidden=True)
    return InputProblem(name, value, message)
