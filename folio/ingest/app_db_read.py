"""The app database's side of the extract: its URL, its rows and its keys.

On Postgres the rows come through ``COPY ... TO STDOUT`` and are parsed by Arrow (the bulk
path, near the speed of psql); other databases through the driver's cursor, each value
type-checked (a malformed one is a reason for the quarantine, not a failed run).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

from folio.config import Settings
from folio.core.errors import FolioError


def _kind(col: sa.Column) -> str:
    t = col.type
    if isinstance(t, sa.DateTime):
        return "ts"
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.Integer):
        return "int"
    return "str"


_ARROW = {"ts": pa.timestamp("us"), "bool": pa.bool_(), "int": pa.int64(), "str": pa.string()}


def arrow_schema(table: sa.Table) -> pa.Schema:
    """The Arrow types the lake stores a contract table's columns as."""
    return pa.schema([pa.field(c.name, _ARROW[_kind(c)]) for c in table.columns])


def key_column(table: sa.Table) -> str:
    """The name of the table's primary key column (every app table has one)."""
    return next(iter(table.primary_key.columns)).name


# ---------------------------------------------------------------- the URL and its secret
def app_db_url(settings: Settings) -> str:
    """The app DB's URL: from the Airflow connection if one is named, else FOLIO_APP_DB_URL."""
    if not settings.app_db_conn_id:
        return settings.app_db
    try:
        from airflow.sdk import Connection

        conn = Connection.get(settings.app_db_conn_id)
    except Exception as exc:
        raise FolioError(
            f"Airflow connection {settings.app_db_conn_id!r} (FOLIO_APP_DB_CONN_ID) is not "
            f"usable: {type(exc).__name__}"
        ) from None
    kind = (conn.conn_type or "").lower()
    if kind == "sqlite":
        return f"sqlite:///{conn.host}"
    driver = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}.get(kind, kind)
    url = sa.engine.URL.create(
        driver,
        username=conn.login or None,
        password=conn.password or None,
        host=conn.host or None,
        port=conn.port or None,
        database=conn.schema or None,
    )
    return url.render_as_string(hide_password=False)


def mask_password(url: str) -> None:
    """Register the URL's password with Airflow's log masker (inside a task; else a no-op)."""
    try:
        password = sa.engine.make_url(url).password
    except Exception:
        return
    if not password:
        return
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:
        return
    mask_secret(str(password))


# ---------------------------------------------------------------- reading the source
def _conditions(table: sa.Table, lo, hi, keys, born) -> list:
    """The rows to read, as portable SQLAlchemy clauses (the driver path)."""
    if keys is not None:
        return [table.c[key_column(table)].in_(keys)]
    c = table.c
    in_window = sa.and_(c.created_at >= (born or hi), c.created_at < hi)
    created = c.created_at < hi if lo is None else in_window
    conds = [sa.or_(c.updated_at < hi, created)]
    if lo is not None:
        conds.insert(0, c.updated_at >= lo)
    return conds


def _is_psycopg(conn: sa.Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _copy_out(conn: sa.Connection, table: sa.Table, cols: list[str], where) -> pa.Table:
    """Postgres: ``COPY (select cols ... where) TO STDOUT (FORMAT csv)``, parsed by Arrow."""
    from psycopg import sql

    query = sql.SQL("copy (select {} from {} where {} order by {}) to stdout (format csv)").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in cols),
        sql.Identifier(table.name),
        where,
        sql.Identifier(key_column(table)),
    )
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute("set local timezone = 'UTC'")
    buf = _copy_bytes(raw, query.as_bytes(raw))
    schema = pa.schema([arrow_schema(table).field(c) for c in cols])
    if buf.tell() == 0:
        return schema.empty_table()
    buf.seek(0)
    return pacsv.read_csv(
        buf,
        read_options=pacsv.ReadOptions(column_names=cols, block_size=16 << 20),
        convert_options=pacsv.ConvertOptions(
            column_types={f.name: f.type for f in schema},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,  # "" is an empty string, unquoted empty is NULL
            null_values=[""],
        ),
    )


def _copy_bytes(raw: Any, query: bytes) -> io.BytesIO:
    """Run a ``COPY ... TO STDOUT`` on libpq directly: one call per row, as psql does.

    psycopg's ``cursor.copy()`` iterator costs ~2 us a row in Python; this loop on the
    connection's libpq handle keeps up with psql (bench/bench_pg_extract.py).
    """
    from psycopg import pq

    pg = raw.pgconn
    pg.send_query(query)
    res = pg.get_result()
    if res is None or res.status != pq.ExecStatus.COPY_OUT:
        msg = res.error_message.decode(errors="replace").strip() if res is not None else "?"
        while pg.get_result() is not None:
            pass
        raise FolioError(f"COPY from the app database failed: {msg}")
    buf = io.BytesIO()
    write, get = buf.write, pg.get_copy_data
    while True:
        n, data = get(0)
        if n < 0:
            break
        write(data)
    error = None
    while (res := pg.get_result()) is not None:
        if res.status != pq.ExecStatus.COMMAND_OK:
            error = res.error_message.decode(errors="replace").strip()
    if error:
        raise FolioError(f"COPY from the app database failed: {error}")
    return buf


def _fetch_copy(conn: sa.Connection, table: sa.Table, lo, hi, keys, born) -> pa.Table:
    from psycopg import sql

    if keys is not None:
        where = sql.SQL("{} = any({})").format(sql.Identifier(key_column(table)), sql.Literal(keys))
    else:
        if lo is None:
            created = sql.SQL("created_at < {}").format(sql.Literal(hi))
            where = sql.SQL("(updated_at < {} or {})").format(sql.Literal(hi), created)
        else:
            created = sql.SQL("created_at >= {} and created_at < {}").format(
                sql.Literal(born), sql.Literal(hi)
            )
            where = sql.SQL("updated_at >= {} and (updated_at < {} or ({}))").format(
                sql.Literal(lo), sql.Literal(hi), created
            )
    return _copy_out(conn, table, [c.name for c in table.columns], where)


def source_keys(engine: sa.Engine, table: sa.Table) -> pa.Table:
    """Every key of the source table with its ``updated_at`` (for the key comparison)."""
    pk = key_column(table)
    with engine.connect() as conn:
        if _is_psycopg(conn):
            from psycopg import sql

            with conn.begin():
                t = _copy_out(conn, table, [pk, "updated_at"], sql.SQL("true"))
            return t.rename_columns(["id", "updated_at"])
        src = conn.execute(sa.select(table.c[pk], table.c.updated_at)).fetchall()
    return pa.table(
        {
            "id": pa.array([r[0] for r in src], pa.int64()),
            "updated_at": pa.array([r[1] for r in src], pa.timestamp("us")),
        }
    )


_WHAT = {"int": "an integer", "str": "a string", "ts": "a timestamp", "bool": "a boolean"}


def _convert(kind: str, v: Any) -> Any:
    """One raw driver value to the column's type; ValueError if it is not one."""
    if v is None:
        return None
    t = type(v)
    if kind == "int" and t is int:
        return v
    if kind == "str" and t is str:
        return v
    if kind == "bool" and (t is bool or (t is int and v in (0, 1))):
        return bool(v)
    if kind == "ts":
        out = v if isinstance(v, dt.datetime) else None
        if t is str:
            try:
                out = dt.datetime.fromisoformat(v)
            except ValueError:
                out = None
        if out is not None:
            return out.astimezone(dt.UTC).replace(tzinfo=None) if out.tzinfo else out
    raise ValueError(f"{v!r} is not {_WHAT[kind]}")


def _fetch_rows(
    conn: sa.Connection, table: sa.Table, lo, hi, keys, born
) -> tuple[pa.Table, list[dict]]:
    """Any other database: the driver's raw values, converted and type-checked per row."""
    cols = list(table.columns)
    kinds = [_kind(c) for c in cols]
    conds = _conditions(table, lo, hi, keys, born)
    # literal_column: no SQLAlchemy type processing, so a malformed value reaches the check
    query = (
        sa.select(
            *[sa.literal_column(conn.dialect.identifier_preparer.quote(c.name)) for c in cols]
        )
        .select_from(table)
        .where(*conds)
        .order_by(table.c[key_column(table)])
    )
    good: list[tuple] = []
    bad: list[dict] = []
    for row in conn.execute(query):
        try:
            good.append(tuple(_convert(k, v) for k, v in zip(kinds, row, strict=True)))
        except ValueError:
            for c, k, v in zip(cols, kinds, row, strict=True):
                try:
                    _convert(k, v)
                except ValueError as exc:
                    reason = f"{c.name}: {exc}"
                    break
            bad.append(
                {"row": dict(zip([c.name for c in cols], row, strict=True)), "reason": reason}
            )
    schema = arrow_schema(table)
    arrays = [pa.array([r[i] for r in good], f.type) for i, f in enumerate(schema)]
    return pa.Table.from_arrays(arrays, schema=schema), bad


def fetch(
    engine: sa.Engine, table: sa.Table, lo, hi, keys=None, born=None
) -> tuple[pa.Table, list[dict]]:
    """Rows with ``lo <= updated_at < hi`` and rows created in ``[born, hi)`` but changed
    since (their current version); without ``lo``, every row created before ``hi``; or the
    given keys. Ordered by key."""
    if keys is not None and len(keys) > 10_000:  # bounded statements (SQLite's variable limit)
        parts = [
            fetch(engine, table, lo, hi, keys[i : i + 10_000], born)
            for i in range(0, len(keys), 10_000)
        ]
        return pa.concat_tables([t for t, _ in parts]), [b for _, bs in parts for b in bs]
    with engine.connect() as conn:
        if _is_psycopg(conn):
            with conn.begin():
                return _fetch_copy(conn, table, lo, hi, keys, born), []
        return _fetch_rows(conn, table, lo, hi, keys, born)


def check_columns(engine: sa.Engine, table: sa.Table) -> list[str]:
    """Fail on missing contract columns; return the source's extra columns (drift)."""
    try:
        present = {c["name"] for c in sa.inspect(engine).get_columns(table.name)}
    except sa.exc.NoSuchTableError:
        raise FolioError(f"the app database has no table {table.name}") from None
    missing = [c.name for c in table.columns if c.name not in present]
    if missing:
        raise FolioError(
            f"app database table {table.name} lacks contract column(s): {', '.join(missing)}"
        )
    return sorted(present - {c.name for c in table.columns})
