from __future__ import annotations

import pytest

from deploy_actions.core.durations import format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("1h30m", 5400), ("600", 600),
                                               ("1.5h", 5400), (" 2m 5s ", 125), ("250ms", 0.25)])
def test_parses_what_people_write(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "30 minutes", "1d", "m30", "-5s"])
def test_rejects_anything_else_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration such as 90s, 30m, 1h30m"):
        parse_duration(text)


def test_formats_for_people() -> None:
    assert [format_duration(s) for s in (5, 65, 3725)] == ["5s", "1m05s", "1h02m05s"]
