"""The launcher: re-runs the Bash tool's own shell command string under Landlock.

Claude Code runs every Bash tool call as ``bash -c '<snapshot> && <CLAUDE_ENV_FILE lines> && ...
eval '<command>' && pwd -P >| <cwd file>'``. hookpact's SessionStart hook adds one line to the
env file (sandbox/session.py) that hands that whole string to this launcher, which takes the
ticket the Bash guard issued for the call (sandbox/ticket.py), forks, confines the child and
execs the same shell with the same string: snapshot, cwd tracking, exit code and output are the
CLI's own, and the command text the permission rules saw is unchanged.

The parent stays outside the sandbox only to wait, to undo changes to the tripwired git files
(sandbox/tripwire.py) and to report. Run as ``python -I -S launch.py STATE SHELL STRING``:
``-S`` keeps site (and every ``.pth`` file in the venv) out, so the path to the package is put
on ``sys.path`` by hand. Standard library only.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hookpact.sandbox.policy import Policy

SANDBOXED = "HOOKPACT_SANDBOXED"
#: Where TMPDIR and the common tool caches point inside the sandbox.
CACHE_VARIABLES = ("TMPDIR", "TMP", "TEMP", "XDG_CACHE_HOME", "npm_config_cache", "GOCACHE", "GOTMPDIR",
                   "PIP_CACHE_DIR", "YARN_CACHE_FOLDER")
FORWARDED_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
UNCONFINED_EXIT = 126


def _say(message: str) -> None:
    try:
        os.write(2, f"hookpact sandbox: {message}\n".encode("utf-8", "replace"))
    except OSError:
        pass


def _log(state_dir: str, record: dict[str, object]) -> None:
    from hookpact.core.log import record_run

    record_run(state_dir, {"hook": "sandbox", "event": "PreToolUse", "tool": "Bash", "origin": "sandbox", **record})


def strict_policy(tmp: str) -> Policy:
    from hookpact.sandbox.policy import DEVICE_FILES, DEVICE_TREES, Policy

    return Policy("", ((tmp, ()), *((d, ()) for d in DEVICE_TREES)), DEVICE_FILES, (), tmp)


def session_tmp(base: str) -> str:
    """A private directory for this user's confined commands (created 0700, owner checked)."""
    path = os.path.join(base, f"hookpact-{os.getuid()}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if st.st_uid != os.getuid() or not os.path.isdir(path) or os.path.islink(path) or st.st_mode & 0o077:
        raise PermissionError(f"{path} is not a private directory of this user")
    return path


def cwd_file(command: str) -> str | None:
    """The file the CLI's shell writes its final directory to (``pwd -P >| FILE`` at the end)."""
    at = command.rfind("pwd -P >| ")
    if at < 0:
        return None
    rest = command[at + len("pwd -P >| "):].split()
    return rest[0] if rest and os.path.isabs(rest[0]) and "'" not in rest[0] else None


def grants(policy: Policy) -> tuple[list[str], list[str]]:
    from hookpact.sandbox.policy import carve, scan_dir

    trees: list[str] = []
    files: list[str] = list(policy.files)
    for tree, carved in policy.trees:
        sub_trees, sub_files = carve(tree, carved, scan_dir)
        trees.extend(sub_trees)
        files.extend(sub_files)
    return trees, files


def carved(policy: Policy) -> list[str]:
    return [path for _, paths in policy.trees for path in paths]


def confinement(policy: Policy) -> tuple[list[str], list[str]]:
    """(trees, files) to grant: carve-outs mounted read-only where a mount namespace can be had
    (sandbox/mounts.py) so their trees are granted whole, a grant inside a carve-out (the project's
    ``src/`` when the project lies in a temp root) kept writable as a mount of its own; carved child
    by child where no namespace can be had."""
    from hookpact.sandbox.policy import Policy as _Policy
    from hookpact.sandbox.policy import within

    mountable = carved(policy)
    if mountable and os.environ.get("HOOKPACT_SANDBOX_MOUNTS", "1") != "0":
        from hookpact.sandbox import mounts

        # A grant inside another tree's carve-out (the project, carved out of /tmp, granted as a tree
        # of its own), and a granted file inside any carve-out (the CLI's cwd file).
        inside = [tree for tree, cut in policy.trees if tree not in cut and any(
            within(tree, c) for other, cuts in policy.trees if other != tree for c in cuts)]
        inside += [f for f in policy.files if any(within(f, c) and f != c for c in mountable)]
        try:
            _, unmounted = mounts.protect(mountable, inside, policy.tripwire)
            # A carve-out that is a link cannot be mounted over: Landlock keeps its parent ungranted.
            # One that does not exist yet is left to the tripwire (main), so that a granted directory
            # holding it (a project without .mcp.json) keeps taking new entries.
            mountable = [c for c in mountable if c not in unmounted or not os.path.lexists(c)]
        except OSError:
            mountable = []  # no namespace here: carve (whatever was mounted already only takes rights away)
        left = tuple((tree, tuple(c for c in cut if c not in mountable)) for tree, cut in policy.trees)
        policy = _Policy(policy.agent, left, policy.files, policy.tripwire, policy.tmp)
    return grants(policy)


def child(policy: Policy, shell: str, command: str, tmp: str) -> None:
    """In the forked child: confine, then become the shell. Never returns."""
    from hookpact.sandbox import landlock

    try:
        trees, files = confinement(policy)
        landlock.restrict(trees, files)
    except OSError as exc:
        _say(f"could not confine this command, so it did not run: {exc}. Run `hookpact doctor`.")
        os._exit(UNCONFINED_EXIT)
    env = dict(os.environ)
    for name in CACHE_VARIABLES:
        env[name] = tmp
    env[SANDBOXED] = str(os.getpid())  # the shell keeps this pid: its env line sees it and goes on
    try:
        os.execve(shell, [shell, "-c", command], env)
    except OSError as exc:
        _say(f"could not start {shell}: {exc}")
        os._exit(127)


def forward_signals() -> list[int]:
    """Pass the signals Claude Code sends (a timeout, an interrupt) on to the confined command.

    Installed before the fork, so none is lost in between; the child's exec resets them.
    """
    import _signal  # type: ignore[import-not-found]  # the C module: ``signal`` itself imports enum, ~10 ms on every Bash call

    target: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        for pid in target:
            try:
                os.kill(pid, signum)
            except OSError:
                pass

    for name in FORWARDED_SIGNALS:
        _signal.signal(getattr(_signal, name), forward)
    return target


def wait_for(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)
        except InterruptedError:
            continue


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    if len(argv) != 4:
        _say("usage: launch.py STATE_DIR SHELL COMMAND_STRING")
        return 2
    state_dir, shell, command = argv[1], argv[2], argv[3]
    from hookpact.sandbox import ticket, tripwire

    token = ticket.token_in(command)
    if token is None:
        # Not an agent's tool call that the Bash guard judged (the person's own `!` commands; the
        # guard's read-only fast path): run it as the CLI would have.
        os.environ[SANDBOXED] = str(os.getpid())
        os.execv(shell, [shell, "-c", command])
    data = ticket.take(state_dir, token)
    extra: dict[str, str] = {}
    base = os.environ.get("TMPDIR") if os.path.isabs(os.environ.get("TMPDIR", "")) else "/tmp"
    try:
        own = session_tmp(base or "/tmp")
    except OSError as exc:
        _say(f"no private temp directory ({exc}); the command did not run")
        return UNCONFINED_EXIT
    if data is None:
        _say("this command's sandbox ticket was already used or never issued; it runs with nothing "
             "writable but the temp directory")
        policy = strict_policy(own)
        _log(state_dir, {"decision": "deny", "rule": "sandbox.ticket", "reason": "no valid ticket: confined to temp"})
    else:
        try:
            policy, extra = ticket.decode(data)
        except ValueError as exc:
            _say(f"unreadable sandbox ticket ({exc}); the command did not run")
            return UNCONFINED_EXIT
    tmp = policy.tmp
    try:
        os.makedirs(tmp, mode=0o700, exist_ok=True)
    except OSError:
        tmp = own
    track = cwd_file(command)
    if track is not None:
        # Created here, outside the sandbox, so the confined shell can write it wherever it is.
        try:
            os.close(os.open(track, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))
            policy.files = (*policy.files, track)
        except OSError:
            pass
    # Carve-outs that do not exist cannot be mounted over: if the command creates one, it goes.
    absent = tuple(path for path in carved(policy) if not os.path.lexists(path))
    watched = (*policy.tripwire, *absent)
    before = tripwire.snapshot(watched)
    sys.stdout.flush()
    target = forward_signals()
    pid = os.fork()
    if pid == 0:
        child(policy, shell, command, tmp)
    target.append(pid)
    code = wait_for(pid)
    if watched:
        import time

        quarantine = os.path.join(state_dir, "sandbox", "quarantine", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
        try:
            changes = tripwire.restore(before, watched, quarantine)
        except OSError as exc:
            changes = [f"(could not check or restore: {exc})"]
        if changes:
            listed = "; ".join(changes[:5]) + (f"; and {len(changes) - 5} more" if len(changes) > 5 else "")
            _say(f"this command changed files that no agent may change, and hookpact undid it: {listed}. "
                 f"Anything new was moved to {quarantine}.")
            _log(state_dir, {"decision": "deny", "rule": "sandbox.tripwire", "reason": f"undone: {listed}",
                             "agent": policy.agent, "agent_id": extra.get("agent_id"),
                             "session_id": extra.get("session"), "tool_use_id": extra.get("tool_use_id")})
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    raise SystemExit(main(sys.argv))
