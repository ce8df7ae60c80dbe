"""The two kinds of failure: what the user can fix (exit 2) and what failed in AWS (exit 1)."""

from __future__ import annotations

from dataclasses import dataclass, field


class DeployActionsError(Exception):
    """Base of every error the CLI turns into an exit code and a plain message."""

    exit_code = 1

    def findings(self) -> list[Finding]:
        """Located problems to annotate one by one; empty means report the message alone."""
        return []


class ConfigurationError(DeployActionsError):
    """Bad input or configuration, found before anything in AWS changed."""

    exit_code = 2


@dataclass(frozen=True)
class Finding:
    """A problem located in a user's file (annotated on that line where the CI supports it)."""

    message: str
    file: str | None = None
    line: int | None = None
    severity: str = "error"

    def render(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else (
            f"{self.file}: " if self.file else "")
        return f"{where}{self.message}"


class FileConfigurationError(ConfigurationError):
    """A user's file (appspec, task definition, ...) has one or more problems."""

    def __init__(self, summary: str, problems: list[Finding]) -> None:
        self.problems = problems
        super().__init__(summary + "\n" + "\n".join(f"  {p.render()}" for p in problems))

    def findings(self) -> list[Finding]:
        return self.problems


@dataclass(frozen=True)
class InputProblem:
    input: str
    value: str | None
    message: str
    hidden: bool = False  # the value may hold a secret: the message names the line or key instead

    def render(self) -> str:
        if self.hidden:
            return f"input '{self.input}' (value not shown): {self.message}"
        shown = "(not set)" if self.value is None else repr(_clip(self.value))
        return f"input '{self.input}' = {shown}: {self.message}"


class InputError(ConfigurationError):
    """One or more inputs are invalid; each problem names the input, its value and the fix."""

    def __init__(self, problems: list[InputProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))

    @classmethod
    def single(cls, input: str, value: str | None, message: str) -> InputError:
        return cls([InputProblem(input, value, message)])

    def findings(self) -> list[Finding]:
        return [Finding(p.render()) for p in self.problems]


class DeploymentFailed(DeployActionsError):
    """The deployment or check ran and failed; diagnostics were reported."""

    exit_code = 1


@dataclass
class Diagnostics:
    """Facts gathered about a failure, shown as annotations and in the summary."""

    title: str
    lines: list[str] = field(default_factory=list)


def _clip(value: str, limit: int = 200) -> str:
    return value if len(value) <= limit else value[:limit] + "…"
