"""Attacks as an outsider would make them: each refused, nothing changed (issue 16)."""
