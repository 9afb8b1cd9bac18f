"""Logging for ``serve`` that keeps secrets out, even at the debug level.

At debug level the ``websockets`` library (through uvicorn's ``uvicorn.error``
logger) writes every handshake header and every frame, which would put session
cookies, ``Authorization`` headers and the Socket.IO ``auth: {token}`` packet in
the log; and ``aiosqlite`` writes every SQL statement with its parameters
(password hashes, emails, message texts). Frames and those headers are redacted,
and ``aiosqlite`` never logs below INFO.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "set-cookie"})
# Loggers whose debug records carry SQL parameters.
QUIET_LOGGERS = ("aiosqlite",)
_FRAME_MESSAGES = frozenset({"< %s", "> %s"})
_HEADER_MESSAGES = frozenset({"< %s: %s", "> %s: %s"})


class RedactSecrets(logging.Filter):
    """Withhold WebSocket frame contents and credential headers from log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.msg in _FRAME_MESSAGES and len(args) == 1:
            frame = args[0]
            opcode = getattr(getattr(frame, "opcode", None), "name", "frame")
            size = len(getattr(frame, "data", b""))
            record.args = (f"{opcode} [{size} bytes, contents not logged]",)
        elif record.msg in _HEADER_MESSAGES and len(args) == 2:
            name = str(args[0])
            if name.lower() in SENSITIVE_HEADERS:
                record.args = (name, "[redacted]")
        return True


def quiet_chatty_loggers() -> None:
    """Keep SQL parameters out of this process's log."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger(name).level))


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration plus the redaction (applied in every worker too)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": "vaultroom.logs.RedactSecrets"}
    config["loggers"]["uvicorn.error"]["filters"] = ["redact_secrets"]
    for name in QUIET_LOGGERS:
        config["loggers"][name] = {"level": "INFO"}
    return config
