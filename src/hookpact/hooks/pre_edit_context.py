"""Pre-edit code context: PreToolUse on Write|Edit|NotebookEdit -> what the model needs to change the file.

Python (``ast``): imports, ``__all__``, top-level definitions with signatures, and the
public names of the repository modules it imports. TypeScript/JavaScript (tree-sitter
grammars): imports and exports. Plus which agent owns the file under the contracts.
Other file types get nothing, decided from the extension before anything is imported,
so they cost about as much as a no-op hook. The same context is not repeated for an
unchanged file within a conversation. Enhancing: fails open, never blocks a tool.

A hook of its own rather than part of the scope guard: the guard fails closed and must
stay small; this one may be slow or wrong without ever denying a write.
"""

from __future__ import annotations

from hookpact.core.decision import Decision

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.runner import HookContext

NAME = "pre_edit_context"
PATH_KEYS = {"Write": "file_path", "Edit": "file_path", "NotebookEdit": "notebook_path"}
PYTHON_EXTS = frozenset({".py", ".pyi"})
JS_EXTS = frozenset({".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"})
SUMMARY_SHARE = 8.0
OWNER_SHARE = 2.0


def extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def owner_note(root: str, path: str, ctx: HookContext) -> str:
    import os

    from hookpact.contracts import check, store
    from hookpact.core.errors import ContractError

    try:
        cset = store.load(root, ctx.state_dir, ctx.deadline)
    except ContractError:
        return ""
    if not cset.get("contracts"):
        return ""
    form = os.path.realpath(path)
    owners = check.owners(cset, form, cset["root"], exclude="")
    if owners:
        return "Owned under the contracts by: " + ", ".join(owners) + "."
    return "No subagent's contract covers this file (the main thread coordinates it)."


def decide(event: dict[str, Any], ctx: HookContext) -> Decision | None:
    key = PATH_KEYS.get(event["tool_name"])
    raw = event["tool_input"].get(key) if key else None
    if not isinstance(raw, str):
        return None
    ext = extension(raw)
    if ext not in PYTHON_EXTS and ext not in JS_EXTS:
        return None  # the hot path: nothing else is imported for files this hook ignores
    import os

    from hookpact.context import config as context_config
    from hookpact.context import seen
    from hookpact.context.steps import Steps
    from hookpact.core.events import agent_of

    path = os.path.normpath(raw if os.path.isabs(raw) else os.path.join(event["cwd"], raw))
    current = seen.stamp(path)
    if current is None:
        return None  # a new file: nothing to describe yet
    root = ctx.project_dir
    agent, agent_id = agent_of(event)
    config = context_config.load(root, agent)
    if not config.enabled["pre_edit"]:
        return None
    state_file = seen.seen_path(ctx.state_dir, str(event.get("session_id") or ""), agent_id)
    if seen.already_given(state_file, path, current):
        return None  # already given in this conversation, and the file has not changed since
    steps = Steps(ctx.deadline)
    real_root = os.path.realpath(root)

    def summary() -> str | None:
        if ext in PYTHON_EXTS:
            from hookpact.context import python_summary

            return python_summary.summarize(path, root if path.startswith(root + os.sep) else real_root,
                                            check=lambda: ctx.deadline.check("summarizing imports"))
        from hookpact.context import js_summary

        return js_summary.summarize(path, root if path.startswith(root + os.sep) else real_root)

    text = steps.run("code summary", SUMMARY_SHARE, summary, default=None)
    owner = steps.run("contract ownership", OWNER_SHARE, owner_note, root, path, ctx, default="")
    if not text and not owner:
        return Decision("pass", rule="no-context", reason=steps.note(), source=NAME) if steps.skipped else None
    parts = ["hookpact code context for the file being changed (keep existing names, imports and exports "
             "consistent):"]
    if text:
        parts.append(text)
    if owner:
        parts.append(owner)
    if steps.skipped:
        parts.append("Not included because a step ran out of time: " + "; ".join(steps.skipped) + ".")
    from hookpact.context.packs import cut

    seen.remember(state_file, path, current)
    return Decision("context", context=cut("\n".join(parts), config.max_chars, "context"),
                    rule="python" if ext in PYTHON_EXTS else "typescript/javascript", reason=steps.note(), source=NAME)


def main(argv: list[str] | None = None) -> int:
    from hookpact.core.runner import run_hook
    from hookpact.hooks.registry import HOOKS

    return run_hook(HOOKS[NAME], decide)


if __name__ == "__main__":
    raise SystemExit(main())
