"""What ``hookpact doctor`` says about the sandbox: the kernel's Landlock ABI, read-only mounts,
and the shell, each as (level, where, what, fix). Loud where Bash runs unconfined."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

RIGHTS_BY_ABI = {2: "links and renames across directories (REFER)", 3: "truncation (TRUNCATE)",
                 5: "device ioctls (IOCTL_DEV)"}


def mounts_available() -> bool:
    """True if a child can have a private mount namespace (what mount mode needs)."""
    pid = os.fork()
    if pid == 0:
        try:
            from hookpact.sandbox import mounts

            mounts.enter_namespace()
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def findings(env: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    from hookpact.sandbox import landlock

    where = "sandbox"
    version = landlock.abi()
    if version < 1:
        return [("error", where, "this kernel has no Landlock: Bash commands are NOT confined; only the Bash "
                 "guard's static checks hold (programs it does not know are refused when they name paths outside "
                 "the contract)", "use Linux 5.13+ with landlock in the LSM list (lsm= boot parameter)")]
    found = [("ok", where, f"Landlock ABI {version}: every Bash command an agent runs is confined to its contract", "")]
    missing = [what for since, what in RIGHTS_BY_ABI.items() if version < since]
    if missing:
        found.append(("warn", where, f"this kernel's Landlock cannot restrict {', '.join(missing)}",
                      "a newer kernel confines more"))
    if mounts_available():
        found.append(("ok", where, "hookpact's files are mounted read-only inside the sandbox (mount namespace)", ""))
    else:
        found.append(("warn", where, "no mount namespace here (unprivileged user namespaces are off): directories "
                      "that hold hookpact's files (the project root, HOME) are granted entry by entry, so Bash "
                      "cannot create new files directly in them", "allow unprivileged user namespaces, or create "
                      "such files with the Write tool"))
    shell = os.path.basename(env.get("SHELL") or "")
    if shell not in ("", "bash", "sh"):
        found.append(("error", where, f"the Bash tool runs {shell}, which hookpact cannot confine: Bash commands "
                      "are checked statically only", "set SHELL=/bin/bash for claude"))
    return found
