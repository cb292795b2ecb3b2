"""The workflow: intake of forms, the reviewers' decisions, signing, and the record of every step."""
