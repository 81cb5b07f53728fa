"""Issue 12 acceptance, played as the agent: it can read every file hookpact keeps on the machine
(state dir, data dir, the current sealing key) and rewrite any of them. The person's verification
key is off the machine. Whatever the agent rewrites, ``verify --key`` must not accept it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookpact.audit import keys
from hookpact.audit.digest import ZERO_HASH, evolve, key_at, sha256_hex
from hookpact.audit.layout import ANCHORS, HEAD, audit_dir
from hookpact.audit.line import seal, seal_anchor
from hookpact.audit.writer import AuditWriter
from hookpact.cli.main import main

from .support import check, log_path, rec


@pytest.fixture
def offline_key(verification_key: Path, tmp_path: Path) -> Path:
    """The person moved the handed-out key off the machine, as install told them to."""
    away = tmp_path / "vault" / "audit.verify.key"
    away.parent.mkdir()
    shutil.move(verification_key, away)
    return away


@pytest.fixture
def trail(offline_key: Path, make_writer: Callable[..., AuditWriter], state: Path) -> Path:
    w = make_writer()
    for n in range(1, 11):
        w.append([rec(n, tool="Bash" if n == 4 else "Write")])
    return log_path(state)


class Agent:
    """Everything the agent can read, and the one thing it cannot: keys before the current one."""

    def __init__(self, state: Path, data: Path) -> None:
        self.state, self.data = state, data
        self.readable = {p: p.read_bytes() for root in (state, data) for p in root.rglob("*") if p.is_file()}
        self.head = json.loads((Path(audit_dir(str(state))) / HEAD).read_bytes())
        current = keys.load_current(str(data), self.head["kid"])
        assert current is not None
        self.current = current
        self.log = log_path(state)
        self.records = [json.loads(line) for line in self.log.read_bytes().splitlines()]

    def key_for(self, seq: int) -> bytes:
        """The best it can do: the current key, evolved forward (never backward)."""
        return key_at(self.current.key, self.current.seq, max(seq, self.current.seq))

    def reseal(self, bodies: list[dict[str, Any]], key_for: Callable[[int], bytes] | None = None) -> None:
        key_for = key_for or self.key_for
        out, prev = [], ZERO_HASH
        for n, original in enumerate(bodies, 1):
            body = {k: v for k, v in original.items() if k != "mac"}
            body["seq"], body["prev"] = n, prev
            line = seal(body, key_for(n))
            out.append(line)
            prev = sha256_hex(line)
        self.log.write_bytes(b"".join(line + b"\n" for line in out))

    def bodies(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.records]


def _edit(agent: Agent) -> None:
    bodies = agent.bodies()
    bodies[3]["tool"] = "Read"  # hide the Bash call
    agent.reseal(bodies)


def _delete(agent: Agent) -> None:
    bodies = agent.bodies()
    del bodies[3]
    agent.reseal(bodies)


def _delete_and_keep_the_key_state_consistent(agent: Agent) -> None:
    bodies = agent.bodies()
    del bodies[3]
    agent.reseal(bodies)
    end = len(bodies) + 1  # rewind the key state and head to match the shorter log
    keys.save_current(str(agent.data), keys.KeyState(agent.current.kid, agent.current.base, end,
                                                     agent.key_for(end), keys.HANDED_OUT))
    head = {**agent.head, "last_seq": len(bodies)}
    (Path(audit_dir(str(agent.state))) / HEAD).write_text(json.dumps(head))


def _forge_a_whole_new_epoch(agent: Agent) -> None:
    """Its own seed, its own key id, anchors and key state to match, and a 'verification key'
    beside the log for good measure."""
    seed = b"\x07" * 32
    kid = "a9e470000000"
    first = keys.first_key(seed)
    bodies = agent.bodies()
    del bodies[3]
    agent.reseal(bodies, lambda n: key_at(first, 1, n))
    directory = Path(audit_dir(str(agent.state)))
    (directory / ANCHORS).write_bytes(seal_anchor({"anchor": "key", "kid": kid, "base": 1, "segment": 1,
                                                   "ts": "t"}, first) + b"\n")
    (directory / HEAD).write_text(json.dumps({**agent.head, "kid": kid, "last_seq": len(bodies)}))
    for path in agent.data.glob("audit-*.key"):
        path.unlink()
    end = len(bodies) + 1
    keys.save_current(str(agent.data), keys.KeyState(kid, 1, end, key_at(first, 1, end), keys.HANDED_OUT))
    (agent.data / f"audit-{kid}.initial.key").write_text(json.dumps(keys.verification_payload(kid, 1, seed, "t")))


def _truncate_and_remove_the_evidence(agent: Agent) -> None:
    agent.log.write_bytes(b"".join(line + b"\n" for line in agent.log.read_bytes().splitlines()[:6]))
    for path in agent.data.glob("audit-*.key"):
        path.unlink()
    (Path(audit_dir(str(agent.state))) / HEAD).unlink()


def _rekey_through_the_writer(agent: Agent) -> None:
    """Delete the key state so the writer starts an epoch of its own, then edit under it."""
    for path in agent.data.glob("audit-*.key"):
        path.unlink()
    AuditWriter(str(agent.state), str(agent.data)).append([rec(99)])
    _edit(Agent(agent.state, agent.data))


def _replay_an_old_copy(agent: Agent) -> None:
    """Put back the log as it was after record 3 (copied earlier), with today's key state."""
    lines = agent.log.read_bytes().splitlines()[:3]
    agent.log.write_bytes(b"".join(line + b"\n" for line in lines))


ATTACKS = {
    "edit an earlier record and re-seal": _edit,
    "delete an earlier record and re-seal": _delete,
    "delete, re-seal, rewind key state and head": _delete_and_keep_the_key_state_consistent,
    "forge a whole new epoch with its own key": _forge_a_whole_new_epoch,
    "cut the end and remove key state and head": _truncate_and_remove_the_evidence,
    "make the writer rekey, then edit": _rekey_through_the_writer,
    "replay an old copy of the log": _replay_an_old_copy,
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_the_agent_cannot_produce_a_log_verify_accepts(trail: Path, state: Path, data: Path, offline_key: Path,
                                                       attack: str) -> None:
    assert check(state, data, key_files=[str(offline_key)]).exit_code == 0
    agent = Agent(state, data)
    assert not any(b'"seed"' in content for content in agent.readable.values())  # the seed is not on the machine
    ATTACKS[attack](agent)
    report = check(state, data, key_files=[str(offline_key)])
    assert report.exit_code != 0, report.as_dict()


def test_the_current_key_cannot_reseal_the_past(trail: Path, data: Path, state: Path) -> None:
    agent = Agent(state, data)
    record_4_key = agent.key_for(4)
    assert record_4_key != key_at(agent.current.key, agent.current.seq, agent.current.seq + 1)
    assert evolve(agent.current.key) == agent.key_for(agent.current.seq + 1)  # forward only


def test_through_the_cli(trail: Path, state: Path, data: Path, offline_key: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", "--key", str(offline_key)]) == 0
    _edit(Agent(state, data))
    code = main(["audit", "verify", "--key", str(offline_key)])
    out = capsys.readouterr().out
    assert code == 3 and "DAMAGE edited (exit 3) at seq 4" in out
