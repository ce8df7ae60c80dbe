"""The actions: every module in this package is one action and exposes a SPEC.

Adding an action is adding a module here (plus its work package); nothing else is edited by hand.
`entries()` discovers the modules (command name = module name with '_' -> '-') and reads each title,
the first line of the module docstring, from the source without importing it, so the
`deploy-actions --help` listing imports no action module, no pydantic and no boto3. Running one
action imports only that action's module (`load_action`); its SPEC.title is the same docstring line
(`ActionSpec.title_from(__doc__)`).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deploy_actions.core.context import RunContext
    from deploy_actions.core.inputs import ActionInputs
    from deploy_actions.core.outputs import ActionOutputs


@dataclass(frozen=True)
class ActionSpec:
    name: str
    title: str  # the first line of the module docstring: `title=ActionSpec.title_from(__doc__)`
    description: str
    icon: str  # GitHub Marketplace branding (feather icon name)
    color: str
    inputs: type[ActionInputs]
    outputs: type[ActionOutputs]
    run: Callable[[Any, RunContext], ActionOutputs]

    @staticmethod
    def title_from(docstring: str | None) -> str:
        """An action's title: the first line of its module docstring, without a closing period."""
        title = (docstring or "").strip().partition("\n")[0].strip().removesuffix(".")
        if not title:
            raise ValueError("an action module needs a docstring: its first line is the action's title")
        return title


@dataclass(frozen=True)
class ActionEntry:
    """What the CLI's command listing needs, without importing the action."""

    name: str
    module: str
    title: str

    def load(self) -> ActionSpec:
        spec: ActionSpec = importlib.import_module(self.module).SPEC
        if (spec.name, spec.title) != (self.name, self.title):  # what --help listed is what runs
            raise ValueError(f"{self.module}: SPEC says {spec.name!r} ({spec.title!r}); the module is listed as "
                             f"{self.name!r} ({self.title!r}): use title=ActionSpec.title_from(__doc__)")
        return spec


def entries() -> dict[str, ActionEntry]:
    """Every action module in this package, by command name (sorted), found and titled without importing it."""
    found: dict[str, ActionEntry] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = f"{__name__}.{info.name}"
        name = info.name.replace("_", "-")
        found[name] = ActionEntry(name, module, ActionSpec.title_from(_docstring(module)))
    return dict(sorted(found.items()))


def _docstring(module: str) -> str | None:
    """The module's docstring, read from its source: finding a module's spec does not run the module."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise ValueError(f"{module}: an action must be a Python source module")
    with open(spec.origin, "rb") as source:
        return docstring_of(importlib.util.decode_source(source.read()))


# A leading triple-quoted string alone on its lines: the usual docstring, read without parsing the module.
_LEADING_DOCSTRING = re.compile(r'(?:[ \t]*(?:#[^\n]*)?\n)*([rRuU]?("""|\'\'\')[\s\S]*?\2)[ \t]*(?:#[^\n]*)?(?:\n|$)')


def docstring_of(source: str) -> str | None:
    """A module's docstring (its __doc__), from its source and without running it.

    The usual form is read directly (parsing a whole module would cost each CLI start about a millisecond
    per action); any other goes through the parser.
    """
    match = _LEADING_DOCSTRING.match(source)
    if match:
        try:
            value = ast.literal_eval(match.group(1))
        except (SyntaxError, ValueError):
            pass
        else:
            return value if isinstance(value, str) else None
    return ast.get_docstring(ast.parse(source), clean=False)


def load_action(name: str) -> ActionSpec:
    """The one action's SPEC, importing only its module. KeyError for an unknown name."""
    return entries()[name].load()


def all_actions() -> dict[str, ActionSpec]:
    """Every action's SPEC (imports every action module): for the front-door generator and tests."""
    return {name: entry.load() for name, entry in entries().items()}
