"""What customers do in the Folio app, as app-DB rows and Segment events.

Sessions: a sign-in, app pages, and the next steps of the account's activation plan
(a site, image uploads, publishing, a custom domain, invited members). Accounts, users and
portfolio sites are kept as rows in memory and written at the end, in the schema of
``folio.contracts.appdb``; images, the bulk, go out in batches.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from folio.contracts import appdb
from folio.simulator.catalog import APP_PAGES, THEMES, UNKNOWN_TRACK_EVENTS
from folio.simulator.clock import DAY_MS, HOUR_MS, HOUR_WEIGHTS, as_dt
from folio.simulator.segment import page, track
from folio.simulator.signups import FIRST_NAMES, LAST_NAMES
from folio.simulator.state import Account, SimState

APP_ROW_TABLES = ("accounts", "users", "portfolio_sites")


def daily_activity(state: SimState, account: Account, day: dt.date, day_start: int) -> None:
    """Maybe one session in the app today, likelier in a trial, fading before churn."""
    rng = account.rng
    if account.status == "canceled":
        chance = 0.01
    else:
        chance = account.engagement * (0.7 if day.weekday() >= 5 else 1.0)
        if account.status == "trialing":
            chance *= 1.6
        if account.churn_ms is not None:
            chance *= max(0.1, min(1.0, (account.churn_ms - day_start) / (45 * DAY_MS)))
    if rng.random() >= min(0.95, chance):
        return
    start = max(
        day_start
        + rng.choices(range(24), weights=HOUR_WEIGHTS)[0] * HOUR_MS
        + rng.randrange(HOUR_MS),
        account.signup_ms + 2 * HOUR_MS,
    )
    if start >= day_start + DAY_MS:
        return
    _session(state, account, start)


def _create_site(state: SimState, account: Account, ms: int) -> None:
    state.last_id["site"] += 1
    account.site_id = site_id = state.last_id["site"]
    subdomain = f"{state.rows['accounts'][account.id]['name'].split()[0].lower()}-{site_id}"
    now = as_dt(ms)
    state.rows["portfolio_sites"][site_id] = {
        "id": site_id,
        "account_id": account.id,
        "subdomain": subdomain,
        "custom_domain": None,
        "theme": account.rng.choice(THEMES),
        "status": "draft",
        "published_at": None,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }
    track(state, account, ms, "Site Created", {"site_id": str(site_id), "subdomain": subdomain})


def _upload(state: SimState, account: Account, ms: int, n: int) -> int:
    """Upload ``n`` images a few seconds apart; returns the time after the last."""
    rng = account.rng
    site = state.rows["portfolio_sites"][account.site_id]
    for _ in range(n):
        state.last_id["image"] += 1
        image_id = state.last_id["image"]
        width, height = rng.choice(((6000, 4000), (4000, 6000), (5472, 3648), (8256, 5504)))
        size = rng.randint(2_000_000, 28_000_000)
        now = as_dt(ms)
        state.new_images.append(
            {
                "id": image_id,
                "site_id": account.site_id,
                "account_id": account.id,
                "filename": f"IMG_{rng.randint(1000, 9999)}.jpg",
                "size_bytes": size,
                "width": width,
                "height": height,
                "created_at": now,
                "updated_at": now,
                "deleted_at": None,
            }
        )
        account.live_images.append(image_id)
        account.images_uploaded += 1
        props = {
            "image_id": str(image_id),
            "site_id": str(site["id"]),
            "size_bytes": size,
            "width": width,
            "height": height,
        }
        track(state, account, ms, "Image Uploaded", props)
        ms += rng.randint(1500, 9000)
    return ms


def _session(state: SimState, account: Account, ms: int) -> None:
    """A sign-in, a few app pages, and the next steps of the account's activation plan."""
    rng = account.rng
    user_id = account.owner_id
    if account.member_ids and rng.random() < 0.3:
        user_id = rng.choice(account.member_ids)
    track(state, account, ms, "Signed In", {}, user_id=user_id)
    state.rows["users"][user_id].update(last_login_at=as_dt(ms), updated_at=as_dt(ms))
    for _ in range(rng.randint(1, 4)):
        ms += rng.randint(15, 240) * 1000
        title = rng.choice(APP_PAGES)
        path = "/" + title.lower().replace(" ", "-")
        base = "https://app.folio.photo"
        page(state, account.device, user_id, ms, title, base, path, None, None, stream="app")
    days_in = (ms - account.signup_ms) // DAY_MS
    if account.site_id is None and days_in >= account.site_day:
        ms += rng.randint(30, 300) * 1000
        _create_site(state, account, ms)
    if account.site_id is not None and account.images_uploaded < account.images_target:
        ms = _upload(
            state,
            account,
            ms + rng.randint(20, 120) * 1000,
            min(account.images_target - account.images_uploaded, rng.randint(1, 30)),
        )
    site = state.rows["portfolio_sites"].get(account.site_id) if account.site_id else None
    if (
        site is not None
        and not account.published
        and account.will_publish
        and account.images_uploaded >= 10
        and days_in >= account.publish_after
    ):
        ms += rng.randint(30, 300) * 1000
        account.published = True
        site.update(status="published", published_at=as_dt(ms), updated_at=as_dt(ms))
        track(state, account, ms, "Site Published", {"site_id": str(site["id"])})
    if site is not None and rng.random() < 0.04:
        ms += rng.randint(30, 300) * 1000
        old, site["theme"] = site["theme"], rng.choice(THEMES)
        site["updated_at"] = as_dt(ms)
        props = {"site_id": str(site["id"]), "from_theme": old, "to_theme": site["theme"]}
        track(state, account, ms, "Theme Changed", props)
    if (
        site is not None
        and account.published
        and not account.domain
        and account.plan != "starter"
        and rng.random() < 0.04
    ):
        ms += rng.randint(30, 300) * 1000
        account.domain = True
        site.update(
            custom_domain=f"www.{site['subdomain'].split('-')[0]}{account.id}.com",
            updated_at=as_dt(ms),
        )
        props = {"site_id": str(site["id"]), "domain": site["custom_domain"]}
        track(state, account, ms, "Domain Connected", props)
    if len(account.member_ids) < account.members_target and rng.random() < 0.15:
        ms += rng.randint(30, 300) * 1000
        state.last_id["user"] += 1
        member_id = state.last_id["user"]
        account.member_ids.append(member_id)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        state.rows["users"][member_id] = {
            "id": member_id,
            "account_id": account.id,
            "email": f"{first.lower()}.{last.lower()}.{member_id}@example.com",
            "full_name": f"{first} {last}",
            "role": "member",
            "last_login_at": None,
            "created_at": as_dt(ms),
            "updated_at": as_dt(ms),
            "deleted_at": None,
        }
        track(state, account, ms, "Invite Sent", {"invitee_role": "member"}, user_id=user_id)
    if account.live_images and rng.random() < 0.04:
        ms += rng.randint(30, 300) * 1000
        for _ in range(min(len(account.live_images), rng.randint(1, 5))):
            image_id = account.live_images.pop(rng.randrange(len(account.live_images)))
            state.image_deletes.append((image_id, ms, rng.random() < 0.3))
            props = {"image_id": str(image_id)}
            track(state, account, ms, "Image Deleted", props, user_id=user_id)
    if account.published and rng.random() < 0.1:
        props = {"site_id": str(account.site_id), "channel": rng.choice(("email", "link"))}
        track(state, account, ms + 5000, "Gallery Shared", props)
    if rng.random() < state.rate["unknown_event"] * 4:
        event = rng.choice(UNKNOWN_TRACK_EVENTS)
        track(state, account, ms + 7000, event, {}, user_id=user_id, unknown=True)


def delete_account(state: SimState, account: Account, ms: int) -> None:
    """Soft-delete the account, its users and its site (rows stay, with deleted_at)."""
    account.deleted = True
    now = as_dt(ms)
    rows = state.rows
    rows["accounts"][account.id].update(deleted_at=now, updated_at=now)
    for user_id in [account.owner_id, *account.member_ids]:
        rows["users"][user_id].update(deleted_at=now, updated_at=now)
    if account.site_id:
        rows["portfolio_sites"][account.site_id].update(
            status="archived", deleted_at=now, updated_at=now
        )


def flush_images(state: SimState, conn: sa.Connection) -> None:
    """Write the images uploaded and deleted since the last flush; hard deletes are defects."""
    if state.new_images:
        conn.execute(appdb.images.insert(), state.new_images)
        state.images_written += len(state.new_images)
        state.new_images = []
    soft = [(image_id, ms) for image_id, ms, is_hard in state.image_deletes if not is_hard]
    hard = [image_id for image_id, _, is_hard in state.image_deletes if is_hard]
    if soft:
        conn.execute(
            appdb.images.update()
            .where(appdb.images.c.id == sa.bindparam("iid"))
            .values(deleted_at=sa.bindparam("ts"), updated_at=sa.bindparam("ts")),
            [{"iid": image_id, "ts": as_dt(ms)} for image_id, ms in soft],
        )
    for image_id, ms, is_hard in state.image_deletes:
        if is_hard:
            state.manifest.add(
                "hard_delete",
                source="app_db",
                table="images",
                id=image_id,
                deleted_on=as_dt(ms).date().isoformat(),
            )
    if hard:
        conn.execute(appdb.images.delete().where(appdb.images.c.id.in_(hard)))
        state.hard_deleted += len(hard)
    state.image_deletes = []


def write_rows(state: SimState, conn: sa.Connection) -> None:
    """Write the accounts, users, sites and plans, as they stand at the end of the range."""
    for name in APP_ROW_TABLES:
        rows = list(state.rows[name].values())
        for k in range(0, len(rows), 5000):
            conn.execute(getattr(appdb, name).insert(), rows[k : k + 5000])
    conn.execute(appdb.plans.insert(), state.plan_rows)
