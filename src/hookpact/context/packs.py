"""Expertise packs in three layers, and the capped text that carries them to the model.

For a domain, the first layer that has a pack wins:

1. project: ``.claude/expertise/<domain>.md``, the ``*.md`` files of
   ``.claude/agents/experts/<domain>/``, or the output of the domain's command in
   ``.claude/hookpact.json`` (``context.commands``);
2. user: ``~/.claude/expertise/<domain>.md``;
3. built-in: ``hookpact/claude-config/expertise/<domain>.md``.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hookpact.context.config import ContextConfig
    from hookpact.context.domains import Domain
    from hookpact.context.steps import Steps

BUILTIN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "claude-config", "expertise")
COMMAND_SHARE = 1.5  # seconds one pack command may take at most


class Pack:
    __slots__ = ("domain", "layer", "source", "text")

    def __init__(self, domain: str, layer: str, source: str, text: str) -> None:
        self.domain = domain
        self.layer = layer
        self.source = source
        self.text = text


def _read(path: str, limit: int = 64 * 1024) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(limit).strip()
    except OSError:
        return None


def run_pack_command(argv: list[str], cwd: str, seconds: float) -> str:
    """stdout of ``argv`` run in ``cwd``; its whole process group is killed if it overruns."""
    import signal as signal_module
    import subprocess

    with subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, start_new_session=True) as proc:
        try:
            out, _ = proc.communicate(timeout=seconds)
        except BaseException:  # a timeout, or the step's alarm: the command and its children go
            try:
                os.killpg(proc.pid, signal_module.SIGKILL)
            except OSError:
                pass
            raise
    if proc.returncode != 0:
        raise OSError(f"exited {proc.returncode}")
    return out.decode("utf-8", "replace").strip()


def find_pack(domain: str, root: str, home: str | None, config: ContextConfig, steps: Steps) -> Pack | None:
    safe = domain.replace("/", "_").replace("\\", "_")
    if safe.startswith("."):
        return None
    project = os.path.join(root, ".claude", "expertise", f"{safe}.md")
    text = _read(project)
    if text:
        return Pack(domain, "project", f".claude/expertise/{safe}.md", text)
    folder = os.path.join(root, ".claude", "agents", "experts", safe)
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".md"))
    except OSError:
        names = []
    parts = [t for t in (_read(os.path.join(folder, n)) for n in names) if t]
    if parts:
        return Pack(domain, "project", f".claude/agents/experts/{safe}/", "\n\n".join(parts))
    argv = config.commands.get(domain)
    if argv:
        def produce() -> str:
            import subprocess

            seconds = max(0.05, min(COMMAND_SHARE, steps.left()) - 0.05)
            try:
                return run_pack_command(argv, root, seconds)
            except subprocess.TimeoutExpired:
                steps.skipped.append(f"pack command for {domain} (ran out of its {seconds:.1f}s share of the budget)")
                return ""
            except (OSError, subprocess.SubprocessError) as exc:
                steps.skipped.append(f"pack command for {domain} ({type(exc).__name__}: {exc})")
                return ""
        text = steps.run(f"pack command for {domain}", COMMAND_SHARE, produce, default="")
        if text:
            return Pack(domain, "project", "context.commands." + domain, text)
    if home:
        text = _read(os.path.join(home, ".claude", "expertise", f"{safe}.md"))
        if text:
            return Pack(domain, "user", f"~/.claude/expertise/{safe}.md", text)
    text = _read(os.path.join(BUILTIN_DIR, f"{safe}.md"))
    if text:
        return Pack(domain, "built-in", f"hookpact built-in {safe}.md", text)
    return None


def cut(text: str, limit: int, what: str) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit].rsplit("\n", 1)[0] if "\n" in text[:limit] else text[:limit]
    return f"{head}\n[... {what} cut at {limit} characters]"


def gather(domains: list[Domain], root: str, env: Mapping[str, str], config: ContextConfig,
           steps: Steps) -> tuple[list[Pack], list[str]]:
    """(packs found, in domain order; domains that have no pack)."""
    packs, missing = [], []
    home = env.get("HOME")
    for domain in domains:
        if steps.left() <= 0.01:
            steps.skipped.append(f"pack for {domain.name} (no budget left)")
            continue
        pack = find_pack(domain.name, root, home, config, steps)
        if pack is None:
            missing.append(domain.name)
        else:
            packs.append(pack)
    return packs, missing


def render(title: str, packs: list[Pack], config: ContextConfig, *, notes: list[str] | None = None,
           budget_notes: list[str] | None = None) -> str:
    """``title``, then each pack in priority order while it fits ``config.max_chars``; then what was left out."""
    parts = [title]
    for note in notes or ():
        parts.append(note)
    used = sum(len(p) + 2 for p in parts)
    left_out: list[str] = []
    reserve = 400  # room for the closing lines
    for pack in packs:
        block = f"## {pack.domain} ({pack.layer}: {pack.source})\n{cut(pack.text, config.pack_chars, 'pack')}"
        if used + len(block) + 2 > config.max_chars - reserve:
            left_out.append(pack.domain)
            continue
        parts.append(block)
        used += len(block) + 2
    if left_out:
        parts.append(f"Left out for size (context.max_chars={config.max_chars}): {', '.join(left_out)}. "
                     "Ask for them or read their packs if the task needs them.")
    if budget_notes:
        parts.append("Not included because a step ran out of time: " + "; ".join(budget_notes) + ".")
    return cut("\n\n".join(parts), config.max_chars, "context")
