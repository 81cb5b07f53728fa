"""Hot path: load the compiled contract set for a project, recompiling when it changed.

Standard library only. The compiled form is JSON in the state directory, keyed by
the project root and stamped with a fingerprint of the contract files and of every
settings layer (core.config.fingerprint: name, size, mtime, inode; the HOOKPACT_*
settings). When the fingerprint no longer matches, the compiler runs once in a
separate, isolated interpreter, so this process never imports jsonschema or
pathspec, and an edited contract is picked up with no manual step.

Single flight: a stale cache is recompiled by one hook at a time (an ``flock`` on a lock
file beside the cache); the others wait within their deadline and re-read the cache, so
fifty hooks racing a contract edit compile once.

The ledger (``contracts/ledger/<key>.json`` in the state dir) records which agents had contracts:
the compiler writes it whenever it compiles a non-empty set, ``hookpact install`` and
``hookpact contracts accept-empty`` record "no contracts". A set that compiles empty while
the ledger names agents is marked ``vanished``, and ``contracts.check`` denies every write:
an ``rm`` + ``cp`` of the only contract, or a checkout that deletes it, never opens a
window in which everything is allowed.
"""

from __future__ import annotations

import os
import sys

import hookpact
from hookpact.core import config
from hookpact.core import fastjson as json
from hookpact.core.budget import run_command
from hookpact.core.errors import ContractError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hookpact.core.budget import Deadline

FORMAT = 3  # 2: contracts carry unresolved_writes, the set carries shell settings; 3: layered settings, teams
CONTRACTS_DIR = (".claude", "contracts")
SETTINGS_FILE = (".claude", "hookpact.json")
SCHEMA_FILE_NAME = "contract.schema.json"


def contracts_dir(root: str) -> str:
    return os.path.join(root, *CONTRACTS_DIR)


def settings_file(root: str) -> str:
    return os.path.join(root, *SETTINGS_FILE)


def contract_files(root: str) -> list[str]:
    """Contract file names in ``.claude/contracts`` (sorted), the schema copy excluded."""
    try:
        names = os.listdir(contracts_dir(root))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(n for n in names if n.endswith(".json") and n != SCHEMA_FILE_NAME and not n.startswith("."))


def fingerprint(root: str) -> list[list[object]]:
    """What must not change for a compiled set to stay valid."""
    def stamp(path: str, name: str) -> list[object]:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return [name, None]
        except OSError as exc:
            return [name, f"unreadable: {exc.strerror}"]
        return [name, st.st_size, st.st_mtime_ns, st.st_ino]

    directory = contracts_dir(root)
    stamps = [*config.fingerprint(root), stamp(directory, ".")]
    stamps.extend(stamp(os.path.join(directory, name), name) for name in contract_files(root))
    return stamps


def for_agent(cset: dict[str, Any], agent: str) -> dict[str, Any]:
    """``cset`` as seen by ``agent``: its team layer's settings (``teams/<agent>/hookpact.json``) applied."""
    team = (cset.get("teams") or {}).get(agent)
    return {**cset, **team} if isinstance(team, dict) else cset


def cache_key(root: str) -> str:
    """A file name for ``root``: the path itself, escaped (no hashing module on the hot path).

    Over-long names are cut; the cache records its root and a mismatch just recompiles.
    """
    key = root.replace("%", "%25").replace("/", "%2F").replace("\\", "%5C").replace(":", "%3A")
    # Cut by bytes, not characters: a file name is at most 255 bytes, and a character of a
    # non-ASCII root takes up to four. A character split by the cut is dropped.
    return key.encode("utf-8", "surrogatepass")[-200:].decode("utf-8", "ignore")


def cache_path(state_dir: str, root: str) -> str:
    return os.path.join(state_dir, "contracts", f"{cache_key(root)}.json")


def ledger_path(state_dir: str, root: str) -> str:
    return os.path.join(state_dir, "contracts", "ledger", f"{cache_key(root)}.json")


def read_ledger(state_dir: str, root: str) -> list[str] | None:
    """The agents last recorded with contracts for ``root`` ([] = "no contracts" confirmed), or None."""
    data = read_cache(ledger_path(state_dir, root))
    if data is None or data.get("root") != root or not isinstance(data.get("agents"), list):
        return None
    return [str(agent) for agent in data["agents"]]


def write_ledger(state_dir: str, root: str, agents: list[str]) -> str:
    """Record the agents that have contracts in ``root`` (atomically). Raises OSError."""
    from hookpact.core.dirs import open_private

    path = ledger_path(state_dir, root)
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = open_private(tmp, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"root": root, "agents": sorted(agents)}, fh)
    os.replace(tmp, path)
    return path


def agents_of(cset: dict[str, Any]) -> list[str]:
    """Every agent with a contract file, valid or not."""
    return sorted({*cset.get("contracts", {}), *cset.get("errors", {})})


def record(cset: dict[str, Any], state_dir: str) -> None:
    """Remember a non-empty set's agents (never an empty one: only a person confirms that)."""
    agents = agents_of(cset)
    if agents and read_ledger(state_dir, cset["root"]) != agents:
        write_ledger(state_dir, cset["root"], agents)


def settle(cset: dict[str, Any], state_dir: str) -> dict[str, Any]:
    """For cold callers that compiled in process (explain, validate, doctor): record, then annotate."""
    try:
        record(cset, state_dir)
    except OSError:
        pass  # a read-only state dir: the hooks' own compile records it, or nothing can
    return annotate(cset, state_dir)


def annotate(cset: dict[str, Any], state_dir: str) -> dict[str, Any]:
    """``cset`` marked ``vanished`` when it is empty but the ledger remembers contracts."""
    if agents_of(cset):
        return cset
    remembered = read_ledger(state_dir, cset["root"])
    if remembered:
        return {**cset, "vanished": remembered}
    return cset


def read_cache(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_fresh(cache: dict[str, Any] | None, root: str, stamps: list[list[object]]) -> bool:
    return (
        cache is not None
        and cache.get("format") == FORMAT
        and cache.get("version") == hookpact.__version__
        and cache.get("root") == root
        and cache.get("fingerprint") == stamps
    )


class _SingleFlight:
    """An exclusive ``flock`` on ``path``, waited for within ``deadline`` (less ``reserve`` to compile).

    Best effort: a lock file that cannot be opened, or a wait that would leave too little
    time to compile, proceeds without the lock (the compile is idempotent; this only saves work).
    """

    def __init__(self, path: str, deadline: Deadline, reserve: float) -> None:
        self.path, self.deadline, self.reserve = path, deadline, reserve
        self.fd: int | None = None

    def __enter__(self) -> _SingleFlight:
        import fcntl
        import time

        from hookpact.core.dirs import open_private

        try:
            self.fd = open_private(self.path, os.O_RDWR)
        except OSError:
            return self
        pause = 0.005
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                pass
            except OSError:
                break
            left = self.deadline.remaining() - self.reserve
            if left <= 0:
                break
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)
        os.close(self.fd)
        self.fd = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None


def load(root: str, state_dir: str, deadline: Deadline) -> dict[str, Any]:
    """The compiled contract set for ``root``; compiles it first if stale (one process at a time)."""
    root = os.path.realpath(root)
    stamps = fingerprint(root)
    path = cache_path(state_dir, root)
    cache = read_cache(path)
    if is_fresh(cache, root, stamps):
        assert cache is not None
        return annotate(cache, state_dir)
    # Leave at least half of what is left (and 1 s) to compile if the wait runs long.
    reserve = max(1.0, deadline.remaining() / 2)
    with _SingleFlight(f"{path}.lock", deadline, reserve):
        # Whoever held the lock before us may have compiled exactly this: re-read first.
        cache = read_cache(path)
        if is_fresh(cache, root, fingerprint(root)):
            assert cache is not None
            return annotate(cache, state_dir)
        return annotate(compile_now(root, state_dir, deadline), state_dir)


def compile_now(root: str, state_dir: str, deadline: Deadline) -> dict[str, Any]:
    """Compile ``root``'s contracts in an isolated child interpreter (it writes the cache and ledger)."""
    path = cache_path(state_dir, root)
    code, out, err = run_command(
        [sys.executable, "-I", "-m", "hookpact.contracts.compile", "--root", root, "--state-dir", state_dir,
         "--print"],
        deadline, "compiling the contracts",
    )
    # The compiler prints what it compiled, so a state dir that cannot be written (a
    # read-only or full disk) costs a compile per call rather than denying every write.
    try:
        cache = json.loads(out) if code == 0 else None
    except ValueError:
        cache = read_cache(path)
    if code != 0 or not isinstance(cache, dict):
        tail = err.strip().splitlines()[-1:] or ["no output"]
        raise ContractError(f"the contracts could not be compiled ({tail[0]})", file=contracts_dir(root))
    if not is_fresh(cache, root, fingerprint(root)):
        raise ContractError("the contracts changed while they were being compiled; retry", file=contracts_dir(root))
    return cache
