"""The `folio` command: simulate sources, run the nightly DAG through Airflow, show status.

Errors meant for the user (bad dates, unreachable databases, an unwritable FOLIO_HOME,
unknown options) print one line and exit non-zero, never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sys
import time
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from folio.config import Settings, get_settings, yesterday_utc
from folio.core.errors import FolioError
from folio.core.window import Window, parse_day

app = typer.Typer(
    name="folio",
    help="Folio's data platform: nightly ELT into DuckDB, Spark, dbt marts, quality gates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# piped output (make run, CI logs) gets a readable width instead of rich's 80 columns
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def _settings() -> Settings:
    try:
        settings = get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "FOLIO_" + str(first["loc"][0]).upper() if first["loc"] else "FOLIO_*"
        raise FolioError(f"bad setting {name}: {first['msg']}") from None
    settings.ensure_home()
    return settings


def _day(value: str | None, what: str) -> dt.date | None:
    return None if value is None else parse_day(value, what)


def _fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


@app.command()
def simulate(
    accounts: Annotated[
        int | None,
        typer.Option(
            help="Accounts that sign up over the range [default: FOLIO_SIM_ACCOUNTS, 2000]."
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(help="First day, YYYY-MM-DD [default: FOLIO_SIM_MONTHS months before --end]."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(help="Last day, YYYY-MM-DD [default: FOLIO_SIM_END or yesterday, UTC]."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed [default: FOLIO_SEED, 42].")] = None,
    traffic: Annotated[
        float | None,
        typer.Option(
            help="Multiplier on portfolio-visitor traffic [default: FOLIO_SIM_TRAFFIC, 1]."
        ),
    ] = None,
    defect_rate: Annotated[
        float | None,
        typer.Option(help="Multiplier on defect rates, 0 for clean sources [default: 1]."),
    ] = None,
    reuse: Annotated[
        bool,
        typer.Option(
            help="Keep the landing zone if it was simulated with exactly these parameters."
        ),
    ] = False,
) -> None:
    """Simulate Folio's sources: the app DB, Stripe exports and the Segment archive."""
    from folio.simulator.engine import SimParams
    from folio.simulator.engine import simulate as run_sim

    settings = _settings()
    d_start, d_end = settings.sim_range()
    d_end = _day(end, "--end") or d_end
    d_start = (
        _day(start, "--start") or (settings.model_copy(update={"sim_end": d_end}).sim_range()[0])
    )
    if d_end < d_start:
        raise FolioError(f"--end {d_end} is before --start {d_start}")
    if accounts is not None and accounts < 1:
        raise FolioError("--accounts must be at least 1")
    params = SimParams(
        start=d_start,
        end=d_end,
        accounts=accounts or settings.sim_accounts,
        seed=settings.seed if seed is None else seed,
        traffic=settings.sim_traffic if traffic is None else traffic,
        defect_rate=settings.defect_rate if defect_rate is None else defect_rate,
    )
    if reuse:
        from folio.simulator.landing import simulated_params

        if simulated_params(settings.landing) == params:
            console.print(
                f"landing zone {settings.landing} already holds this simulation "
                f"({params.accounts} accounts, {d_start}..{d_end}, seed {params.seed}):"
                " reusing it"
            )
            return
    console.print(
        f"simulating {params.accounts} accounts, {d_start}..{d_end}, seed "
        f"{params.seed} -> {settings.landing}"
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} days"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("simulating", total=(d_end - d_start).days + 1)
        summary = run_sim(
            params,
            settings.landing,
            settings.app_db,
            lambda done, total: progress.update(task, completed=done),
        )
    table = Table(title=f"simulated in {_fmt_s(summary.seconds)}", show_header=False)
    table.add_row(
        "segment messages", f"{summary.segment_messages:,} ({summary.events_per_second:,.0f}/s)"
    )
    table.add_row("stripe objects", f"{summary.stripe_objects:,}")
    for name, n in summary.app_rows.items():
        table.add_row(f"app db {name}", f"{n:,}")
    table.add_row("defects injected", ", ".join(f"{k} {v:,}" for k, v in summary.defects.items()))
    table.add_row("landing files", f"{summary.files:,} ({summary.bytes / 1e6:,.1f} MB)")
    console.print(table)


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

    settings = _settings()
    window = _window(date, start, end, history, settings)
    if window.end >= dt.datetime.now(dt.UTC).date():
        raise FolioError(
            f"{window.end} is not over yet (UTC): the latest day to run is {yesterday_utc()}"
        )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    log_path = settings.home / "logs" / f"folio-run-{stamp}.log"
    console.print(
        f"running {orchestration.DAG_ID} for {window} through Airflow "
        f"(in-process, no logical date); log: {log_path}"
    )
    t0 = time.perf_counter()
    with err.status("airflow is running the DAG..."):
        info = orchestration.run_dag(settings, window, log_path)
    rows = ledger.task_rows(settings.ledger_path, [info.run_id])
    table = Table(title=f"{info.run_id}: {info.state} in {_fmt_s(time.perf_counter() - t0)}")
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
        table.add_row(r["task_id"], r["state"], f"{r['rows'] or 0:,}", _fmt_s(r["seconds"]), brief)
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

    settings = _settings()
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
                duration = _fmt_s(
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


@app.command()
def docs(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8580,
) -> None:
    """Serve the dbt docs and the GX Data Docs of the last run on 127.0.0.1 (Ctrl-C stops)."""
    import functools
    import http.server

    settings = _settings()
    site = settings.home / "docs"
    if not (site / "index.html").exists():
        raise FolioError(f"no docs under {site} yet: `folio run` builds them")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        console.print(f"docs of {site} on http://127.0.0.1:{port}/ (dbt: /dbt/, GX: /gx/)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


quality_app = typer.Typer(help="The quality gates' files (expectations/).", no_args_is_help=True)
app.add_typer(quality_app, name="quality")


@quality_app.command("lint")
def quality_lint() -> None:
    """Check every GX suite and checkpoint file; each problem named by file and expectation."""
    from folio.quality.suites import EXPECTATIONS_DIR, lint

    problems = lint()
    for p in problems:
        console.print(p, markup=False, highlight=False, soft_wrap=True)
    if problems:
        raise FolioError(f"{len(problems)} problem(s) in {EXPECTATIONS_DIR}")
    console.print(f"{EXPECTATIONS_DIR}: every checkpoint and suite is valid")


model_app = typer.Typer(
    help="The churn model registry (FOLIO_HOME/models/churn).", no_args_is_help=True
)
app.add_typer(model_app, name="model")


@model_app.command("list")
def model_list() -> None:
    """Every registered churn model version: interval, validation metrics, current one starred."""
    from folio.ml import registry

    settings = _settings()
    cur = registry.current(settings)
    table = Table(title="churn models (newest last; * = current)")
    for col in (
        "version",
        "trained on",
        "validated on",
        "ROC-AUC",
        "PR-AUC",
        "baseline",
        "promoted",
    ):
        table.add_column(col, no_wrap=True)
    for mv in registry.versions(settings):
        m, b = mv.meta["metrics"]["mlp"], mv.meta["metrics"]["baseline"]
        table.add_row(
            ("* " if cur and cur.version == mv.version else "  ") + mv.version,
            mv.interval,
            f"{mv.meta['validation_start']}..{mv.meta['validation_end']}",
            f"{m['roc_auc']:.3f}",
            f"{m['pr_auc']:.3f}",
            f"{b['roc_auc']:.3f} / {b['pr_auc']:.3f}",
            "yes" if mv.meta["promoted"] else "no",
        )
    console.print(table)


@model_app.command("show")
def model_show(
    version: Annotated[str, typer.Argument(help="A version; default: the current one.")] = "",
) -> None:
    """One version's record: training interval, features, metrics, code version."""
    import json as _json

    from folio.ml import registry

    settings = _settings()
    mv = registry.load(settings, version) if version else registry.current(settings)
    if mv is None:
        raise FolioError("no current churn model yet")
    console.print_json(_json.dumps({**mv.meta, "features": mv.spec.names, "path": str(mv.path)}))


@model_app.command("promote")
def model_promote(
    version: Annotated[str, typer.Argument(help="The version to make current.")],
) -> None:
    """Make a registered version the one that scores (operators: e.g. to roll back a model)."""
    from folio.ml import registry

    mv = registry.promote(_settings(), version)
    console.print(f"churn model {mv.version} is now current (trained on {mv.interval})")


@app.command("publish")
def publish_cmd(
    run_id: Annotated[
        str | None, typer.Option(help="Run id to record (default: manual__<now>).")
    ] = None,
    start: Annotated[str | None, typer.Option(help="First day the marts cover.")] = None,
    end: Annotated[
        str | None, typer.Option(help="Last day the marts cover (default: yesterday).")
    ] = None,
) -> None:
    """Publish the build file's marts now: snapshot, verify, serve (operators)."""
    from folio.warehouse.publish import publish

    settings = _settings()
    last = _day(end, "--end") or yesterday_utc()
    first = _day(start, "--start") or last
    rid = run_id or f"manual__{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%S}"
    pub = publish(settings, rid, Window(first, last))
    console.print(f"published {pub.run_id}: {pub.summary()}", markup=False, highlight=False)


@app.command()
def rollback(
    to: Annotated[str | None, typer.Option(help="Run id whose snapshot to serve.")] = None,
) -> None:
    """Serve an earlier snapshot of the marts (the one before the served one by default)."""
    from folio.warehouse.publish import rollback as do_rollback

    pub = do_rollback(_settings(), to)
    console.print(f"now serving {pub.run_id}: {pub.summary()}", markup=False, highlight=False)


@app.command("snapshots")
def list_snapshots() -> None:
    """The kept snapshots of the marts, newest first; the served one is marked."""
    from folio.warehouse.publish import is_served, snapshots

    settings = _settings()
    table = Table(title="published snapshots (newest first)")
    for col in ("", "run", "interval", "published (UTC)", "code", "tables", "rows"):
        table.add_column(col, no_wrap=True)
    for p in snapshots(settings):
        s = p.summary()
        mark = "*" if is_served(settings, p.path) else ""
        table.add_row(
            mark,
            s["run_id"],
            s["interval"],
            s["published_at"][:16],
            s["code_version"],
            str(s["tables"]),
            f"{s['rows']:,}",
        )
    console.print(table)


superset_app = typer.Typer(
    help="Superset: provisioning and the dashboards-as-code bundle (superset/assets).",
    no_args_is_help=True,
)
app.add_typer(superset_app, name="superset")


@superset_app.command("init")
def superset_init() -> None:
    """Migrate Superset's metadata, create the admin, roles Analyst and Viewer, import the
    bundle. Running it again changes nothing."""
    import yaml

    from folio.superset import service

    settings = _settings()
    settings.ensure_home()
    report = yaml.safe_load(service.init(settings))
    password = report.pop("admin_password", None)
    console.print(yaml.safe_dump(report, sort_keys=False).rstrip(), markup=False, highlight=False)
    where = service.home(settings) / "admin_password"
    if password:
        console.print(
            f"Superset admin created: user admin, password {password}\n"
            f"(shown once; kept in {where}, mode 600)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    elif where.exists():
        console.print(
            f"admin exists; its password is in {where}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    else:  # a new FOLIO_HOME on Superset metadata that was kept (Postgres)
        console.print(
            f"admin exists, but {where} is missing (this FOLIO_HOME did not create it):"
            " `folio superset reset-admin-password` sets a new one",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@superset_app.command("reset-admin-password")
def superset_reset_admin_password() -> None:
    """Give the Superset admin a new generated password (shown once, kept in the home):
    after a lost password file, or to rotate it."""
    import yaml

    from folio.superset import service

    settings = _settings()
    settings.ensure_home()
    password = yaml.safe_load(service.provision(settings, "reset-admin-password"))["admin_password"]
    where = service.home(settings) / "admin_password"
    console.print(
        f"Superset admin password reset: user admin, password {password}\n"
        f"(shown once; kept in {where}, mode 600)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@superset_app.command("export")
def superset_export(
    out: Annotated[
        str | None, typer.Option(help="Folder to write (default: the bundle, superset/assets).")
    ] = None,
) -> None:
    """Write every dashboard, chart, dataset and database back as the bundle (after UI edits:
    `folio superset export` then `git diff superset/assets`)."""
    import shutil
    import tempfile
    from pathlib import Path

    from folio.superset import bundle, service

    settings = _settings()
    target = Path(out) if out else bundle.BUNDLE
    with tempfile.TemporaryDirectory(prefix="superset-export-") as tmp:
        service.export(settings, Path(tmp))
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(tmp, target)
    files = sorted(p for p in target.rglob("*.yaml"))
    console.print(f"exported {len(files)} files to {target}", markup=False, highlight=False)


@superset_app.command("datasets")
def superset_datasets() -> None:
    """Regenerate the bundle's datasets (one per mart: columns, types, descriptions) from the
    dbt manifest (`dbt parse`)."""
    from folio.superset import bundle
    from folio.warehouse.transform import run_dbt

    settings = _settings()
    settings.ensure_home()
    res = run_dbt(settings, ["parse"], Window(yesterday_utc(), yesterday_utc()))
    if not res.success:
        raise FolioError("dbt parse failed: see the log above")
    names = bundle.write_datasets(settings.home / "dbt" / "target" / "manifest.json")
    console.print(f"{len(names)} datasets written to {bundle.BUNDLE / 'datasets'}", markup=False)


@app.command()
def up(
    airflow_port: Annotated[int, typer.Option(help="Port of Airflow's api-server.")] = 8080,
    superset_port: Annotated[
        int | None, typer.Option(help="Port of Superset (default FOLIO_SUPERSET_PORT, 8088).")
    ] = None,
) -> None:
    """Start the platform live on 127.0.0.1: Airflow (api-server, scheduler, dag-processor,
    triggerer; folio_nightly unpaused, on its schedule) and Superset, in the background."""
    from folio.platform import services

    settings = _settings()
    report = services.up(settings, airflow_port, superset_port)
    for w in report["warnings"]:
        console.print(f"warning: {w}", markup=False, highlight=False)
    for r in report["running"]:
        where = f"  {r.url}" if r.url else ""
        console.print(f"{r.name:<22} pid {r.pid:<8}{where}", markup=False, highlight=False)
    console.print(
        f"Airflow:  {report['running'][0].url}  (user admin; password in"
        f" {report['airflow_credentials']})\n"
        f"Superset: {report['running'][-1].url}  (user admin; password in"
        f" {report['superset_credentials']})\n"
        f"logs: {services.log_dir(settings)}; pid files: {services.run_dir(settings)};"
        " `folio down` stops everything.",
        markup=False,
        highlight=False,
    )


@app.command()
def down() -> None:
    """Stop what `folio up` started."""
    from folio.platform import services

    stopped = services.down(_settings())
    console.print(
        f"stopped: {', '.join(stopped)}" if stopped else "nothing was running",
        markup=False,
        highlight=False,
    )


@app.command()
def sql(
    query: Annotated[
        str | None, typer.Argument(help="The query; none: an interactive prompt.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Ad-hoc SQL on the served marts: read-only, no file access (`folio sql "select ..."`)."""
    from folio.warehouse import sql as folio_sql
    from folio.warehouse.publish import served_path

    settings = _settings()
    served = served_path(settings)
    if fmt not in folio_sql.FORMATS:
        raise FolioError(f"--format {fmt}: one of {', '.join(folio_sql.FORMATS)}")
    if query is not None:
        cols, rows = folio_sql.run(served, query)
        sys.stdout.write(folio_sql.render(cols, rows, fmt))
        return
    console.print(
        f"folio sql on {served} (read-only). End a query with ';'. Ctrl-D quits.",
        markup=False,
        highlight=False,
    )
    buffer: list[str] = []
    while True:
        try:
            line = input("sql> " if not buffer else "...> ")
        except EOFError:
            break
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            continue
        text, buffer = "\n".join(buffer), []
        try:
            cols, rows = folio_sql.run(served, text)
        except FolioError as exc:
            console.print(f"error: {exc}", markup=False, highlight=False)
            continue
        sys.stdout.write(folio_sql.render(cols, rows, fmt))


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    help="Run dbt on the warehouse with the pipeline's environment, e.g. `folio dbt build -s "
    "mrr_monthly` or `folio dbt docs generate`. The interval vars default to yesterday.",
)
def dbt(ctx: typer.Context) -> None:
    from folio.warehouse.transform import run_dbt

    settings = _settings()
    args = list(ctx.args)
    if not args:
        raise FolioError("give dbt a command, e.g. `folio dbt build`")
    day = yesterday_utc()
    window = None if "--vars" in args else Window(day, day)
    res = run_dbt(settings, args, window)
    if not res.success:
        raise typer.Exit(1)


def _short_run(run_id: str) -> str:
    """Airflow run ids without the microseconds and UTC offset, to fit a terminal."""
    kind, _, stamp = run_id.partition("__")
    return f"{kind}__{stamp[:19]}" if stamp[:4].isdigit() else run_id


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(args=argv, prog_name="folio", standalone_mode=False)
    except FolioError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err.print("error: aborted", markup=False)
        return 130
    except typer.TyperException as exc:  # click's usage errors (typer vendors click)
        if type(exc).__name__ == "NoArgsIsHelpError":
            err.print(exc.format_message(), markup=False, highlight=False)
            return 2
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        err.print(
            f"error: {exc.format_message()}{hint}", markup=False, highlight=False, soft_wrap=True
        )
        return getattr(exc, "exit_code", 2)
    return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
