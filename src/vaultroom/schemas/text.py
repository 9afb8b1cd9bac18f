"""Constraints shared by free-text inputs."""

from __future__ import annotations

# No C0 control characters or DEL: PostgreSQL refuses NUL in text, and no
# legitimate login, search or cursor contains the others.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
