"""Handing the verification key to a person, once (cold path: ``hookpact install``, ``audit key``).

A new epoch's seed goes to exactly one place the person chose: a new 0600 file they are told to
move off the machine (default ``~/hookpact-audit-<kid>.verify.key``), or the OS keyring through the
optional ``keyring`` package. It never stays in hookpact's state or data directory. Note that a
keyring unlocked in the person's desktop session is reachable by any process of that user,
agents included; a file moved off the machine is the stronger choice (docs/audit.md).
"""

from __future__ import annotations

import os
import time

from hookpact.audit import keys
from hookpact.audit.layout import HEAD, audit_dir
from hookpact.audit.writer import AuditWriter, NewEpoch
from hookpact.core import fastjson as json
from hookpact.core.errors import HookpactError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

KEYRING_SERVICE = "hookpact-audit"


class Handout:
    """Where an epoch's verification key went."""

    __slots__ = ("kid", "base", "path", "keyring")

    def __init__(self, kid: str, base: int, path: str | None, keyring: bool) -> None:
        self.kid = kid
        self.base = base
        self.path = path
        self.keyring = keyring

    def instructions(self) -> list[str]:
        if self.keyring:
            return [f"audit: the verification key of epoch {self.kid} is in your OS keyring "
                    f"(service {KEYRING_SERVICE!r}, user {self.kid!r}); "
                    "check the trail with `hookpact audit verify --keyring`."]
        return [f"audit: the verification key of the audit trail was written to {self.path}",
                "  Move it off this machine now (a password manager, another host, removable media): while it",
                "  stays here, an agent that can read it can forge the whole trail. It is not kept anywhere else.",
                f"  Check the trail with `hookpact audit verify --key {os.path.basename(str(self.path))}`."]


def default_path(kid: str, home: str | None = None) -> str:
    return os.path.join(home or os.path.expanduser("~"), f"hookpact-audit-{kid}.verify.key")


def current_epoch(state_dir: str, data_dir: str) -> keys.KeyState | None:
    """The key state of the epoch the writer is in, if any."""
    head = keys.read_json(os.path.join(audit_dir(state_dir), HEAD)) or {}
    kid = head.get("kid")
    return keys.load_current(data_dir, kid) if isinstance(kid, str) else None


def _keyring_backend() -> object | None:
    """The keyring module if it is installed and has a usable backend, else None."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return keyring


def keyring_available() -> bool:
    return _keyring_backend() is not None


def keyring_key(kid: str) -> keys.VerificationKey | None:
    backend = _keyring_backend()
    if backend is None:
        return None
    try:
        text = backend.get_password(KEYRING_SERVICE, kid)  # type: ignore[attr-defined]
    except Exception:  # any backend failure means "not there"
        return None
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return keys.parse_verification(data, f"keyring {KEYRING_SERVICE}/{kid}")


def new_epoch(state_dir: str, data_dir: str, *, out: str | None = None, use_keyring: bool = False,
              reason: str = "a verification key was handed out") -> Handout:
    """Start a new epoch and hand its seed out; raises :class:`HookpactError` if it cannot be."""
    seed, kid = os.urandom(32), keys.new_kid()
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    backend = _keyring_backend() if use_keyring else None
    if use_keyring and backend is None:
        raise HookpactError("no usable OS keyring: install the `keyring` package with a backend for this system, "
                            "or leave out --keyring to get a file")
    path = None if use_keyring else os.path.abspath(out or default_path(kid))
    result = Handout(kid, 0, path, use_keyring)

    def handout(base: int) -> None:
        payload = json.dumps(keys.verification_payload(kid, base, seed, created), indent=1) + "\n"
        result.base = base
        if backend is not None:
            try:
                backend.set_password(KEYRING_SERVICE, kid, payload)  # type: ignore[attr-defined]
            except Exception as exc:  # the backend's own errors vary
                raise HookpactError(f"the OS keyring refused the key: {exc}") from None
            return
        assert path is not None
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise HookpactError(f"{path} already exists; choose another file with --out") from None
        except OSError as exc:
            raise HookpactError(f"cannot write the verification key to {path}: {exc.strerror}") from None
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(payload)

    try:
        AuditWriter(state_dir, data_dir).start_epoch(NewEpoch(kid, keys.first_key(seed), reason, handout))
    except (OSError, HookpactError) as exc:
        if path is not None and result.base:  # handed out, then the epoch could not start: withdraw it
            try:
                os.unlink(path)
            except OSError:
                pass
        if isinstance(exc, HookpactError):
            raise
        raise HookpactError(f"the audit trail in {state_dir} could not be written: {exc}") from None
    return result


def at_install(emit: Callable[[str], None], env: dict[str, str] | None = None) -> None:
    """``hookpact install``: hand out a verification key unless the current epoch's is already out."""
    from hookpact.core.dirs import data_dir, state_dir

    state, data = state_dir(env), data_dir(env)
    current = current_epoch(state, data)
    if current is not None and current.origin == keys.HANDED_OUT:
        emit(f"audit: the verification key of epoch {current.kid} was handed out before; "
             "`hookpact audit key new` starts a new epoch with a new key")
        return
    try:
        result = new_epoch(state, data, reason="hookpact install handed out a verification key")
    except HookpactError as exc:
        emit(f"warning: audit: no verification key was handed out: {exc}; run `hookpact audit key new`")
        return
    for line in result.instructions():
        emit(line)


def key_health(state_dir: str, data_dir: str) -> list[tuple[str, str, str]]:
    """(level, message, fix) about the audit key, for ``hookpact doctor``: whether the current
    epoch's verification key was handed out, and any verification key left beside the log."""
    found: list[tuple[str, str, str]] = []
    current = current_epoch(state_dir, data_dir)
    if current is None:
        found.append(("warn", "no audit key epoch yet", "run `hookpact audit key new` (install does it too)"))
    elif current.origin != keys.HANDED_OUT:
        found.append(("warn", f"audit key epoch {current.kid} was started by the writer: nobody holds its "
                      "verification key, so its records cannot be authenticated",
                      "run `hookpact audit key new` and move the key file off this machine"))
    try:
        beside = [n for n in os.listdir(data_dir) if n.endswith(".initial.key")]
    except OSError:
        beside = []
    for name in beside:
        found.append(("error", f"a verification key lies beside the audit log: {os.path.join(data_dir, name)}",
                      "move it off this machine (whoever reads it can forge the trail); pass it to verify --key"))
    return found
