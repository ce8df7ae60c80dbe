"""Forward actions and weight plans: pure functions, no AWS call.

The live side is decided from the weights, never from names: the side holding every bit of the weight is
live; when both hold some, the listener is mid-shift. An action list is rewritten whole (ModifyListener and
ModifyRule replace lists whole), changing only the forward action's target-group weights: stickiness, other
actions and their Order, and every other field are copied as read.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["blue", "green"]
MAX_WEIGHT = 999  # ALB's limit for a target group's weight in a forward action


def other(role: Role) -> Role:
    return "green" if role == "blue" else "blue"


@dataclass(frozen=True)
class Forward:
    """The forward action of an action list, as read: its position and each target group's weight."""

    actions: tuple[dict[str, Any], ...]
    index: int
    weights: dict[str, int]  # target group ARN -> weight, in the action's order

    @classmethod
    def read(cls, actions: list[dict[str, Any]]) -> Forward | None:
        """None when the list has no forward action (a redirect or fixed response)."""
        for index, action in enumerate(actions):
            if action.get("Type") != "forward":
                continue
            groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
            weights = {str(g["TargetGroupArn"]): int(g.get("Weight", 1)) for g in groups}
            if not weights and action.get("TargetGroupArn"):
                weights = {str(action["TargetGroupArn"]): 1}
            return cls(tuple(copy.deepcopy(actions)), index, weights)
        return None

    def weight(self, arn: str) -> int:
        return self.weights.get(arn, 0)

    def others(self, *arns: str) -> dict[str, int]:
        """Target groups other than `arns` that receive traffic."""
        return {arn: weight for arn, weight in self.weights.items() if arn not in arns and weight > 0}

    def original(self) -> list[dict[str, Any]]:
        """The action list as read, ready to send back: what a rollback writes."""
        return resendable(list(self.actions))

    def with_weights(self, new: dict[str, int]) -> list[dict[str, Any]]:
        """The action list with the forward action's weights set from `new` (ARN -> weight); target groups
        already in the action keep their place and fields, new ones are appended; nothing else changes."""
        actions = self.original()
        action = actions[self.index]
        single = action.pop("TargetGroupArn", None)  # with two groups, ForwardConfig alone must say it
        config = dict(action.get("ForwardConfig") or {})
        groups = [dict(g) for g in config.get("TargetGroups") or []]
        if not groups and single:
            groups = [{"TargetGroupArn": single, "Weight": 1}]
        present = {str(g["TargetGroupArn"]) for g in groups}
        groups += [{"TargetGroupArn": arn} for arn in new if arn not in present]
        for group in groups:
            if str(group["TargetGroupArn"]) in new:
                group["Weight"] = new[str(group["TargetGroupArn"])]
        config["TargetGroups"] = groups
        action["ForwardConfig"] = config
        return actions


def resendable(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of actions as Describe* returned them, fit for Modify*: AWS never returns an OIDC action's client
    secret, and a modify without one must say to keep the existing secret (UseExistingClientSecret)."""
    copied = copy.deepcopy(actions)
    for action in copied:
        oidc = action.get("AuthenticateOidcConfig")
        if isinstance(oidc, dict) and not oidc.get("ClientSecret"):
            oidc["UseExistingClientSecret"] = True
    return copied


def share(blue: int, green: int, role: Role) -> float:
    """The percentage of traffic `role` receives with these weights."""
    total = blue + green
    if total <= 0:
        return 0.0
    return 100.0 * (green if role == "green" else blue) / total


def live_side(blue: int, green: int) -> Role | None:
    """The side holding all the weight; None while both hold some (mid-shift) or neither does."""
    if blue > 0 and green == 0:
        return "blue"
    if green > 0 and blue == 0:
        return "green"
    return None


# -- plans -------------------------------------------------------------------------------------------

def parse_steps(text: str) -> list[int]:
    """`10,50,100` -> [10, 50, 100]: percentages of traffic to the destination, ascending, ending at 100.
    ValueError saying what to write otherwise."""
    parts = [part.strip().removesuffix("%").strip() for part in text.replace(" ", ",").split(",") if part.strip()]
    if not parts:
        raise ValueError("give the percentages of traffic to move, ascending and ending at 100, e.g. 10,50,100")
    steps: list[int] = []
    for part in parts:
        if not part.isdigit():
            raise ValueError(f"{part!r} is not a whole percentage; write e.g. 10,50,100")
        steps.append(int(part))
    if any(not 1 <= step <= 100 for step in steps):
        raise ValueError("each step is a percentage of traffic from 1 to 100 (a weight of 0-999 is written "
                         "for you); write e.g. 10,50,100")
    if any(later <= earlier for earlier, later in itertools.pairwise(steps)):
        raise ValueError("steps must be strictly ascending, e.g. 10,50,100")
    if steps[-1] != 100:
        raise ValueError(f"the last step must be 100 (all traffic on the destination); write e.g. "
                         f"{','.join(str(s) for s in steps)},100")
    return steps


def linear_steps(step_percent: int) -> list[int]:
    """Equal steps: 25 -> [25, 50, 75, 100]; 30 -> [30, 60, 90, 100]."""
    return [*range(step_percent, 100, step_percent), 100]


def remaining_steps(steps: list[int], current: float) -> list[int]:
    """The steps still ahead when the destination already has `current` percent (a re-run mid-shift)."""
    return [step for step in steps if step > current + 1e-9]


def step_weights(percent: int, destination: Role) -> dict[Role, int]:
    """The weights that give `destination` `percent` of the traffic (weights are percentages: at most 100)."""
    return {destination: percent, other(destination): 100 - percent}
