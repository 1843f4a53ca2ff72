"""Intake's HTTP API: validate, open a unit of work, run the use case, answer. Writes are for
the centre's operators, and so are the reads of producers (their phone and email), deliveries,
payouts and shortages; a hub is public (what buyers read on the public site)."""

from services.intake.api import imports, producers, registry, reports, shortages

routes = [*registry.routes, *imports.routes, *producers.routes, *reports.routes, *shortages.routes]
