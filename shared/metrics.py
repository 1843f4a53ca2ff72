"""What every service counts, for Prometheus (served at `GET /metrics`, shared/scrape.py).

A process is one service and keeps its figures in prometheus_client's default registry. Each
figure also carries a `service` label, so a query can sum or compare services without knowing
how Prometheus named their scrape jobs.
"""

from prometheus_client import Counter, Histogram, disable_created_metrics

# `*_created` series would double what every counter exposes, and no dashboard of ours reads them.
disable_created_metrics()

# A path no route has, or a method the route has not: one series, however many such requests.
UNMATCHED_ROUTE = "unmatched"

HTTP_REQUEST_DURATION = Histogram(
    "plut_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template (`unmatched` for a path or "
    "method no route has) and status.",
    ["service", "method", "route", "status"],
)
EVENTS_PUBLISHED = Counter(
    "plut_events_published_total",
    "Events the outbox relay published (confirmed by the broker), by type.",
    ["service", "type"],
)
MESSAGES_PUBLISHED = Counter(
    "plut_messages_published_total",
    "AMQP messages the outbox relay published, by type; each carries a batch of events.",
    ["service", "type"],
)
EVENTS_CONSUMED = Counter(
    "plut_events_consumed_total",
    "Events the consumer handled for the first time, by type.",
    ["service", "type"],
)
INBOX_DUPLICATES = Counter(
    "plut_inbox_duplicates_total",
    "Events delivered again and skipped, their id being in the inbox already.",
    ["service"],
)
EVENTS_DEAD_LETTERED = Counter(
    "plut_events_dead_lettered_total",
    "Events parked in the service's dead-letter queue, by routing key.",
    ["service", "type"],
)
ROWS_PRUNED = Counter(
    "plut_rows_pruned_total",
    "Rows deleted past their retention (shared/pruning.py), by kind.",
    ["service", "kind"],
)
