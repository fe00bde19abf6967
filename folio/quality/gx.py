"""Great Expectations as Folio runs it: a file context under FOLIO_HOME, suites from files.

The context (stores, validation results) lives in ``FOLIO_HOME/quality/gx`` and its Data
Docs are written to ``FOLIO_HOME/docs/gx``; both are generated, never committed. The
reviewed suites and checkpoints stay in ``expectations/`` and are loaded into the context
at every run, so the files are the truth.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from folio.config import Settings
from folio.core import duck
from folio.core.errors import FolioError
from folio.quality.suites import (
    Checkpoint,
    Validation,
    expectation_error,
    expectation_label,
    load_suite_dict,
    quiet_gx,
    suite_path,
)

DOCS_SITE = "folio"


class _DuckDBDialect(str):
    """An entry for GX's persisted-connection dialects: equal to "duckdb", with a .value."""

    @property
    def value(self) -> str:
        return str(self)


def patch_duckdb() -> None:
    """Make GX keep one connection per engine for DuckDB, as it does for SQLite.

    Without it every GX metric on DuckDB fails with ``MetricResolutionError: list index
    out of range`` (STACK_NOTES): GX checks ``dialect.value`` when it builds the engine
    and ``dialect == name`` when it hands out connections, so the entry must be both.
    """
    from great_expectations.execution_engine import sqlalchemy_execution_engine as see

    if "duckdb" not in [str(getattr(d, "value", d)) for d in see._PERSISTED_CONNECTION_DIALECTS]:
        see._PERSISTED_CONNECTION_DIALECTS = (
            *see._PERSISTED_CONNECTION_DIALECTS,
            _DuckDBDialect("duckdb"),
        )


def docs_dir(settings: Settings) -> Path:
    return settings.paths.gx_docs


def context(settings: Settings) -> Any:
    """The file context under FOLIO_HOME/quality, its Data Docs site under FOLIO_HOME/docs."""
    quiet_gx()
    import great_expectations as gx

    patch_duckdb()
    root = settings.paths.quality
    root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(root))
    bars = ctx.variables.progress_bars
    if bars is None or (bars.get("globally") if isinstance(bars, dict) else bars.globally):
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # a bar per validation floods the Airflow task log
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        ctx.variables.save()
    sites = ctx.get_config().data_docs_sites or {}
    target = str(docs_dir(settings))
    if (sites.get(DOCS_SITE) or {}).get("store_backend", {}).get("base_directory") != target:
        if DOCS_SITE in sites:
            ctx.delete_data_docs_site(DOCS_SITE)
        ctx.add_data_docs_site(
            site_name=DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": target,
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    if "local_site" in (ctx.get_config().data_docs_sites or {}):
        ctx.delete_data_docs_site("local_site")
    return ctx


@dataclass
class CheckResult:
    """One expectation of one suite in one run (a row of the quality ledger)."""

    suite: str
    table: str
    check: str  # "#3 expect_column_values_to_be_between(mrr)"
    expectation_type: str
    severity: str
    status: str  # pass | fail | error | skipped
    observed: Any = None
    unexpected_count: int | None = None
    sample: list[Any] = field(default_factory=list)
    message: str | None = None

    def describe(self, samples: bool = True) -> str:
        """One line naming the check and what it saw (sample values only if asked)."""
        what = self.message or ""
        if self.observed is not None:
            what = f"observed {self.observed}" + (f"; {what}" if what else "")
        if self.unexpected_count:
            what += f"{'; ' if what else ''}{self.unexpected_count} unexpected"
            if self.sample and samples:
                what += f", e.g. {self.sample[:3]}"
        return f"{self.suite} {self.check} on {self.table}: {self.status}" + (
            f" ({what})" if what else ""
        )


# (validation, suite expectations) -> (parameters, {index: reason the check is skipped})
Parameterize = Callable[[Validation, list[dict[str, Any]]], tuple[dict[str, Any], dict[int, str]]]


def _plain(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def run_checkpoint(
    settings: Settings,
    cp: Checkpoint,
    connection_string: str,
    schema: str | None,
    parameterize: Parameterize,
    run_name: str,
    table_name: Callable[[Validation], str],
) -> list[CheckResult]:
    """Validate every (suite, table) of the checkpoint; one CheckResult per expectation.

    The suites are loaded from their files; expectations ``parameterize`` cannot give
    bounds to (no history yet) are taken out of this run and reported as skipped. Data
    Docs are rebuilt at the end.
    """
    import great_expectations as gx
    import sqlalchemy as sa
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.core.run_identifier import RunIdentifier
    from sqlalchemy import event as sa_event

    ctx = context(settings)
    # every DB-API connection GX opens, closed at the end: GX keeps some of them alive
    # past engine.dispose(), and DuckDB refuses a read-write open of a file this process
    # still holds read-only (the next task may run in this process: `airflow dags test`)
    opened: list[Any] = []

    def track(dbapi_connection: Any, _record: Any) -> None:
        opened.append(dbapi_connection)
        if hasattr(dbapi_connection, "register_filesystem"):  # the views read a remote lake
            duck.register_lake(settings, dbapi_connection)

    sa_event.listen(sa.engine.Engine, "connect", track)
    ds_name = f"folio_{cp.name}"
    if ds_name in [d.name for d in ctx.data_sources.all().values()]:
        ctx.data_sources.delete(ds_name)
    ds = ctx.data_sources.add_sql(
        ds_name,
        connection_string=connection_string,
        kwargs={"connect_args": {"read_only": True, "config": settings.duckdb_config}},
    )
    results: list[CheckResult] = []
    run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
    try:
        for v in cp.validations:
            doc = load_suite_dict(suite_path(cp.name, v.suite))
            exps = doc["expectations"]
            params, skipped = parameterize(v, exps)
            kept = []
            for i, exp in enumerate(exps):
                label = expectation_label(i, exp)
                sev = (exp.get("meta") or {}).get("severity", "critical")
                if i in skipped:
                    results.append(
                        CheckResult(v.suite, v.table, label, exp["type"], sev, "skipped",
                                    message=skipped[i])
                    )  # fmt: skip
                    continue
                kept.append({**exp, "meta": {**(exp.get("meta") or {}), "folio_check": label}})
            suite = ctx.suites.add_or_update(
                ExpectationSuite(name=v.suite, expectations=kept, meta=doc.get("meta") or {})
            )
            if len(suite.expectations) != len(kept):  # GX drops a bad one with a log line
                bad = [e for e in kept if expectation_error(e)]
                raise FolioError(
                    f"suite {v.suite}: GX rejected {', '.join(e['meta']['folio_check'] for e in bad)}:"
                    f" {expectation_error(bad[0]) if bad else 'see the log'} (run `folio quality lint`)"
                )
            asset = ds.add_table_asset(v.suite, table_name=table_name(v), schema_name=schema)
            batch = asset.add_batch_definition_whole_table("whole_table")
            vd = ctx.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=f"{cp.name}:{v.suite}", data=batch, suite=suite)
            )
            res = vd.run(
                expectation_parameters=params,
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5},
                run_id=run_id,
            )
            for er in res.results:
                cfg = er.expectation_config
                info = er.exception_info or {}
                if info.get("raised_exception") is None and len(info) == 1:
                    # keyed by metric id when a metric failed
                    info = next(iter(info.values()))
                raised = bool(info.get("raised_exception"))
                r = er.result or {}
                bounds = [cfg.kwargs.get(k) for k in ("min_value", "max_value")]
                expected = (
                    f"expected {bounds[0] if bounds[0] is not None else '-inf'}"
                    f"..{bounds[1] if bounds[1] is not None else 'inf'}"
                    if not er.success and any(b is not None for b in bounds)
                    else None
                )
                results.append(
                    CheckResult(
                        suite=v.suite,
                        table=v.table,
                        check=cfg.meta.get("folio_check", cfg.type),
                        expectation_type=cfg.type,
                        severity=cfg.meta.get("severity", "critical"),
                        status="error" if raised else ("pass" if er.success else "fail"),
                        observed=_plain(r.get("observed_value")),
                        unexpected_count=r.get("unexpected_count"),
                        sample=[_plain(x) for x in (r.get("partial_unexpected_list") or [])[:5]],
                        message=(str(info.get("exception_message"))[:500] if raised else expected),
                    )
                )
    finally:
        sa_event.remove(sa.engine.Engine, "connect", track)
        ds.get_execution_engine().engine.dispose()
        for conn in opened:
            conn.close()
        ctx.data_sources.delete(ds_name)
    ctx.build_data_docs(site_names=[DOCS_SITE])
    return results
