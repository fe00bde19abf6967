"""The app database's tables as the extract reads them: Folio's product database behind a
SQLAlchemy URL (a Postgres replica in production; SQLite at ``landing/app.db`` by default).

Timestamps are naive UTC; ``updated_at`` moves on every change (the extract's cursor). Rows
are soft-deleted with ``deleted_at``; some images are hard-deleted (the rows disappear),
which the extract detects by comparing keys. The simulator writes a database of this shape
(``recreate``); the pipeline only reads it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from folio.core.errors import FolioError

metadata = sa.MetaData()


def _fk(target: str) -> sa.ForeignKey:
    # checked at commit, as Django creates them on Postgres: the simulator writes a whole
    # history in one transaction and streams images before their sites' final rows
    return sa.ForeignKey(target, deferrable=True, initially="DEFERRED")


plans = sa.Table(
    "plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("monthly_price_cents", sa.Integer, nullable=False),
    sa.Column("yearly_price_cents", sa.Integer, nullable=False),
    sa.Column("max_images", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(200), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("acquisition_channel", sa.String(32), nullable=False),
    sa.Column("plan_code", sa.String(32), nullable=False),
    sa.Column("billing_interval", sa.String(8), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("stripe_customer_id", sa.String(64), nullable=False),
    sa.Column("signed_up_at", sa.DateTime, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False, index=True),
    sa.Column("deleted_at", sa.DateTime, nullable=True),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("account_id", sa.Integer, _fk("accounts.id"), nullable=False),
    sa.Column("email", sa.String(200), nullable=False),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("last_login_at", sa.DateTime, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False, index=True),
    sa.Column("deleted_at", sa.DateTime, nullable=True),
)

portfolio_sites = sa.Table(
    "portfolio_sites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("account_id", sa.Integer, _fk("accounts.id"), nullable=False),
    sa.Column("subdomain", sa.String(100), nullable=False, unique=True),
    sa.Column("custom_domain", sa.String(200), nullable=True),
    sa.Column("theme", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("published_at", sa.DateTime, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False, index=True),
    sa.Column("deleted_at", sa.DateTime, nullable=True),
)

images = sa.Table(
    "images",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("site_id", sa.Integer, _fk("portfolio_sites.id"), nullable=False),
    sa.Column("account_id", sa.Integer, _fk("accounts.id"), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False, index=True),
    sa.Column("deleted_at", sa.DateTime, nullable=True),
)

TABLES = (plans, accounts, users, portfolio_sites, images)


def connect(url: str) -> Engine:
    """An engine on the app database, checked with a round trip; a clear FolioError if not."""
    try:
        engine = sa.create_engine(url, future=True)
    except Exception as exc:  # bad URL, missing driver
        raise FolioError(f"app database URL {redact(url)!r} is not usable: {exc}") from None
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FolioError(f"cannot reach the app database {redact(url)}: {first}") from None
    return engine


def redact(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def recreate(engine: Engine) -> None:
    """Drop and create Folio's app tables (the simulator owns this database)."""
    metadata.drop_all(engine)
    metadata.create_all(engine)
