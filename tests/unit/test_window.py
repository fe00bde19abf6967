import datetime as dt

import pytest

from folio.core.errors import FolioError
from folio.core.window import Window, from_interval


def utc(*a):
    return dt.datetime(*a, tzinfo=dt.UTC)


def test_nightly_interval_is_the_utc_day_it_starts_on():
    w = from_interval(utc(2026, 1, 4, 2), utc(2026, 1, 5, 2))
    assert (w.start, w.end) == (dt.date(2026, 1, 4), dt.date(2026, 1, 4))


def test_midnight_aligned_interval_covers_whole_days():
    w = from_interval(utc(2026, 1, 1), utc(2026, 2, 1))
    assert (w.start, w.end, w.n_days) == (dt.date(2026, 1, 1), dt.date(2026, 1, 31), 31)


def test_conf_window_overrides_interval():
    w = from_interval(
        utc(2026, 1, 4, 2), utc(2026, 1, 5, 2), {"start": "2025-12-01", "end": "2026-01-04"}
    )
    assert (w.start, w.end) == (dt.date(2025, 12, 1), dt.date(2026, 1, 4))


def test_bad_conf_and_reversed_windows_are_clear_errors():
    with pytest.raises(FolioError, match="expected YYYY-MM-DD"):
        from_interval(utc(2026, 1, 4, 2), utc(2026, 1, 5, 2), {"start": "yesterday"})
    with pytest.raises(FolioError, match="before it starts"):
        Window(dt.date(2026, 1, 5), dt.date(2026, 1, 4))
