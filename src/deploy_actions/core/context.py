"""What an action receives besides its inputs: reporter, environment, cancellation, AWS clients."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from deploy_actions.core.aws import AwsClients, make_clients
from deploy_actions.core.inputs import AwsInputs
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import CancellationToken


@dataclass
class RunContext:
    reporter: Reporter
    environ: Mapping[str, str]
    cancel: CancellationToken = field(default_factory=CancellationToken)
    client_factory: Callable[[AwsInputs, Reporter, Mapping[str, str]], AwsClients] = make_clients
    _clients: AwsClients | None = None

    def aws(self, inputs: AwsInputs) -> AwsClients:
        """The run's AWS clients, built on first use so pure validation never needs credentials."""
        if self._clients is None:
            self._clients = self.client_factory(inputs, self.reporter, self.environ)
        return self._clients
