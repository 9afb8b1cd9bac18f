"""Fixtures shared by the integration tests that start real ``vaultroom serve`` processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Nodes


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Nodes]:
    """``serve`` processes, all terminated in teardown."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    started = Nodes(log_dir=log_dir)
    try:
        yield started
    finally:
        started.stop_all()
