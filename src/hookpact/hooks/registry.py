"""The explicit list of hookpact hooks: name -> module, events, fail mode, budget.

Nothing is discovered by magic, so a hook process imports only its own module
and the installer, the SDK adapters and the docs all read the same table.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


class HookSpec:
    """How one hook is wired into Claude Code.

    ``events`` pairs an event name with its matcher (``None``: every tool or source).
    ``enforcing`` hooks fail closed (deny) and are installed with ``onFailure: block``;
    enhancing hooks fail open (exit 0, no output).
    ``timeout`` is the handler timeout in seconds given to Claude Code; the hook's own
    deadline (``budget``) is shorter so it can still answer in time.
    ``gated`` hooks are installed behind a ``/bin/sh`` test (installer/settings.py) that starts
    Python only while the kill switch file exists or the project configures ``runaway``: they run
    on every tool call and have nothing to do otherwise.
    """

    __slots__ = ("name", "module", "events", "enforcing", "timeout", "budget", "summary", "gated")

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
    ) -> None:
        self.name = name
        self.module = module
        self.events = events
        self.enforcing = enforcing
        self.timeout = timeout
        self.budget = budget
        self.summary = summary
        self.gated = gated

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
            (("PostToolUse", None), ("PostToolUseFailure", None), ("PostToolBatch", None),
             ("SubagentStart", None), ("SubagentStop", None), ("SessionStart", None), ("SessionEnd", None),
             ("Stop", None)),
            enforcing=False,
            timeout=10,
            budget=5.0,
            summary="Appends a chained, authenticated record of every tool outcome and hookpact decision "
                    "(hookpact audit).",
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
            (("UserPromptSubmit", None), ("PostToolUseFailure", None), ("PostToolBatch", None)),
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
