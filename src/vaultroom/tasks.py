"""Background loops that stop when told to, even if a library swallowed the telling.

``Task.cancel()`` raises ``CancelledError`` at the task's current ``await``. A client
library that catches it there (turning it into its own error, which a loop's
``except Exception`` then absorbs, or into nothing) leaves the loop running while
``stop()`` waits for it forever: seen once in a full test run, a cluster heartbeat
stuck "cancelling" at its sleep. The request itself stays recorded on the task
(``Task.cancelling()``), so loops check it after each step and after each error.
"""

from __future__ import annotations

import asyncio


def raise_if_cancel_requested() -> None:
    """Raise ``CancelledError`` if the current task was asked to stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
