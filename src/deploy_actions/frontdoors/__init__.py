"""Front doors generated from the action models: action.yml files, GitLab components, docs tables.

``python -m deploy_actions.frontdoors`` writes them; ``--check`` fails when a file on disk drifted.
"""
