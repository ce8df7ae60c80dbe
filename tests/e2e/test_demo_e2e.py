"""The README's first command, `make demo`: example 2's workflow (seed-001-ec2-rolling.yml) run unchanged by act
for a push to main against the emulator, ending with a report a person reads in the terminal and in a browser.

It runs as `make demo` runs it: its own process (an emulator is one per process) with the checkout's act. The
workflow's behaviour under load, failures and rollbacks is test_seed_examples_github.py's; this is the demo's path.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.integration.emulator.ecr_registry import need_registry_binary

pytestmark = pytest.mark.e2e


class Text(HTMLParser):
    """A page's text as a browser shows it (tags gone, entities read), and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value or "" for name, value in attrs if tag == "a" and name == "href"]

    @classmethod
    def of(cls, page: str) -> Text:
        parser = cls()
        parser.feed(page)
        return parser

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def test_make_demo_runs_example_2_under_act_and_reports_what_happened(act: str, docker: str, tmp_path: Path) -> None:
    need_registry_binary()
    done = subprocess.run([sys.executable, "-m", "deploy_actions.emulator.demo", "--out", str(tmp_path)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout
    print(output[-3000:])
    assert done.returncode == 0, output + done.stderr

    # The commit act built and deployed (github.sha in the image tags), read from act's own log.
    log = (tmp_path / "act.log").read_text()
    assert "🏁  Job succeeded" in log
    (commit,) = set(re.findall(r"/api:([0-9a-f]{40})\b", log))

    # The live view: jobs and steps by name, our groups, no act JSON; a tool's output cut to its last lines.
    assert "━━ Build, test and push the image" in output and "━━ Deploy to production" in output
    assert "  ✔ deploy: org/deploy-actions/codedeploy-deploy@v1 (" in output
    assert "      ▸ Deployment d-" in output
    assert "lines before these: in the full log)" in output  # docker build's, cut to its last lines
    assert '"dryrun"' not in output and "::set-output::" not in output

    # What a user sees at the end: the load balancer served nothing before and serves the pushed commit after.
    assert "  before: HTTP 502 (no release answers)" in output
    assert f'  after:  {{"version": "{commit}"}} (commit {commit[:7]}, the pushed commit)' in output
    # The deploy step's summary, as text: one row per instance, both succeeded.
    rows = re.findall(r"^ +(i-[0-9a-f]{17}) +— +✅ Succeeded +— +\d+s$", output, re.MULTILINE)
    assert len(rows) == 2, output
    # The Slack message the local receiver got.
    assert re.search(rf"│ ✅ acme/api {commit} to production succeeded", output)
    assert "│ First release" in output
    assert re.search(r"│ Actor +acme-dev$", output, re.MULTILINE), output  # the repository's developer, not act's
    report = tmp_path / "report.html"
    assert output.rstrip().splitlines()[-2:] == [f"report: {report} ({report.as_uri()})",
                                                 f"full act log: {tmp_path / 'act.log'}"]

    # The HTML page: the deploy step's summary and the Slack message, as a browser shows them.
    page = Text.of(report.read_text())
    assert "Deploy to production › deploy: org/deploy-actions/codedeploy-deploy@v1" in page.text
    assert "✅ codedeploy-deploy: web/web-production — Succeeded" in page.text
    assert all(f"{instance} — ✅ Succeeded" in page.text for instance in rows), page.text
    assert f"✅ acme/api {commit} to production succeeded" in page.text
    assert "First release" in page.text and "Environment production" in page.text
    assert f"https://github.com/acme/api/commit/{commit}" in page.links
    assert f'{{"version": "{commit}"}} commit {commit[:7]}, the pushed commit' in page.text

    # No secret in what the demo shows (the Slack webhook's path, the ID-token request token).
    for shown in (output, report.read_text(), log):
        assert "/hooks/slack/" not in shown and "req-" not in shown
    # The hooks' containers do not outlive the demo.
    left = subprocess.run([docker, "ps", "-aq", *(f"--filter=name=api-{i}" for i in rows)], capture_output=True,
                          text=True, timeout=60, check=True)
    assert left.stdout.strip() == ""
