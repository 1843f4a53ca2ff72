"""Structured logs: one JSON object a line, with the service and the bound context."""

import json
import logging
import uuid
from datetime import UTC, datetime

import pytest
import structlog

from shared.logging import configure_logging

# --- configure_logging ----------------------------------------------------------------------


@pytest.fixture
def restore_logging():
    """configure_logging changes process-wide state; put it all back for the other tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    aiormq_level = logging.getLogger("aiormq").level
    yield
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("aiormq").setLevel(aiormq_level)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_logging_writes_one_object_a_line_with_service_level_and_time(restore_logging, capsys):
    configure_logging("svc", "json")
    log = structlog.get_logger("tests.unit.logging")

    log.info("order placed", quantity=30)
    log.warning("stock low")

    first, second = json_lines(capsys.readouterr().out)
    assert first["event"] == "order placed"
    assert first["quantity"] == 30
    assert first["service"] == "svc"
    assert first["level"] == "info"
    assert first["timestamp"].startswith("20")
    assert second["level"] == "warning"


def test_json_log_lines_carry_the_bound_context(restore_logging, capsys):
    configure_logging("svc", "json")
    log = structlog.get_logger("tests.unit.logging")

    with structlog.contextvars.bound_contextvars(correlation_id="req-42", event_id="e-1"):
        log.info("handling")
    log.info("after")

    inside, after = json_lines(capsys.readouterr().out)
    assert inside["correlation_id"] == "req-42"
    assert inside["event_id"] == "e-1"
    assert "correlation_id" not in after


def test_standard_library_logs_go_through_the_same_json_renderer(restore_logging, capsys):
    configure_logging("svc", "json")

    logging.getLogger("aiohttp.access").warning("slow request")

    (line,) = json_lines(capsys.readouterr().out)
    assert line["event"] == "slow request"
    assert line["service"] == "svc"
    assert line["level"] == "warning"


def test_below_the_configured_level_nothing_is_written(restore_logging, capsys):
    configure_logging("svc", "json", level="WARNING")

    structlog.get_logger("tests.unit.logging").info("chatter")

    assert capsys.readouterr().out == ""


def test_no_line_carries_a_credential_whoever_wrote_it(restore_logging, capsys):
    configure_logging("svc", "json")
    log = structlog.get_logger("tests.unit.logging")

    log.info("called", header="Authorization: Bearer op-token-1")
    try:
        raise ValueError("b'Authorization: Bearer op-token-2\\x01' and Cookie: session=abc")
    except ValueError:
        logging.getLogger("aiohttp.web").exception("a library quoting what it read")
    log.warning("key plut_0a1b2c_secretpart and secret whsec_abcdef in a message")

    out = capsys.readouterr().out
    for secret in ("op-token-1", "op-token-2", "session=abc", "secretpart", "abcdef"):
        assert secret not in out
    assert out.count("[redacted]") >= 5


def test_a_line_names_its_logger_and_writes_ids_times_and_keys_that_are_not_text(
    restore_logging, capsys
):
    configure_logging("svc", "json")
    order_id = uuid.uuid4()

    structlog.get_logger("services.orders").info(
        "counted", order_id=order_id, at=datetime(2026, 12, 5, tzinfo=UTC), by_id={order_id: 2}
    )

    (line,) = json_lines(capsys.readouterr().out)
    assert line["logger"] == "services.orders"
    assert line["order_id"] == str(order_id)
    assert line["at"].startswith("2026-12-05T00:00:00")
    assert line["by_id"] == {str(order_id): 2}


def test_a_line_with_a_line_separator_in_a_value_stays_one_line(restore_logging, capsys):
    configure_logging("svc", "json")

    structlog.get_logger("shared.web").info("request", path="/v1/partners/a\u2028b\x85c", name="É")

    (line,) = json_lines(capsys.readouterr().out)
    assert line["path"] == "/v1/partners/a\u2028b\x85c"
    assert line["name"] == "É"
