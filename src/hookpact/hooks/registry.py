"""The explicit list of hookpact hooks: name -> module, events, fail mode, budget.

Nothing is discovered by magic, so a hook process imports only its own module
and the installer, the SDK adapters and the docs all read the same table.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


class HookSpec:
    """How one hook is wired into Claude Code.

    ``events`` pairs an event name with its matcher (``None``: every tool or source).
    ``enforcing`` hooks fail closed (deny) and are installed with ``onFailure: block``;
    enhancing hooks fail open (exit 0, no output).
    ``timeout`` is the handler timeout in seconds given to Claude Code; the hook's own
    deadline (``budget``) is shorter so it can still answer in time.
    ``gated`` hooks are installed behind a ``/bin/sh`` test (installer/entries.py) that starts
    Python only while the kill switch file exists or the project configures ``runaway``: they run
    on every tool call and have nothing to do otherwise.
    ``gates`` names a gate for single events (``(("PostToolUse", "inbox"),)``): the hook is needed
    on that event only when the gate's shell test says so (installer/entries.py).
    """

    __slots__ = ("name", "module", "events", "enforcing", "timeout", "budget", "summary", "gated", "gates")

    def __init__(
        self,
        name: str,
        module: str,
        events: tuple[tuple[str, str | None], ...],
        *,
        enforcing: bool,
        timeout: int,
        budget: float,
        summary: str,
        gated: bool = False,
        gates: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.name = name
        self.module = module
        self.events = events
        self.enforcing = enforcing
        self.timeout = timeout
        self.budget = budget
        self.summary = summary
        self.gated = gated
        self.gates = gates

    def gate(self, event: str) -> str | None:
        """The shell gate that decides whether this hook has anything to do on ``event``."""
        if self.gated:
            return "runaway"
        for name, gate in self.gates:
            if name == event:
                return gate
        return None

    def on(self, event: str) -> bool:
        return any(name == event for name, _ in self.events)

    def matcher(self, event: str) -> str | None:
        """This hook's matcher for ``event`` (None: everything; check :meth:`on` first)."""
        for name, matcher in self.events:
            if name == event:
                return matcher
        return None

    def __repr__(self) -> str:
        return f"HookSpec({self.name!r}, {self.module!r})"


HOOKS: Mapping[str, HookSpec] = {
    spec.name: spec
    for spec in (
        HookSpec(
            "scope",
            "hookpact.hooks.scope",
            (("PreToolUse", "Write|Edit|NotebookEdit"),),
            enforcing=True,
            timeout=10,
            budget=5.0,
            summary="Denies file writes outside the calling agent's contract (.claude/contracts/).",
        ),
        HookSpec(
            "bash_guard",
            "hookpact.hooks.bash_guard",
            (("PreToolUse", "Bash"),),
            enforcing=True,
            timeout=10,
            budget=5.0,
            summary="Holds Bash commands to the same contracts (write targets read with a bash grammar) and "
                    "denies or warns about dangerous commands (hookpact rules list).",
        ),
        HookSpec(
            "mcp_guard",
            "hookpact.hooks.mcp_guard",
            (("PreToolUse", "mcp__.*"),),
            enforcing=True,
            timeout=10,
            budget=5.0,
            summary="Holds MCP tools that write files (path, file_path, source, destination ...) to the contracts.",
        ),
        HookSpec(
            "audit",
            "hookpact.hooks.audit",
            (("PostToolUse", None), ("PostToolUseFailure", None),
             ("SubagentStart", None), ("SubagentStop", None), ("SessionStart", None), ("SessionEnd", None),
             ("Stop", None)),
            enforcing=False,
            timeout=10,
            budget=5.0,
            summary="Appends a chained, authenticated record of every tool outcome and hookpact decision "
                    "(hookpact audit).",
            # PostToolUse and PostToolUseFailure record every call that ran; the calls that never ran
            # (denied by a rule or another hook) are read from the transcript when the turn ends
            # (audit/unrun.py). PostToolUse's event goes to the audit's spill directory from /bin/sh
            # and is sealed by the next write (installer/entries.py inbox_command).
            gates=(("PostToolUse", "inbox"),),
        ),
        HookSpec(
            "sandbox_session",
            "hookpact.hooks.sandbox_session",
            (("SessionStart", None),),
            enforcing=False,
            timeout=10,
            budget=4.0,
            summary="Confines every Bash command the Bash guard allows to the agent's contract with the kernel "
                    "(Landlock, Linux): writes outside it fail, whatever program makes them.",
        ),
        HookSpec(
            "session_context",
            "hookpact.hooks.session_context",
            (("SessionStart", None),),
            enforcing=False,
            timeout=10,
            budget=4.0,
            summary="Injects expertise for the repository's detected domains at session start (also on resume "
                    "and compact), and reports MCP servers that will not work.",
        ),
        HookSpec(
            "subagent_context",
            "hookpact.hooks.subagent_context",
            (("SubagentStart", None),),
            enforcing=False,
            timeout=10,
            budget=4.0,
            summary="Gives each subagent its team's CLAUDE.md, a summary of its contract and its contract's inputs.",
        ),
        HookSpec(
            "pre_edit_context",
            "hookpact.hooks.pre_edit_context",
            (("PreToolUse", "Write|Edit|NotebookEdit"),),
            enforcing=False,
            timeout=15,
            budget=10.0,
            summary="Before a Python/TypeScript/JavaScript file is changed, tells the model its imports, "
                    "definitions or exports, and which agent owns it.",
        ),
        HookSpec(
            "runaway",
            "hookpact.hooks.runaway",
            (("PreToolUse", "*"),),
            enforcing=True,
            timeout=10,
            budget=5.0,
            summary="Kill switch (hookpact stop), tool-call and file budgets, and loop detection: warns, then "
                    "denies an agent repeating the same call (runaway in .claude/hookpact.json).",
            gated=True,
        ),
        HookSpec(
            "runaway_watch",
            "hookpact.hooks.runaway_watch",
            (("UserPromptSubmit", None), ("PostToolUse", None), ("PostToolUseFailure", None)),
            enforcing=False,
            timeout=10,
            budget=5.0,
            summary="Blocks prompts while the kill switch covers the session; escalates failure streaks, "
                    "hookpact hooks failing or timing out again and again, and denial streaks "
                    "(runaway.escalation).",
            gated=True,
        ),
        HookSpec(
            "completion",
            "hookpact.hooks.completion",
            (("SubagentStop", None), ("Stop", None), ("SessionEnd", None)),
            enforcing=False,
            timeout=300,
            budget=290.0,
            summary="Records what each agent did and what it cost; runs a subagent's completion checks "
                    "(checks.on_complete in its contract) and sends it back while they fail.",
        ),
    )
}


#: Tool-call events: their matcher is tested against ``tool_name``.
_SUBJECT_KEYS = {"SubagentStart": "agent_type", "SubagentStop": "agent_type", "SessionStart": "source",
                 "PreCompact": "trigger", "PostCompact": "trigger", "Notification": "notification_type",
                 "SessionEnd": "reason"}
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _names_only(text: str) -> bool:
    """``A|B``: tool names and bars only, compared exactly (no ``re`` on the hot path: it costs more to
    import than a hook's whole work)."""
    return bool(text) and all(c in _NAME_CHARS or c == "|" for c in text)


def _search(matcher: str, subject: str) -> bool:
    """``re.search(matcher, subject)``; a name prefix followed by ``.*`` (``mcp__.*``) without ``re``."""
    if matcher.endswith(".*") and _names_only(matcher[:-2]) and "|" not in matcher:
        return matcher[:-2] in subject
    import re

    try:
        return re.search(matcher, subject) is not None
    except re.error:
        return False


def subject_of(event: Mapping[str, Any]) -> str | None:
    """What a matcher is tested against for this event: the tool name, agent type, source ..."""
    key = _SUBJECT_KEYS.get(str(event.get("hook_event_name")), "tool_name")
    value = event.get(key)
    return value if isinstance(value, str) else None


def matches(matcher: str | None, subject: str | None) -> bool:
    """Claude Code's matcher semantics (PROTOCOL §1.3): empty or ``*`` match everything; a plain
    ``A|B`` list matches names exactly; anything else is a regular expression searched in the name."""
    if not matcher or matcher == "*":
        return True
    if subject is None:
        return False
    if _names_only(matcher):
        return subject in matcher.split("|")
    return _search(matcher, subject)


def union(matchers: list[str | None]) -> str | None:
    """One anchored matcher that fires wherever any of ``matchers`` does (None: everything)."""
    if any(not m or m == "*" for m in matchers):
        return None
    parts: list[str] = []
    for matcher in matchers:
        text = matcher or ""
        for part in (text.split("|") if _names_only(text) else [text]):
            if part not in parts:
                parts.append(part)
    if all(_names_only(part) for part in parts):
        return "|".join(parts)
    return "^(?:" + "|".join(parts) + ")$"


def complement(matcher: str | None) -> str | None:
    """A matcher for every subject ``matcher`` does not match; None if there are none."""
    if not matcher or matcher == "*":
        return None
    body = matcher[4:-2] if matcher.startswith("^(?:") and matcher.endswith(")$") else matcher
    return "^(?!(?:" + body + ")$).*"


def events() -> list[str]:
    """Every event some hook is registered on, in first-registration order."""
    seen: list[str] = []
    for spec in HOOKS.values():
        for event, _ in spec.events:
            if event not in seen:
                seen.append(event)
    return seen


def checks_for(event: str) -> list[HookSpec]:
    """The hooks on ``event``: enforcing ones first (they must answer whatever the others cost),
    then the rest, each group in registry order."""
    specs = [spec for spec in HOOKS.values() if spec.on(event)]
    return [s for s in specs if s.enforcing] + [s for s in specs if not s.enforcing]
