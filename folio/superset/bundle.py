"""The Superset assets bundle in ``superset/assets``: dashboards as code.

The bundle is Superset's own export format (``metadata.yaml`` + ``databases/``,
``datasets/``, ``charts/``, ``dashboards/``, objects linked by fixed uuids), so a bundle
exported from a running Superset after UI edits (`folio superset export`) is committed as
is. Two parts are not written by hand:

- **datasets** are generated from the dbt manifest (`folio superset datasets`): one per
  mart, its columns with the contract's types and the descriptions of the dbt docs, so the
  column help in Superset is the dbt documentation, never a copy that drifts;
- the **database**'s URI names ``__FOLIO_HOME__``: the served file's real path is filled in
  at import and put back at export, so the bundle is the same on every machine.

This module runs in the pipeline's environment (no Superset import); the import and export
themselves run in Superset's (``folio/superset/provision.py``).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import yaml

from folio.config import REPO_ROOT
from folio.core.errors import FolioError

BUNDLE = REPO_ROOT / "superset" / "assets"
NAMESPACE = uuid.UUID("6f1c1e0a-3b5e-4c41-9b7f-5d0f0a1c2e3f")
DATABASE_NAME = "Folio marts"
HOME_TOKEN = "__FOLIO_HOME__"
SERVED_URI = f"duckdb:///{HOME_TOKEN}/warehouse/folio.duckdb"
TEMPORAL = ("date", "timestamp")


def fixed_uuid(kind: str, name: str) -> str:
    """The same uuid for the same object on every machine and every regeneration."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


DATABASE_UUID = fixed_uuid("database", DATABASE_NAME)


def dataset_uuid(table: str) -> str:
    return fixed_uuid("dataset", f"marts.{table}")


def mart_nodes(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The models that are published (schema ``marts``), by name."""
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
    }


def _superset_type(data_type: str | None) -> str | None:
    return data_type.upper() if data_type else None


def dataset_config(node: dict[str, Any]) -> dict[str, Any]:
    """One dataset (a mart) in Superset's export layout, from its dbt manifest node."""
    columns = []
    for name, col in node["columns"].items():
        data_type = col.get("data_type")
        if not data_type:
            raise FolioError(
                f"mart {node['name']}: column {name} has no data_type in its dbt YAML"
                " (the contract declares every column's type)"
            )
        if not col.get("description"):
            raise FolioError(f"mart {node['name']}: column {name} has no description in dbt")
        columns.append(
            {
                "column_name": name,
                "verbose_name": None,
                "is_dttm": data_type.lower().startswith(TEMPORAL),
                "is_active": True,
                "type": _superset_type(data_type),
                "advanced_data_type": None,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": " ".join(col["description"].split()),
                "python_date_format": None,
                "datetime_format": None,
                "extra": {},
            }
        )
    temporal = [c["column_name"] for c in columns if c["is_dttm"]]
    return {
        "table_name": node["name"],
        "main_dttm_col": temporal[0] if temporal else None,
        "currency_code_column": None,
        "description": " ".join(node["description"].split()),
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "catalog": None,
        "schema": "marts",
        "sql": None,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "folders": None,
        "uuid": dataset_uuid(node["name"]),
        "metrics": [
            {
                "metric_name": "count",
                "verbose_name": "COUNT(*)",
                "metric_type": "count",
                "expression": "COUNT(*)",
                "description": None,
                "d3format": None,
                "currency": None,
                "extra": {},
                "warning_text": None,
            }
        ],
        "columns": sorted(columns, key=lambda c: c["column_name"]),
        "version": "1.0.0",
        "database_uuid": DATABASE_UUID,
    }


def dataset_path(bundle: Path, table: str) -> Path:
    return bundle / "datasets" / "Folio_marts" / f"{table}.yaml"


def dump(config: dict[str, Any]) -> str:
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def write_datasets(manifest_path: Path, bundle: Path = BUNDLE) -> list[str]:
    """(Re)write one dataset file per mart from the manifest; drop datasets of gone marts."""
    manifest = json.loads(manifest_path.read_text())
    nodes = mart_nodes(manifest)
    folder = bundle / "datasets" / "Folio_marts"
    folder.mkdir(parents=True, exist_ok=True)
    for name, node in sorted(nodes.items()):
        dataset_path(bundle, name).write_text(dump(dataset_config(node)))
    for stale in folder.glob("*.yaml"):
        if stale.stem not in nodes:
            stale.unlink()
    return sorted(nodes)


def read_bundle(bundle: Path = BUNDLE) -> dict[str, str]:
    """Every file of the bundle by its path inside it (what Superset's importer takes)."""
    if not (bundle / "metadata.yaml").exists():
        raise FolioError(f"no Superset assets bundle at {bundle} (metadata.yaml missing)")
    return {str(p.relative_to(bundle)): p.read_text() for p in sorted(bundle.rglob("*.yaml"))}
