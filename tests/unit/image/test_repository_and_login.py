"""Which tags a repository will not let move; the lifecycle policy; the token renewed before it expires."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deploy_actions.aws.ecr import Authorization
from deploy_actions.core.errors import InputError
from deploy_actions.core.platform import Reporter
from deploy_actions.image.auth import RegistryAuth
from deploy_actions.image.publish import Login
from deploy_actions.image.repository import immutable, keep_last_policy, read_policy


@pytest.mark.parametrize(("setting", "filters", "tag", "fixed"), [
    ("MUTABLE", [], "v1", False),
    ("IMMUTABLE", [], "v1", True),
    ("IMMUTABLE_WITH_EXCLUSION", ["latest", "dev-*"], "latest", False),
    ("IMMUTABLE_WITH_EXCLUSION", ["latest", "dev-*"], "dev-42", False),
    ("IMMUTABLE_WITH_EXCLUSION", ["latest", "dev-*"], "v1.2.3", True),
    ("MUTABLE_WITH_EXCLUSION", ["v*"], "v1.2.3", True),
    ("MUTABLE_WITH_EXCLUSION", ["v*"], "main", False),
])
def test_which_tags_cannot_move(setting: str, filters: list[str], tag: str, fixed: bool) -> None:
    repository = {"imageTagMutability": setting,
                  "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": f} for f in filters]}
    assert immutable(repository, tag) is fixed


def test_keep_last_and_a_policy_file(tmp_path: Path) -> None:
    rule = json.loads(keep_last_policy(30))["rules"][0]
    assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}
    good = tmp_path / "policy.json"
    good.write_text(keep_last_policy(5))
    assert read_policy(str(good)) == keep_last_policy(5)
    for text in ("not json", '{"rulez": []}'):
        good.write_text(text)
        with pytest.raises(InputError, match="lifecycle-policy"):
            read_policy(str(good))
    with pytest.raises(InputError, match="cannot read"):
        read_policy(str(tmp_path / "missing.json"))


def test_the_token_is_renewed_before_a_push_when_it_nears_its_expiry(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    answers = iter([Authorization("AWS", "first-password", "r:5000", False, now + timedelta(minutes=5)),
                    Authorization("AWS", "second-password", "r:5000", False, now + timedelta(hours=12))])
    reporter = Reporter(stream=open(tmp_path / "log", "w"), environ={})  # noqa: SIM115
    with RegistryAuth({"HOME": str(tmp_path)}, parent=tmp_path) as auth:
        login = Login(auth, "r:5000", lambda: next(answers), reporter)
        login.login()
        login.refresh_if_needed()  # 5 minutes left: a new token before pushing
        assert "second-password" not in auth.config_file.read_text()  # stored base64, never in clear
        assert login.expires_at == now + timedelta(hours=12)
        login.refresh_if_needed()  # 12 hours left: nothing asked
    assert reporter.redact("first-password second-password") == "*** ***"
    basic = base64.b64encode(b"AWS:second-password").decode()
    assert reporter.redact(f"Authorization: Basic {basic}") == "Authorization: Basic ***"


def test_a_token_already_expired_by_its_own_clock_is_not_renewed_in_a_loop(tmp_path: Path) -> None:
    calls = []

    def fetch() -> Authorization:
        calls.append(1)
        return Authorization("AWS", "moto-pass", "r:5000", False, datetime(2015, 1, 1, tzinfo=UTC))

    with RegistryAuth({"HOME": str(tmp_path)}, parent=tmp_path) as auth:
        login = Login(auth, "r:5000", fetch, Reporter(stream=open(tmp_path / "log", "w"), environ={}))  # noqa: SIM115
        login.login()
        login.refresh_if_needed()
    assert calls == [1]
