"""Structured logs: JSON in production, readable in a terminal, context bound per request/message.

Every log line carries the service name and whatever `structlog.contextvars` holds: the
correlation id of the request or event that caused it, and the event id being handled.

No line carries a credential, whoever wrote it: aiohttp quotes the raw header line of a request
it cannot parse, `Authorization` included, and any other library may do the same. So every
line's text is read for credentials as it is written (`redacted`), and a request that could not
be parsed, the client's fault, is a one-line warning rather than an error with a traceback.
"""

import json
import logging
import re
import sys

import orjson
import structlog
from aiohttp.http_exceptions import HttpProcessingError

# A header that carries a credential, with its value up to the line's end or the quote around it
# (an exception quotes raw bytes: b'Authorization: Bearer ...'); a bearer token anywhere; the
# hub's own partner keys and callback secrets, however they got into a text.
_CREDENTIALS = (
    (
        re.compile(
            r"((?:proxy-)?authorization|cookie|set-cookie|x-api-key)(\s*[:=]\s*)[^\r\n'\"]*",
            re.IGNORECASE,
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"\b(bearer|basic)\s+[^\s'\"]+", re.IGNORECASE), r"\1 [redacted]"),
    (re.compile(r"\b(plut|whsec)_[A-Za-z0-9_-]+"), r"\1_[redacted]"),
)


# What each of the patterns above must find first (in any case): a text without any of these has
# nothing to redact. Most texts of a line (its path, method, level, time) are looked at once
# with this rather than three times, which was most of the cost of every request's log line.
_MAY_HOLD_CREDENTIAL = re.compile(
    r"authorization|cookie|x-api-key|bearer|basic|plut_|whsec_", re.IGNORECASE
)


def redact(text: str) -> str:
    if _MAY_HOLD_CREDENTIAL.search(text) is None:
        return text
    for pattern, replacement in _CREDENTIALS:
        text = pattern.sub(replacement, text)
    return text


def redacted(_logger, _method, event_dict):
    """Every text of the line, the formatted exception included, without credentials."""
    return {
        key: redact(value) if isinstance(value, str) else value for key, value in event_dict.items()
    }


class MalformedRequests(logging.Filter):
    """aiohttp logs a request it cannot parse at ERROR with the parser's exception, which quotes
    the raw line. It is the client's error, not ours: a warning naming the kind of error."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if record.name == "aiohttp.server" and isinstance(error, HttpProcessingError):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "malformed request refused (%s, status %s)"
            record.args = (type(error).__name__, error.code)
            record.exc_info = record.exc_text = None
        return True


class _NamedWriteLogger(structlog.WriteLogger):
    """Writes rendered lines to stdout, and knows its name for the line's `logger`."""

    def __init__(self, name: str | None = None, *_args) -> None:
        super().__init__(sys.stdout)
        self.name = name or ""


def _json_line(event_dict, **kwargs) -> str:
    # orjson writes a line several times faster than the json module; keys that are not text
    # (a dict of ids to counts) are written as text rather than refused.
    line = orjson.dumps(event_dict, default=kwargs.get("default"), option=orjson.OPT_NON_STR_KEYS)
    if line.isascii():
        return line.decode()
    # Beyond ASCII, escaped as the json module does: a raw U+2028 or U+0085 (a typed path, a
    # name) is a line break to many readers, and one line must stay one line.
    return json.dumps(orjson.loads(line))


def configure_logging(service: str, log_format: str = "json", level: str = "INFO") -> None:
    """Route structlog and the standard library (aiohttp, aio-pika) through one renderer.

    In JSON, structlog's own lines (every request's, every batch's) skip the standard library's
    records, handlers and formatter: a line cost about 150 µs that way and a third of it this
    way. The libraries' lines still come through `logging`, rendered by the same processors.
    """

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
    json_lines = log_format == "json"
    renderer = (
        structlog.processors.JSONRenderer(serializer=_json_line)
        if json_lines
        # Plain tracebacks: the default (rich, every frame's locals) holds the loop for seconds.
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    last_processors = [structlog.processors.format_exc_info, redacted, renderer]
    if json_lines:
        structlog.configure(
            processors=[*shared_processors, *last_processors],
            logger_factory=_NamedWriteLogger,
            wrapper_class=structlog.make_filtering_bound_logger(
                logging.getLevelNamesMapping()[level.upper()]
            ),
            cache_logger_on_first_use=True,
        )
    else:
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
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *last_processors],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(MalformedRequests())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiormq logs every reconnect attempt at length; its own warnings are enough.
    logging.getLogger("aiormq").setLevel(max(logging.WARNING, root.level))
