"""The hub's four services; each runs with `python -m services.<name>`."""
