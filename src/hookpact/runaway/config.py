"""The effective ``runaway`` section of hookpact's settings, read on the hot path with the standard library.

The layers (user, project, local, environment; a team file has no ``runaway``, which governs the
whole session) are merged by :mod:`hookpact.core.config`.

Validated in the cold path (``hookpact contracts validate`` against settings.schema.json); here every
value is only type-checked, and a wrong one falls back to its default, never to an exception.
"""

from __future__ import annotations

from hookpact.core import config as layered

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SETTINGS_FILE = (".claude", "hookpact.json")

LOOP_DEFAULTS = {"warn_at": 3, "deny_at": 5, "window": 20}
ESCALATION_DEFAULTS = {"min_interval_s": 300, "failure_streak": 5, "timeout_s": 2.0}


def load(project_dir: str) -> dict[str, Any] | None:
    """The ``runaway`` section, or None when there is none (a failed ``open`` per absent layer file)."""
    section = layered.load(project_dir).section("runaway")
    return section or None


def _int(section: dict[str, Any], key: str, default: int | None) -> int | None:
    value = section.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def loop(section: dict[str, Any] | None) -> dict[str, int] | None:
    raw = (section or {}).get("loop")
    if not isinstance(raw, dict) or raw.get("enabled") is False:
        return None
    out = {key: _int(raw, key, default) or default for key, default in LOOP_DEFAULTS.items()}
    out["warn_at"] = min(out["warn_at"], out["deny_at"])
    return out


def budgets(section: dict[str, Any] | None) -> dict[str, int]:
    raw = (section or {}).get("budgets")
    if not isinstance(raw, dict):
        return {}
    out = {}
    for key in ("session_tool_calls", "agent_tool_calls", "agent_files_written"):
        value = _int(raw, key, None)
        if value is not None:
            out[key] = value
    return out


def escalation(section: dict[str, Any] | None) -> dict[str, Any] | None:
    raw = (section or {}).get("escalation")
    if not isinstance(raw, dict) or not (raw.get("command") or raw.get("webhook")):
        return None
    out: dict[str, Any] = {"command": raw.get("command"), "webhook": raw.get("webhook")}
    for key, default in ESCALATION_DEFAULTS.items():
        value = raw.get(key, default)
        out[key] = value if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 \
            else default
    return out
