"""Superset provisioning: runs inside Superset's own environment (``.venv-superset``).

    python -m folio.superset.provision init   BUNDLE_DIR   # migrate, admin, roles, import
    python -m folio.superset.provision import BUNDLE_DIR
    python -m folio.superset.provision export OUT_DIR      # the bundle back, for git
    python -m folio.superset.provision add-user NAME ROLE  # password on stdin
    python -m folio.superset.provision reset-admin-password  # a new one, in the home

`folio superset ...` (the pipeline's CLI) calls it with FOLIO_HOME, SUPERSET_HOME and
SUPERSET_CONFIG_PATH set. It imports nothing from the pipeline (Superset's environment has
SQLAlchemy 1.4 and no dbt), only the standard library, PyYAML and Superset.

Every step is idempotent: a second ``init`` migrates nothing, keeps the admin and its
password, sets the same permissions on the roles and overwrites every bundle object by uuid
with the same content.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

HOME_TOKEN = "__FOLIO_HOME__"
REPORT_MARKER = "--- folio.superset.provision report ---"
ADMIN = "admin"
ROLE_ANALYST, ROLE_VIEWER = "Analyst", "Viewer"
# Gamma's permissions that write or explore: the Viewer (dashboards only) does without them
VIEWER_DROPPED = {"can_write", "can_explore", "can_explore_json", "can_csv", "can_export"}
# admin menus: never given to the two roles, whatever the built-in roles hold in a release
NEVER_FOR_ROLES = {"Security", "List Users", "List Roles", "Action Log", "Row Level Security"}


def folio_home() -> Path:
    return Path(os.environ["FOLIO_HOME"])


def _write_secret(path: Path, value: str) -> None:
    """A secret file readable by its owner only (created with mode 600, never widened)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    os.replace(tmp, path)


def _superset(*args: str) -> None:
    exe = Path(sys.executable).with_name("superset")
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise SystemExit(f"superset {' '.join(args)} failed:\n{tail}")


def _app():
    from superset.app import create_app

    return create_app()


def _bundle_contents(bundle: Path) -> dict[str, str]:
    served = folio_home()
    contents = {}
    for path in sorted(bundle.rglob("*.yaml")):
        text = path.read_text()
        if path.parent.name == "databases":
            text = text.replace(HOME_TOKEN, str(served))
        contents[str(path.relative_to(bundle))] = text
    return contents


def _as_admin():
    from flask import g
    from superset import security_manager

    user = security_manager.find_user(username=ADMIN)
    if user is None:
        raise SystemExit("no admin user: run `folio superset init` first")
    g.user = user
    return user


def ensure_admin() -> str | None:
    """Create the admin once, with a generated password; returns it only when created."""
    from superset import security_manager

    if security_manager.find_user(username=ADMIN) is not None:
        return None
    password = secrets.token_urlsafe(18)
    user = security_manager.add_user(
        ADMIN,
        "Folio",
        "Admin",
        "admin@folio.invalid",
        security_manager.find_role("Admin"),
        password=password,
    )
    if not user:
        raise SystemExit("could not create the Superset admin")
    _write_secret(folio_home() / "superset" / "admin_password", password)
    return password


def _marts_database():
    from superset import db
    from superset.models.core import Database

    return db.session.query(Database).filter_by(database_name="Folio marts").one_or_none()


def sync_roles() -> dict[str, int]:
    """Analyst = Gamma + SQL Lab + the marts database; Viewer = Gamma's reads + the database."""
    from superset import db, security_manager

    gamma = security_manager.find_role("Gamma")
    sql_lab = security_manager.find_role("sql_lab")
    if gamma is None or sql_lab is None:
        raise SystemExit("Superset's built-in roles are missing: `superset init` did not run")
    database = _marts_database()
    extra = []
    if database is not None:
        extra.append(security_manager.add_permission_view_menu("database_access", database.perm))
        # the schema the marts live in, so SQL Lab lists it for the Analyst
        schema_perm = security_manager.get_schema_perm(database.database_name, None, "marts")
        extra.append(security_manager.add_permission_view_menu("schema_access", schema_perm))
    viewer = [p for p in gamma.permissions if p.permission.name not in VIEWER_DROPPED]
    analyst = list(gamma.permissions) + list(sql_lab.permissions)
    counts = {}
    for name, perms in ((ROLE_ANALYST, analyst), (ROLE_VIEWER, viewer)):
        role = security_manager.find_role(name) or security_manager.add_role(name)
        admin_only = NEVER_FOR_ROLES | security_manager.ADMIN_ONLY_VIEW_MENUS
        wanted = {p.id: p for p in perms + extra if p.view_menu.name not in admin_only}
        role.permissions = sorted(wanted.values(), key=lambda p: p.id)
        counts[name] = len(role.permissions)
    db.session.commit()
    return counts


def import_bundle(bundle: Path) -> dict[str, int]:
    from superset import db
    from superset.commands.importers.v1.assets import ImportAssetsCommand

    contents = _bundle_contents(bundle)
    _as_admin()
    ImportAssetsCommand(contents, overwrite=True).run()
    db.session.commit()
    kinds: dict[str, int] = {}
    for name in contents:
        kind = name.split("/", 1)[0] if "/" in name else "metadata"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


ID_SUFFIX = re.compile(r"_\d+\.yaml$")


def _renumber_dashboard(config: dict[str, Any]) -> dict[str, Any]:
    """Chart ids of this install replaced by 1..n (charts ordered by uuid) everywhere the
    dashboard names them; the importer maps them to the ids of the install it runs on."""
    position = config.get("position") or {}
    charts = [n for n in position.values() if isinstance(n, dict) and n.get("type") == "CHART"]
    new = {
        n["meta"]["chartId"]: i
        for i, n in enumerate(sorted(charts, key=lambda n: n["meta"]["uuid"]), start=1)
    }
    for n in charts:
        n["meta"]["chartId"] = new[n["meta"]["chartId"]]

    def ids(values: list[int]) -> list[int]:
        return sorted(new[v] for v in values if v in new)

    meta = config.get("metadata") or {}
    for scoped in [
        *meta.get("native_filter_configuration", []),
        meta.get("global_chart_configuration"),
    ]:
        if not scoped:
            continue
        if "excluded" in scoped.get("scope", {}):
            scoped["scope"]["excluded"] = ids(scoped["scope"]["excluded"])
        # a cache the frontend recomputes from the scope; the importer does not remap it
        scoped.pop("chartsInScope", None)
    if "chart_configuration" in meta:
        remapped = {}
        for key, value in meta["chart_configuration"].items():
            if int(key) in new:
                value["id"] = new[int(key)]
                value.get("crossFilters", {}).pop("chartsInScope", None)
                remapped[str(new[int(key)])] = value
        meta["chart_configuration"] = dict(sorted(remapped.items(), key=lambda kv: int(kv[0])))
    if "timed_refresh_immune_slices" in meta:
        meta["timed_refresh_immune_slices"] = ids(meta["timed_refresh_immune_slices"])
    if "expanded_slices" in meta:
        meta["expanded_slices"] = {
            str(new[int(k)]): v for k, v in meta["expanded_slices"].items() if int(k) in new
        }
    return config


def _normalize(name: str, text: str, served: str) -> tuple[str, str]:
    """An exported file made independent of the install: no ids, no local paths.

    File names lose their ``_<id>`` suffix; the served file's path becomes the token;
    charts lose their dataset's id (the importer sets it from ``dataset_uuid``); dataset
    columns are sorted by name; dashboards get their chart ids renumbered.
    """
    name = ID_SUFFIX.sub(".yaml", name)
    if name.startswith("databases/"):
        return name, text.replace(served, HOME_TOKEN)
    config = yaml.safe_load(text)
    if name.startswith("charts/"):
        config["params"].pop("datasource", None)
        if config.get("query_context"):
            qc = json.loads(config["query_context"])
            qc["datasource"] = {"id": 0, "type": "table"}
            qc.get("form_data", {}).pop("datasource", None)
            for query in qc.get("queries", []):
                query.pop("datasource", None)
            config["query_context"] = json.dumps(qc)
    elif name.startswith("datasets/"):
        config["columns"] = sorted(config["columns"], key=lambda c: c["column_name"])
        config["metrics"] = sorted(config["metrics"], key=lambda m: m["metric_name"])
    elif name.startswith("dashboards/"):
        config = _renumber_dashboard(config)
    return name, yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def export_bundle(out: Path) -> list[str]:
    """Every object, in the bundle's layout, independent of this install (`_normalize`)."""
    from superset.commands.export.assets import ExportAssetsCommand

    _as_admin()
    served = str(folio_home())
    written = []
    for name, content in ExportAssetsCommand().run():
        name, text = _normalize(name, content(), served)
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(name)
    return sorted(written)


def reset_admin_password() -> str:
    """A new generated password for the admin, kept in the home (mode 600); returns it."""
    from superset import security_manager

    user = security_manager.find_user(username=ADMIN)
    if user is None:
        raise SystemExit("no admin user: run `folio superset init` first")
    password = secrets.token_urlsafe(18)
    security_manager.reset_password(user.id, password)
    _write_secret(folio_home() / "superset" / "admin_password", password)
    return password


def add_user(name: str, role: str, password: str) -> None:
    from superset import security_manager

    if security_manager.find_user(username=name) is not None:
        raise SystemExit(f"Superset user {name} exists already")
    found = security_manager.find_role(role)
    if found is None:
        raise SystemExit(f"no Superset role {role}")
    if not security_manager.add_user(
        name, name, "Folio", f"{name}@folio.invalid", found, password=password
    ):
        raise SystemExit(f"could not create Superset user {name}")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    report: dict[str, Any] = {}
    if cmd == "init":
        _superset("db", "upgrade")
        _superset("init")
    app = _app()
    with app.app_context():
        if cmd == "init":
            password = ensure_admin()
            report["imported"] = import_bundle(Path(args[0]))
            report["roles"] = sync_roles()
            if password:
                report["admin_password"] = password
        elif cmd == "import":
            report["imported"] = import_bundle(Path(args[0]))
            report["roles"] = sync_roles()
        elif cmd == "export":
            report["exported"] = export_bundle(Path(args[0]))
        elif cmd == "reset-admin-password":
            report["admin_password"] = reset_admin_password()
        elif cmd == "add-user":
            add_user(args[0], args[1], sys.stdin.readline().rstrip("\n"))
            report["user"] = args[0]
        else:
            print(f"unknown command {cmd}", file=sys.stderr)
            return 2
    # Superset prints to stdout too ("Loaded your LOCAL configuration ..."): the report
    # follows a marker line, and the caller reads what comes after it
    print(REPORT_MARKER)
    print(yaml.safe_dump(report, sort_keys=False), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
