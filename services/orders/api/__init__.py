"""The orders HTTP API: orders one at a time and in batches, by code, and look-ups."""
