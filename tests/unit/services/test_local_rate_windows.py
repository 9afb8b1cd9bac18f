"""The in-memory sliding-window counter: never more than the limit in one window's span."""

from __future__ import annotations

import pytest

from vaultroom.services.rate_limits import _LocalWindows

WINDOW_MS = 60_000


@pytest.mark.parametrize("before_boundary_ms", [1, 500, 30_000, 59_999])
def test_a_burst_across_a_window_boundary_stays_within_the_limit(
    monkeypatch: pytest.MonkeyPatch, before_boundary_ms: int
) -> None:
    windows = _LocalWindows(limit=3, window_ms=WINDOW_MS)
    boundary = 1_000 * WINDOW_MS  # a window index boundary, in ms
    now = {"ms": float(boundary - before_boundary_ms)}
    monkeypatch.setattr("vaultroom.services.rate_limits.time.time", lambda: now["ms"] / 1000)

    # Two hits just before the boundary, then as many as allowed just after it.
    assert windows.hit("alice") == 0
    assert windows.hit("alice") == 0
    now["ms"] = boundary + 1
    allowed = 0
    while windows.hit("alice") == 0:
        allowed += 1
        assert allowed <= 3
    assert 2 + allowed <= 3  # all within a few ms: one window's span


def test_a_refusal_says_when_to_retry_and_the_window_frees_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    windows = _LocalWindows(limit=2, window_ms=WINDOW_MS)
    now = {"ms": 5_000.0 * WINDOW_MS + 10}
    monkeypatch.setattr("vaultroom.services.rate_limits.time.time", lambda: now["ms"] / 1000)
    assert windows.hit("bob") == 0
    assert windows.hit("bob") == 0
    retry_ms = windows.hit("bob")
    assert 0 < retry_ms <= WINDOW_MS
    assert windows.hit("carol") == 0  # per key
    now["ms"] += 2 * WINDOW_MS  # both windows have passed
    assert windows.hit("bob") == 0


def test_a_refund_gives_back_one_place_in_this_or_the_previous_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    windows = _LocalWindows(limit=2, window_ms=WINDOW_MS)
    now = {"ms": 7_000.0 * WINDOW_MS + 10}
    monkeypatch.setattr("vaultroom.services.rate_limits.time.time", lambda: now["ms"] / 1000)
    assert windows.hit("ann") == 0
    assert windows.hit("ann") == 0
    assert windows.hit("ann") > 0
    windows.refund("ann")
    assert windows.hit("ann") == 0
    assert windows.hit("ann") > 0
    # Just after the boundary the hits are the previous window's, still weighing fully.
    now["ms"] = 7_001.0 * WINDOW_MS + 1
    assert windows.hit("ann") > 0
    windows.refund("ann")
    assert windows.hit("ann") == 0
    windows.refund("nobody")  # nothing to give back
