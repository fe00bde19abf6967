"""Alerts: a failed task, or a run with failed warning-level quality checks, posts one
message to a Slack-compatible webhook (``FOLIO_ALERT_WEBHOOK_URL``: JSON ``{"text": ...}``).

Every alert is recorded in the run ledger (table ``alerts``) with whether it was delivered
and why not, so with no webhook configured the failure is still recorded and `folio status`
shows it. Posting never fails the pipeline: a webhook that is down is an undelivered alert,
not a failed run.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

from folio.config import Settings
from folio.core import ledger

log = logging.getLogger("folio.alerts")
MAX_LISTED = 10


def post(url: str, text: str, timeout: float = 10) -> str | None:
    """POST ``{"text": text}``; None when the webhook took it, else why not."""
    body = json.dumps({"text": text}).encode()
    try:
        req = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            if 200 <= resp.status < 300:
                return None
            return f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"webhook unreachable: {getattr(exc, 'reason', exc)}"
    except ValueError as exc:  # not a URL urllib can use
        return f"bad FOLIO_ALERT_WEBHOOK_URL: {exc}"


def send(settings: Settings, run_id: str, task_id: str, kind: str, text: str) -> bool:
    """Post the alert when a webhook is configured, and record it either way."""
    if settings.alert_webhook_url:
        error = post(settings.alert_webhook_url, text)
    else:
        error = "no webhook configured (FOLIO_ALERT_WEBHOOK_URL)"
    if error:
        log.warning("alert for %s/%s not delivered: %s", run_id, task_id, error)
    ledger.record_alert(settings.ledger_path, run_id, task_id, kind, text, error is None, error)
    return error is None


def task_failed(
    settings: Settings, run_id: str, task_id: str, window: str | None, error: str, tries: int
) -> bool:
    text = (
        f":red_circle: folio_nightly {run_id}: task *{task_id}* failed"
        f"{f' (window {window})' if window else ''} after {tries} attempt(s): {error[:1500]}"
    )
    return send(settings, run_id, task_id, "task_failed", text)


def quality_warnings(settings: Settings, run_id: str, window: str) -> bool | None:
    """One message for the run's failed warning-level checks; None when there were none."""
    failed: list[dict[str, Any]] = [
        r
        for r in ledger.quality_rows(settings.ledger_path, [run_id])
        if r["severity"] == "warning" and r["status"] in ("fail", "error")
    ]
    if not failed:
        return None
    lines = [
        f"- {r['stage']}: {r['suite']} {r['check_name']}"
        + (f" (observed {r['observed']})" if r["observed"] else "")
        for r in failed[:MAX_LISTED]
    ]
    more = f"\n... and {len(failed) - MAX_LISTED} more" if len(failed) > MAX_LISTED else ""
    text = (
        f":warning: folio_nightly {run_id} (window {window}) published with"
        f" {len(failed)} warning-level quality check(s) failing:\n" + "\n".join(lines) + more
    )
    return send(settings, run_id, "record_run", "quality_warnings", text)
