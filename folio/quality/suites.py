"""The reviewed quality files in ``expectations/``: GX suites and Folio's checkpoint files.

``expectations/suites/<checkpoint>/<name>.json`` is a Great Expectations 1.x expectation
suite exactly as GX serialises one (``name``, ``expectations`` with ``type``, ``kwargs``,
``meta``). Folio adds two things in ``meta``:

- every expectation has ``meta.severity``: ``critical`` (a failure blocks publishing) or
  ``warning`` (recorded in the quality ledger and alerted);
- a row-count expectation may carry ``meta.volume`` (``basis``: ``trailing_days`` or
  ``served``; ``min_ratio``/``max_ratio``; for ``trailing_days`` also ``days``): its
  ``$PARAMETER`` bounds are learned at run time from the lake's trailing partitions or the
  served snapshot (``folio.quality.gates``).

``expectations/checkpoints/<name>.yml`` names a checkpoint, the data it reads (``lake``:
the run window's partitions of lake tables; ``build``: tables of the build file) and its
validations (suite + table). They are plain names, where GX's own checkpoint JSON holds
generated ids; the runner turns them into GX objects in a context under FOLIO_HOME.

``lint`` parses all of it without any data and names every problem by file and
expectation: a suite that does not parse, an unknown expectation type, a column the table
does not have, a missing severity, an unknown run parameter. ``make test`` runs it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from folio.config import REPO_ROOT
from folio.core.errors import FolioError

EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SEVERITIES = ("critical", "warning")
# the parameters a run provides to every suite (besides learned volume bounds)
RUN_PARAMETERS = ("interval_start", "interval_end")
DATASOURCES = ("lake", "build")
# kwargs naming columns, by how they name them
_COLUMN_KWARGS = ("column", "column_A", "column_B")
_COLUMN_LIST_KWARGS = ("column_list",)


@dataclass(frozen=True)
class Validation:
    suite: str
    table: str  # lake: a lake path (raw/stripe/invoice); build: schema.table


@dataclass(frozen=True)
class Checkpoint:
    name: str
    datasource: str
    validations: tuple[Validation, ...]
    path: Path


def quiet_gx() -> None:
    """GX logs ~150 INFO lines on import and phones home unless told not to."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    # says on every type check that duckdb-engine has no GX type module; the check works
    logging.getLogger("great_expectations.expectations.type_comparison").setLevel(logging.ERROR)


def load_checkpoint(name: str, root: Path = EXPECTATIONS_DIR) -> Checkpoint:
    path = root / "checkpoints" / f"{name}.yml"
    try:
        doc = yaml.safe_load(path.read_text())
        validations = tuple(Validation(v["suite"], v["table"]) for v in doc["validations"])
        cp = Checkpoint(doc["name"], doc["datasource"], validations, path)
    except FileNotFoundError:
        raise FolioError(f"no checkpoint file {path}") from None
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise FolioError(f"checkpoint {path} does not parse: {exc!r}") from None
    if cp.name != name or cp.datasource not in DATASOURCES:
        raise FolioError(
            f"checkpoint {path}: name must be {name!r} and datasource one of {DATASOURCES}"
        )
    return cp


def suite_path(checkpoint: str, suite: str, root: Path = EXPECTATIONS_DIR) -> Path:
    return root / "suites" / checkpoint / f"{suite}.json"


def load_suite_dict(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise FolioError(f"no suite file {path}") from None
    except ValueError as exc:
        raise FolioError(f"suite {path} does not parse: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("expectations"), list):
        raise FolioError(f"suite {path}: expected an object with a list 'expectations'")
    return doc


def expectation_label(i: int, exp: dict[str, Any]) -> str:
    """How messages name an expectation: its position, type and column(s)."""
    kw = exp.get("kwargs") or {}
    cols = [str(kw[k]) for k in _COLUMN_KWARGS if k in kw]
    for k in _COLUMN_LIST_KWARGS:
        cols += [str(c) for c in kw.get(k) or []]
    return f"#{i} {exp.get('type')}" + (f"({', '.join(cols)})" if cols else "")


def _parameters(value: Any) -> list[str]:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return [value["$PARAMETER"]]
        return [p for v in value.values() for p in _parameters(v)]
    if isinstance(value, list):
        return [p for v in value for p in _parameters(v)]
    return []


def _columns_named(kwargs: dict[str, Any]) -> list[str]:
    cols = [kwargs[k] for k in _COLUMN_KWARGS if k in kwargs]
    for k in _COLUMN_LIST_KWARGS:
        cols += list(kwargs.get(k) or [])
    return cols


@cache
def lake_tables(project: Path = REPO_ROOT / "dbt_project") -> dict[str, list[tuple[str, str]]]:
    """(column, type) of every lake table, by its ``meta.lake_path`` in the source YAML."""
    out: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((project / "models").rglob("_*__sources.yml")):
        for source in (yaml.safe_load(path.read_text()) or {}).get("sources") or []:
            for t in source.get("tables") or []:
                lake = (t.get("meta") or {}).get("lake_path")
                if lake:
                    out[lake] = [(c["name"], c["data_type"]) for c in t.get("columns") or []]
    return out


@cache
def table_columns(project: Path = REPO_ROOT / "dbt_project") -> dict[str, set[str]]:
    """Columns of every table a suite may read, from the dbt project's YAML.

    Lake tables by their ``meta.lake_path`` in the source YAML (plus the partition column
    ``dt``); marts as ``marts.<model>`` from the model YAML (the enforced contracts).
    """
    out = {lake: {c for c, _ in cols} | {"dt"} for lake, cols in lake_tables(project).items()}
    for path in sorted((project / "models" / "marts").rglob("_*.yml")):
        for m in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            out[f"marts.{m['name']}"] = {c["name"] for c in m.get("columns") or []}
    return out


def check_suite(
    doc: dict[str, Any], table: str, columns: dict[str, set[str]], label: str
) -> list[str]:
    """Problems of one parsed suite file against the table it validates."""
    problems = []
    known = columns.get(table)
    if known is None:
        problems.append(f"{label}: table {table!r} is not a lake source or mart of dbt_project")
    for i, exp in enumerate(doc["expectations"]):
        name = f"{label} {expectation_label(i, exp)}"
        meta = exp.get("meta") or {}
        if meta.get("severity") not in SEVERITIES:
            problems.append(f"{name}: meta.severity must be one of {SEVERITIES}")
        kwargs = exp.get("kwargs") or {}
        if known is not None:
            missing = [c for c in _columns_named(kwargs) if c not in known]
            if missing:
                problems.append(f"{name}: {table} has no column {', '.join(missing)}")
        volume = meta.get("volume")
        params = _parameters(kwargs)
        if volume is not None:
            if volume.get("basis") not in ("trailing_days", "served"):
                problems.append(f"{name}: meta.volume.basis must be trailing_days or served")
            if exp.get("type") != "expect_table_row_count_to_be_between":
                problems.append(f"{name}: meta.volume only on expect_table_row_count_to_be_between")
        else:
            unknown = [p for p in params if p not in RUN_PARAMETERS]
            if unknown:
                problems.append(
                    f"{name}: unknown parameter {', '.join(unknown)} (a run provides"
                    f" {', '.join(RUN_PARAMETERS)}; volume bounds need meta.volume)"
                )
        err = expectation_error(exp)
        if err:
            problems.append(f"{name}: GX does not accept it: {err}")
    return problems


def expectation_error(exp: dict[str, Any]) -> str | None:
    """Why GX rejects one expectation, or None.

    Checked one by one: given a whole suite, GX logs a bad expectation and drops it
    silently, which would leave a check that never runs.
    """
    quiet_gx()
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    try:
        ExpectationConfiguration(
            type=exp.get("type"), kwargs=exp.get("kwargs") or {}, meta=exp.get("meta")
        ).to_domain_obj()
    except Exception as exc:  # GX raises pydantic and its own errors: name them all
        text = str(exc).strip()
        return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
    return None


def lint(root: Path = EXPECTATIONS_DIR, project: Path = REPO_ROOT / "dbt_project") -> list[str]:
    """Every problem of every checkpoint and suite file under ``root``, named."""
    problems: list[str] = []
    columns = table_columns(project)
    referenced: set[Path] = set()
    for cp_path in sorted((root / "checkpoints").glob("*.yml")):
        try:
            cp = load_checkpoint(cp_path.stem, root)
        except FolioError as exc:
            problems.append(str(exc))
            continue
        for v in cp.validations:
            path = suite_path(cp.name, v.suite, root)
            referenced.add(path)
            label = f"suite {v.suite} ({path.relative_to(root)})"
            try:
                doc = load_suite_dict(path)
            except FolioError as exc:
                problems.append(str(exc))
                continue
            if doc.get("name") != v.suite:
                problems.append(f"{label}: its name is {doc.get('name')!r}")
            problems += check_suite(doc, v.table, columns, label)
    for path in sorted((root / "suites").rglob("*.json")):
        if path not in referenced:
            problems.append(f"suite file {path.relative_to(root)} is in no checkpoint")
    return problems
