"""The workflow demo's report: what the run did, for the terminal (plain text) and as one HTML page.

It holds what a person would look at after a push on GitHub — each job's result, the job summaries the steps
wrote, the Slack message the channel got — and what the service's users saw: the load balancer's answer
before the run, while it ran, and after.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

from deploy_actions.emulator.demo import markdown, messages
from deploy_actions.emulator.demo.act_log import Summary

CSS = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #1f2328; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2em; margin-top: 2em; }
h3 { margin-top: 1.5em; } .step { color: #59636e; font-weight: normal; }
table { border-collapse: collapse; margin: .6em 0; } th, td { border: 1px solid #d0d7de; padding: 3px 9px; }
th { background: #f6f8fa; text-align: left; } code, pre { font: 13px ui-monospace, monospace; }
code { background: #eff1f3; padding: 1px 4px; border-radius: 4px; } pre { background: #f6f8fa; padding: .8em;
overflow-x: auto; } .summary { border: 1px solid #d0d7de; border-radius: 6px; padding: .2em 1.2em; margin: .8em 0; }
.ok { color: #1a7f37; } .bad { color: #cf222e; } .muted { color: #59636e; }
.gantt td { border: none; padding: 1px 6px; font-size: 12px; } .gantt .track { width: 55%; position: relative; }
.gantt .bar { position: absolute; top: 4px; height: 10px; background: #2da44e; border-radius: 2px; }
.gantt .bar.crit { background: #cf222e; } .gantt .bar.active { background: #bf8700; }
.gantt caption { text-align: left; font-weight: 600; } .gantt .lane { color: #59636e; }
.slack { border-left: 4px solid #888; padding: .3em 1em; background: #fafbfc; margin: .8em 0; }
.slack .fields { display: grid; grid-template-columns: 1fr 1fr; gap: .4em 2em; margin: .5em 0; }
.slack .context { color: #59636e; font-size: 13px; }
"""


@dataclass
class Outcome:
    workflow: str  # the workflow file, as the user's repository holds it
    event: str  # "push to main"
    repository: Path
    commit: str
    commit_title: str
    act_command: str
    act_code: int
    seconds: float
    service_url: str  # what the load balancer serves the commit at
    before: str
    after: str
    changes: list[tuple[float, str]] = field(default_factory=list)
    jobs: dict[str, str] = field(default_factory=dict)
    steps: list[tuple[str, str, str, float]] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    slack: list[messages.ChatMessage] = field(default_factory=list)
    log: Path = Path()
    html: Path = Path()

    @property
    def serves_commit(self) -> bool:
        return served_version(self.after) == self.commit

    @property
    def succeeded(self) -> bool:
        return self.act_code == 0 and self.serves_commit


def served_version(answer: str) -> str:
    """The version `/actuator/info` names (`{"version": "<commit>"}`), '' for any other answer."""
    try:
        parsed = json.loads(answer)
    except ValueError:
        return ""
    return str(parsed.get("version", "")) if isinstance(parsed, dict) else ""


def meaning(answer: str, commit: str) -> str:
    version = served_version(answer)
    if not version:
        return "no release answers" if answer.startswith(("HTTP", "(")) else ""
    return f"commit {version[:7]}" + (", the pushed commit" if version == commit else "")


def describe(answer: str, commit: str) -> str:
    said = meaning(answer, commit)
    return f"{answer} ({said})" if said else answer


def as_text(outcome: Outcome) -> list[str]:
    verdict = "✔ succeeded" if outcome.act_code == 0 else f"✘ failed (act exit {outcome.act_code})"
    lines = ["", "━━━━ report ━━━━",
             f"workflow {outcome.workflow}, {outcome.event} (commit {outcome.commit[:7]} "
             f"\"{outcome.commit_title}\"): {verdict} in {outcome.seconds:.1f}s",
             "jobs: " + ", ".join(f"{job} {'✔' if result == 'success' else '✘ ' + result}"
                                  for job, result in outcome.jobs.items()),
             "", f"load balancer {outcome.service_url}",
             f"  before: {describe(outcome.before, outcome.commit)}"]
    lines += [f"  {seconds:5.1f}s: {describe(answer, outcome.commit)}" for seconds, answer in outcome.changes]
    lines.append(f"  after:  {describe(outcome.after, outcome.commit)}"
                 + ("" if outcome.serves_commit else "  ✘ not the pushed commit"))
    lines += ["", "job summaries"]
    for summary in outcome.summaries:
        lines += ["", f"  ── {summary.job} › {summary.step}", *markdown.to_text(summary.markdown, "     ")]
    if not outcome.summaries:
        lines.append("  (no step wrote one)")
    lines += ["", f"Slack: {len(outcome.slack)} message(s) reached the local receiver"]
    for message in outcome.slack:
        lines += [*messages.as_text(message), ""]
    lines += [f"report: {outcome.html} ({outcome.html.resolve().as_uri()})",
              f"full act log: {outcome.log}"]
    return lines


def as_html(outcome: Outcome) -> str:
    def e(text: object) -> str:
        return html.escape(str(text))

    verdict = ('<span class="ok">✔ succeeded</span>' if outcome.act_code == 0
               else f'<span class="bad">✘ failed (act exit {outcome.act_code})</span>')
    jobs = "".join(f"<li>{e(job)}: <span class=\"{'ok' if result == 'success' else 'bad'}\">{e(result)}</span></li>"
                   for job, result in outcome.jobs.items())
    steps = "".join(f"<tr><td>{e(job)}</td><td>{e(step)}</td><td class=\"{'ok' if result == 'success' else 'bad'}\">"
                    f"{e(result)}</td><td>{seconds:.1f}s</td></tr>" for job, step, result, seconds in outcome.steps)
    answers = [("before the run", outcome.before), *((f"{s:.1f}s into the run", a) for s, a in outcome.changes),
               ("after the run", outcome.after)]
    balancer = "".join(f"<tr><td>{e(when)}</td><td><code>{e(answer)}</code></td>"
                       f"<td>{e(meaning(answer, outcome.commit))}</td></tr>"
                       for when, answer in answers)
    summaries = "".join(f'<h3>{e(s.job)} <span class="step">› {e(s.step)}</span></h3>'
                        f'<div class="summary">{markdown.to_html(s.markdown)}</div>' for s in outcome.summaries)
    slack = "".join(messages.as_html(message) for message in outcome.slack) or "<p>No message arrived.</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>deploy-actions demo: {e(outcome.workflow)}</title>
<style>{CSS}</style></head><body>
<h1>deploy-actions demo: {e(outcome.workflow)}</h1>
<p>{e(outcome.event)}, commit <code>{e(outcome.commit[:12])}</code> “{e(outcome.commit_title)}”, run by act against
the local AWS emulator: {verdict} in {outcome.seconds:.1f}s.</p>
<ul>{jobs}</ul>
<h2>What the load balancer served</h2>
<p><code>{e(outcome.service_url)}</code></p>
<table><thead><tr><th>when</th><th>answer</th><th></th></tr></thead><tbody>{balancer}</tbody></table>
<h2>Job summaries</h2>
{summaries or '<p>No step wrote one.</p>'}
<h2>Slack</h2>
<p class="muted">What the local webhook receiver got, as the channel shows it.</p>
{slack}
<h2>Steps</h2>
<table><thead><tr><th>job</th><th>step</th><th>result</th><th>time</th></tr></thead><tbody>{steps}</tbody></table>
<h2>How it ran</h2>
<pre>{e(outcome.act_command)}</pre>
<p>Repository: <code>{e(outcome.repository)}</code> (removed after the run). Full act log:
<a href="{e(outcome.log.resolve().as_uri())}"><code>{e(outcome.log)}</code></a></p>
</body></html>
"""
