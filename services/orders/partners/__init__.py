"""Partner systems and their API keys: models, rules, the admin's HTTP API and CLI."""
