"""Alerts to a Slack-compatible webhook, and what is recorded when none is configured."""

from __future__ import annotations

import pytest
from webhook import receiver

from folio.config import Settings
from folio.core import ledger
from folio.pipeline import alerts


@pytest.fixture
def settings(tmp_path):
    return Settings(home=tmp_path)


def _quality(settings, run_id, rows):
    ledger.record_quality(
        settings.ledger_path,
        run_id,
        "validate_marts",
        [
            {
                "tool": "gx",
                "suite": "marts.mrr_monthly",
                "asset": "marts.mrr_monthly",
                "check_name": name,
                "severity": severity,
                "status": status,
                "observed": observed,
                "unexpected_count": None,
                "message": "m",
            }
            for name, severity, status, observed in rows
        ],
    )


def test_a_failed_task_posts_one_slack_message_and_is_recorded(settings):
    with receiver() as (url, messages):
        settings = settings.model_copy(update={"alert_webhook_url": url})
        assert alerts.task_failed(settings, "r1", "load_stripe", "2026-04-10..2026-04-10",
                                  "FolioError: stripe: 1 day(s) missing", 3)  # fmt: skip
    [msg] = messages
    assert msg["content_type"] == "application/json" and set(msg) == {"content_type", "text"}
    assert "load_stripe" in msg["text"] and "after 3 attempt(s)" in msg["text"]
    assert "stripe: 1 day(s) missing" in msg["text"] and "r1" in msg["text"]
    [row] = ledger.alert_rows(settings.ledger_path, ["r1"])
    assert row["delivered"] == 1 and row["error"] is None and row["kind"] == "task_failed"


def test_failed_warnings_make_one_message_and_a_clean_run_none(settings):
    _quality(
        settings,
        "r1",
        [
            ("#1 expect_table_row_count_to_be_between", "warning", "fail", "12"),
            ("#2 expect_column_values_to_not_be_null(mrr)", "critical", "pass", None),
            ("#3 expect_column_mean_to_be_between(arr)", "warning", "error", None),
            ("#4 expect_column_values_to_be_unique(month)", "warning", "pass", None),
        ],
    )
    _quality(settings, "r2", [("#1 expect_table_row_count", "warning", "pass", "90")])
    with receiver() as (url, messages):
        settings = settings.model_copy(update={"alert_webhook_url": url})
        assert alerts.quality_warnings(settings, "r1", "2026-04-10..2026-04-10") is True
        assert alerts.quality_warnings(settings, "r2", "2026-04-11..2026-04-11") is None
    [msg] = messages
    assert "2 warning-level quality check(s)" in msg["text"]
    assert "#1 expect_table_row_count_to_be_between (observed 12)" in msg["text"]
    assert "#3 expect_column_mean_to_be_between(arr)" in msg["text"]
    assert "#2" not in msg["text"] and "#4" not in msg["text"]


def test_a_webhook_that_fails_is_an_undelivered_alert_not_a_failed_run(settings):
    with receiver(status=500) as (url, messages):
        settings = settings.model_copy(update={"alert_webhook_url": url})
        assert alerts.task_failed(settings, "r1", "publish", None, "boom", 1) is False
    assert len(messages) == 1
    [row] = ledger.alert_rows(settings.ledger_path, ["r1"])
    assert row["delivered"] == 0 and row["error"] == "HTTP 500"
    gone = settings.model_copy(update={"alert_webhook_url": "http://127.0.0.1:9/hook"})
    assert alerts.task_failed(gone, "r2", "publish", None, "boom", 1) is False
    [row] = ledger.alert_rows(settings.ledger_path, ["r2"])
    assert row["error"].startswith("webhook unreachable")
    bad = settings.model_copy(update={"alert_webhook_url": "not a url"})
    assert alerts.task_failed(bad, "r3", "publish", None, "boom", 1) is False
    [row] = ledger.alert_rows(settings.ledger_path, ["r3"])
    assert row["error"].startswith("bad FOLIO_ALERT_WEBHOOK_URL")


def test_without_a_webhook_the_alert_is_recorded_with_why(settings):
    assert settings.alert_webhook_url is None
    assert alerts.task_failed(settings, "r1", "check_sources", None, "missing", 3) is False
    [row] = ledger.alert_rows(settings.ledger_path, ["r1"])
    assert row["delivered"] == 0 and "no webhook configured" in row["error"]
    assert "check_sources" in row["message"]
