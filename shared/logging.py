"""Structured logs: JSON in production, readable in a terminal, context bound per request/message.

Every log line carries the service name and whatever `structlog.contextvars` holds: the
correlation id of the request or event that caused it, and the event id being handled.
"""

import logging
import sys

import structlog


def configure_logging(service: str, log_format: str = "json", level: str = "INFO") -> None:
    """Route structlog and the standard library (aiohttp, aio-pika) through one renderer."""

    def add_service(_logger, _method, event_dict):
        event_dict.setdefault("service", service)
        return event_dict

    shared_processors = [
        structlog.contextvars.merge_contextvars,
        add_service,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        # Plain tracebacks: the default (rich, every frame's locals) holds the loop for seconds.
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[
            *shared_processors,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiormq logs every reconnect attempt at length; its own warnings are enough.
    logging.getLogger("aiormq").setLevel(max(logging.WARNING, root.level))
