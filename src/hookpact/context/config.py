"""The effective ``context`` section of hookpact's settings, read defensively on the hot path.

The layers (user, project, the agent's team, local, environment) are merged by
:mod:`hookpact.core.config`.

``hookpact contracts validate`` checks it against settings.schema.json; here a value of
the wrong type is ignored rather than trusted, because a context hook must never fail a
session over its own configuration.
"""

from __future__ import annotations

from hookpact.core import config as layered

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_MAX_CHARS = 8000
#: A single pack or summary is cut here, so one long file cannot crowd out the rest.
DEFAULT_PACK_CHARS = 3000
HOOK_SWITCHES = ("session_start", "subagent_start", "pre_edit", "mcp_health")


class ContextConfig:
    __slots__ = ("force", "disable", "max_chars", "pack_chars", "commands", "enabled")

    def __init__(self, section: dict[str, Any] | None = None) -> None:
        section = section if isinstance(section, dict) else {}
        domains = section.get("domains") if isinstance(section.get("domains"), dict) else {}
        assert isinstance(domains, dict)
        self.force: list[str] = _names(domains.get("force"))
        self.disable: set[str] = set(_names(domains.get("disable")))
        self.max_chars = _positive(section.get("max_chars"), DEFAULT_MAX_CHARS)
        self.pack_chars = min(_positive(section.get("pack_chars"), DEFAULT_PACK_CHARS), self.max_chars)
        commands = section.get("commands")
        self.commands: dict[str, list[str]] = {
            name: list(argv) for name, argv in (commands.items() if isinstance(commands, dict) else ())
            if isinstance(name, str) and isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)
        }
        self.enabled = {name: section.get(name) is not False for name in HOOK_SWITCHES}


def _names(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v.strip().lower() for v in value if isinstance(v, str) and v.strip()]


def _positive(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def load(root: str, agent: str | None = None) -> ContextConfig:
    """``agent``: the agent_type the context is for, whose team layer then applies."""
    return ContextConfig(layered.load(root, agent=agent).section("context"))
