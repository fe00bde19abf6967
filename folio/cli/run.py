"""`folio run` and `folio status`: the nightly DAG through Airflow, and its recent runs."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

import typer
from rich.table import Table

from folio.cli.app import app, console, err, fmt_seconds, load_settings
from folio.config import Settings, yesterday_utc
from folio.core.errors import FolioError
from folio.core.window import Window, parse_day


def _window(
    date: str | None, start: str | None, end: str | None, history: bool, settings: Settings
) -> Window:
    if sum(map(bool, (date, start or end, history))) > 1:
        raise FolioError("give one of --date, --start/--end or --history")
    if history:
        from folio.contracts.delivery import delivered_days

        days = delivered_days(settings)
        if not days:
            raise FolioError(f"no deliveries in {settings.landing}: run `folio simulate` first")
        return Window(days[0], days[-1])
    if date:
        day = parse_day(date, "--date")
        return Window(day, day)
    if start or end:
        if not (start and end):
            raise FolioError("--start and --end go together")
        return Window(parse_day(start, "--start"), parse_day(end, "--end"))
    day = yesterday_utc()
    return Window(day, day)


@app.command()
def run(
    date: Annotated[
        str | None, typer.Option(help="The day to run, YYYY-MM-DD [default: yesterday, UTC].")
    ] = None,
    start: Annotated[str | None, typer.Option(help="First day of a range run.")] = None,
    end: Annotated[str | None, typer.Option(help="Last day of a range run.")] = None,
    history: Annotated[
        bool,
        typer.Option(
            help="One run over every day the sources have delivered (the initial history load)."
        ),
    ] = False,
) -> None:
    """Run the nightly DAG (folio_nightly) through Airflow for one day or a range."""
    from folio.core import ledger
    from folio.platform import orchestration

    settings = load_settings()
    window = _window(date, start, end, history, settings)
    if window.end >= dt.datetime.now(dt.UTC).date():
        raise FolioError(
            f"{window.end} is not over yet (UTC): the latest day to run is {yesterday_utc()}"
        )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    log_path = settings.paths.logs / f"folio-run-{stamp}.log"
    console.print(
        f"running {orchestration.DAG_ID} for {window} through Airflow "
        f"(in-process, no logical date); log: {log_path}"
    )
    t0 = time.perf_counter()
    with err.status("airflow is running the DAG..."):
        info = orchestration.run_dag(settings, window, log_path)
    rows = ledger.task_rows(settings.ledger_path, [info.run_id])
    table = Table(title=f"{info.run_id}: {info.state} in {fmt_seconds(time.perf_counter() - t0)}")
    for col in ("stage", "state", "rows", "time", "details"):
        table.add_column(col)
    for r in rows:
        brief = ", ".join(
            f"{k} {sum(v.values()) if isinstance(v, dict) else v:,}"
            for k, v in r["details"].items()
            if isinstance(v, int)
            or (
                isinstance(v, dict)
                and k != "stages"
                and all(isinstance(x, int) for x in v.values())
            )
        )
        table.add_row(
            r["task_id"], r["state"], f"{r['rows'] or 0:,}", fmt_seconds(r["seconds"]), brief
        )
    console.print(table)
    for r in rows:  # what the sources changed under us: kept, and said out loud
        for name, seen in (r["details"].get("new_fields") or {}).items():
            console.print(
                f"{r['task_id']}: field {name} is new to the pipeline: {seen['rows']:,} rows,"
                f" the first on {seen['first_day']} in this run (kept in raw_json)",
                markup=False,
            )
        for name, cols in (r["details"].get("new_columns") or {}).items():
            console.print(f"{r['task_id']}: new columns in {name}: {', '.join(cols)}", markup=False)
        for f in r["details"].get("corrupt_files") or []:
            console.print(f"{r['task_id']}: corrupt file quarantined whole: {f}", markup=False)
    console.print(
        f"landing zone: {settings.landing}\nrun ledger: {settings.ledger_path}\n"
        f"airflow home: {settings.airflow_home}"
    )


@app.command()
def status(limit: Annotated[int, typer.Option(min=1, help="How many runs to show.")] = 10) -> None:
    """Recent folio_nightly runs: state, window, duration, and rows per stage."""
    from folio.core import ledger
    from folio.platform import orchestration

    settings = load_settings()
    runs = orchestration.recent_runs(settings, limit)
    if not runs:
        console.print("no runs yet: try `folio run`")
        return
    tasks = ledger.task_rows(settings.ledger_path, [r.run_id for r in runs])
    ingest = ledger.ingest_totals(settings.ledger_path, [r.run_id for r in runs])
    table = Table(title=f"recent {orchestration.DAG_ID} runs (newest first)")
    for col in ("run", "state", "window", "started (UTC)", "duration"):
        table.add_column(col, no_wrap=True)
    table.add_column("rows per stage", no_wrap=True)
    table.add_column("loaded / quarantined", no_wrap=True)
    quality = ledger.quality_totals(settings.ledger_path, [r.run_id for r in runs])
    failed_checks = [
        q
        for q in ledger.quality_rows(settings.ledger_path, [r.run_id for r in runs])
        if q["status"] in ("fail", "error")
    ]
    errors = []
    for r in runs:
        mine = [t for t in tasks if t["run_id"] == r.run_id]
        window = started = duration = "-"
        if mine:
            window = str(
                Window(parse_day(mine[0]["window_start"]), parse_day(mine[0]["window_end"]))
            )
            first = min(t["started_at"] for t in mine)
            last = max((t["finished_at"] for t in mine if t["finished_at"]), default=None)
            started = first[:16].replace("T", " ")
            if last:
                duration = fmt_seconds(
                    (
                        dt.datetime.fromisoformat(last) - dt.datetime.fromisoformat(first)
                    ).total_seconds()
                )
        stages = "\n".join(
            f"{t['task_id']} {t['rows'] or 0:,}"
            + ("" if t["state"] == "success" else f" {t['state'].upper()}")
            for t in mine
        )
        errors += [(_short_run(r.run_id), t["task_id"], t["error"]) for t in mine if t["error"]]
        loads = "\n".join(
            f"{source} {t['written']:,} / {t['quarantined']:,}"
            + (f" ({t['corrupt_files']} corrupt file(s))" if t["corrupt_files"] else "")
            for source, t in sorted(ingest.get(r.run_id, {}).items())
        )
        table.add_row(
            _short_run(r.run_id), r.state, window, started, duration, stages or "-", loads or "-"
        )
    console.print(table)
    for r in runs:
        q = quality.get(r.run_id)
        if q:
            console.print(
                f"{_short_run(r.run_id)} quality checks: {q['passed']:,} passed,"
                f" {q['critical']} critical failed, {q['warning']} warnings,"
                f" {q['skipped']} skipped",
                highlight=False,
            )
    for run_id, task_id, error in errors:
        console.print(f"{run_id} {task_id}: {error}", markup=False, highlight=False, soft_wrap=True)
    for q in failed_checks[:30]:
        what = (
            q["message"] + (f", e.g. {q['sample']}" if q["sample"] else "")
            if q["tool"] == "gx"
            else f"{q['suite']} {q['check_name']}: {q['message'] or q['status']}"
        )
        console.print(
            f"{_short_run(q['run_id'])} {q['severity']} {q['tool']} {q['stage']}: {what}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    for a in ledger.alert_rows(settings.ledger_path, [r.run_id for r in runs]):
        how = "sent" if a["delivered"] else f"NOT SENT ({a['error']})"
        first = a["message"].splitlines()[0]
        console.print(
            f"{_short_run(a['run_id'])} alert {a['kind']} {how}: {first}",
            markup=False,
            highlight=False,
            emoji=False,
            soft_wrap=True,
        )


def _short_run(run_id: str) -> str:
    """Airflow run ids without the microseconds and UTC offset, to fit a terminal."""
    kind, _, stamp = run_id.partition("__")
    return f"{kind}__{stamp[:19]}" if stamp[:4].isdigit() else run_id
