"""The README's first command, `make demo`: a deployment pipeline on the local AWS emulator, end to end.

- `workflow`: example 2's GitHub workflow (workflows-examples/github/seed-001-ec2-rolling.yml) run unchanged by
  act for a push to main; the job summaries, the Slack message and the load balancer's answers reported in the
  terminal and as one HTML page. Needs Docker, docker-registry and busybox-static (`prerequisites`).
- `in_process` (`--cli`, `make demo-cli`): the actions called through the CLI in this process, for two versions
  of examples/app; needs no Docker.

`python -m deploy_actions.emulator.demo --help` for the options.
"""
