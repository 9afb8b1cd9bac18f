"""Identifier types shared by REST bodies and socket payloads."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

# Ids are 64-bit on PostgreSQL; larger numbers are refused before reaching SQL.
MAX_ID = 2**63 - 1

RowIdField = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
SeqField = Annotated[StrictInt, Field(ge=0, le=MAX_ID)]

# A client-generated key (a UUID is recommended) that makes a retried send idempotent.
CLIENT_MSG_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
ClientMsgId = Annotated[str, Field(min_length=1, max_length=64, pattern=CLIENT_MSG_ID_PATTERN)]
