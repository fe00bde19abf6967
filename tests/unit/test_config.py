import datetime as dt

import pytest

from folio.config import Settings
from folio.core.errors import FolioError


def test_settings_come_from_folio_env(monkeypatch, tmp_path):
    monkeypatch.setenv("FOLIO_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("FOLIO_SIM_ACCOUNTS", "123")
    monkeypatch.setenv("FOLIO_SIM_END", "2026-03-31")
    s = Settings()
    assert s.home == tmp_path / "h"
    assert s.sim_accounts == 123
    assert s.app_db == f"sqlite:///{tmp_path / 'h' / 'landing' / 'app.db'}"
    assert s.sim_range() == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))


def test_sim_range_handles_month_ends():
    s = Settings(sim_end=dt.date(2026, 2, 28), sim_months=12)
    assert s.sim_range() == (dt.date(2025, 3, 1), dt.date(2026, 2, 28))
    s = Settings(sim_end=dt.date(2026, 11, 30), sim_months=1)
    assert s.sim_range() == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_every_setting_is_documented_in_env_example():
    from folio.config import REPO_ROOT

    text = (REPO_ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"FOLIO_{name.upper()}=" in text, name


def test_the_duckdb_memory_limit_is_checked_when_read(monkeypatch):
    monkeypatch.setenv("FOLIO_DUCKDB_MEMORY_LIMIT", "6GiB")
    assert Settings().duckdb_config == {"memory_limit": "6GiB"}
    assert Settings(duckdb_memory_limit="50%").duckdb_memory_limit == "50%"
    monkeypatch.setenv("FOLIO_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="'lots' is not an amount of memory"):
        Settings()


def test_unwritable_home_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(FolioError, match="not writable"):
        Settings(home=blocker / "home").ensure_home()


def test_the_lake_is_local_unless_an_s3_url_is_given(monkeypatch, tmp_path):
    from pathlib import Path

    monkeypatch.setenv("FOLIO_HOME", str(tmp_path))
    local = Settings()
    assert local.lake == tmp_path / "lake" and isinstance(local.lake, Path)
    assert not local.lake_is_remote and local.lake_filesystem() is None
    monkeypatch.setenv("FOLIO_LAKE_URL", "s3://folio-lake/nightly/lake/")
    remote = Settings()
    assert remote.lake_is_remote and not isinstance(remote.lake, Path)
    assert str(remote.lake / "raw" / "stripe") == "s3://folio-lake/nightly/lake/raw/stripe"
    assert remote.lake_filesystem().protocol[0] == "s3"
    for bad in ("/data/lake", "gs://bucket/lake", "s3://", "s3://Bad_Bucket/x"):
        monkeypatch.setenv("FOLIO_LAKE_URL", bad)
        with pytest.raises(ValueError, match="not an object-storage URL the lake supports"):
            Settings()
