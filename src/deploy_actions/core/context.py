"""What an action receives besides its inputs: reporter, environment, CI facts, cancellation, outputs,
the run's deadline and AWS clients."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from deploy_actions.core.aws import AwsClients, make_clients
from deploy_actions.core.durations import parse_duration
from deploy_actions.core.inputs import AwsInputs
from deploy_actions.core.operation import Deadline, Operation, PollShape, WaitingInputs
from deploy_actions.core.outputs import ActionOutputs, OutputSink
from deploy_actions.core.platform import Reporter
from deploy_actions.core.runfacts import RunFacts, run_facts
from deploy_actions.core.waiting import CancellationToken


class _NoOutputs(ActionOutputs):
    pass


@dataclass
class RunContext:
    reporter: Reporter
    environ: Mapping[str, str]
    cancel: CancellationToken = field(default_factory=CancellationToken)
    outputs: OutputSink = field(default_factory=lambda: OutputSink(_NoOutputs, {}))
    client_factory: Callable[..., AwsClients] = make_clients
    started: float = field(default_factory=time.monotonic)  # the run's deadline counts from here
    action: str = ""  # the running action's name, told to AWS in the user agent
    _clients: AwsClients | None = None

    @cached_property
    def facts(self) -> RunFacts:
        """What the CI knows about this run (commit, branch, run number, ...): the one place to ask."""
        return run_facts(self.environ)

    def aws(self, inputs: AwsInputs) -> AwsClients:
        """The run's AWS clients, built on first use so pure validation never needs credentials."""
        if self._clients is None:
            label = self.facts.job_id or self.facts.run_id or "local"
            named = {"action": self.action} if self.action else {}
            self._clients = self.client_factory(inputs, self.reporter, self.environ,
                                                session_name=f"deploy-actions-{label}", **named)
        return self._clients

    def operation(self, inputs: WaitingInputs, shape: PollShape | None = None) -> Operation:
        """The run's waiting kit: its deadline (`timeout` from the start of the run), cancellation and
        the on-timeout / on-cancel choices."""
        deadline = Deadline(parse_duration(inputs.timeout), started=self.started)
        return Operation(self.reporter, self.cancel, deadline, on_timeout=inputs.on_timeout,
                         on_cancel=inputs.on_cancel, shape=shape)
