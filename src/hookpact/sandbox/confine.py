"""The Bash guard's last step: turn an allowed command into a confined one.

The policy comes from the same contract resolution the hooks decide with (``contracts``), is
written as a one-time ticket, and the command gets the ticket's token on a comment line of its
own (permission rules and prompts ignore comments, so the user's rules keep their effect). The
launcher that the session's env file starts (sandbox/session.py) applies it.
"""

from __future__ import annotations

import os
import sys

from hookpact.sandbox import ticket
from hookpact.sandbox.policy import Policy, derive
from hookpact.sandbox.session import is_confined

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from hookpact.core.decision import Decision

#: A ticket older than this was never taken (the call was refused after the guard allowed it).
TICKET_MAX_AGE = 600.0


def temp_roots(env: Mapping[str, str]) -> list[str]:
    roots = ["/tmp", "/var/tmp"]
    tmpdir = env.get("TMPDIR", "")
    if os.path.isabs(tmpdir):
        roots.append(tmpdir.rstrip("/") or "/")
    return [r for r in roots if r != "/" and os.path.isdir(r)]


def session_tmp(env: Mapping[str, str], session_id: str) -> str:
    from hookpact.sandbox.session import session_key

    base = env.get("TMPDIR", "") if os.path.isabs(env.get("TMPDIR", "")) else "/tmp"
    return os.path.join(os.path.realpath(base), f"hookpact-{os.getuid()}", session_key(session_id))


def policy_for(cset: dict[str, Any], agent: str, *, main_thread: bool, env: Mapping[str, str],
               protected: tuple[str, ...], session_id: str) -> Policy:
    from hookpact.contracts import check

    contract, early = check.resolve_contract(cset, agent, main_thread=main_thread)
    allow_all = contract is None and early is not None and early.kind == "allow"
    return derive(agent, contract, allow_all, root=cset["root"], protected=protected,
                  temp_roots=temp_roots(env), tmp=session_tmp(env, session_id))


def confine(decision: Decision, event: dict[str, Any], cset: dict[str, Any], agent: str, agent_id: str | None,
            *, env: Mapping[str, str], state_dir: str, protected: tuple[str, ...]) -> Decision:
    """``decision`` with the command marked for confinement, if this session's Bash is confined."""
    session_id = str(event.get("session_id") or "")
    # An "ask" the person approves must run confined too: only a deny never runs.
    if decision.kind == "deny" or not is_confined(state_dir, session_id):
        return decision
    policy = policy_for(cset, agent, main_thread=agent_id is None, env=env, protected=protected,
                        session_id=session_id)
    token = ticket.new_token()
    extra = {"session": session_id, "tool_use_id": str(event.get("tool_use_id") or ""), "agent_id": agent_id or "",
             "python": sys.executable}
    ticket.write(state_dir, token, ticket.encode(policy, extra))
    if token.startswith("0"):  # now and then, not on every call
        import time

        ticket.sweep(state_dir, time.time(), TICKET_MAX_AGE)
    command = str(event["tool_input"]["command"])
    return decision.with_input({**event["tool_input"], "command": ticket.mark(command, token)})


def protected_paths(root: str, env: Mapping[str, str], state_dir: str, data_dir: str) -> tuple[str, ...]:
    """What no confined command may write: every path the contract check protects, and the whole
    ``.claude`` directories of the project and the home (the sandbox never grants them), each as
    written and resolved."""
    import time

    from hookpact.contracts import check
    from hookpact.core.dirs import home_dir

    home = home_dir(env)
    key = (root, home, state_dir, data_dir)
    now = time.monotonic()
    cached = _PROTECTED_CACHE.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    whole = [os.path.join(root, ".claude"), *([os.path.join(home, ".claude")] if home else [])]
    paths = [*check.protected_paths(root, home, state_dir, data_dir), *whole]
    # Both spellings: a carve-out that is a link must keep the link too (replacing the link with a
    # directory would otherwise make a fresh, writable ``.claude``).
    result = tuple(dict.fromkeys([*paths, *(os.path.realpath(p) for p in paths)]))
    _PROTECTED_CACHE[key] = (now + check.ENTRY_TTL, result)
    return result


#: As the contract check's own list (``check.ENTRY_TTL``): per process, briefly, so that the resident
#: server does not resolve some 50 paths on every Bash call.
_PROTECTED_CACHE: dict[tuple[str, str | None, str, str], tuple[float, tuple[str, ...]]] = {}
