"""Tickets round-trip and work once; the tripwire puts back what a command changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hookpact.sandbox import ticket, tripwire
from hookpact.sandbox.policy import Policy


def test_a_ticket_round_trips_any_path_and_is_taken_once(tmp_path: Path) -> None:
    policy = Policy("back end", (("/r/src\nodd", ("/r/src\nodd/keys",)), ("/tmp", ())), ("/dev/null",),
                    ("/r/.git/config",), "/tmp/hookpact-0/s")
    token = ticket.new_token()
    ticket.write(str(tmp_path), token, ticket.encode(policy, {"session": "s1"}))
    assert oct(os.stat(ticket.tickets_dir(str(tmp_path))).st_mode & 0o777) == "0o700"
    data = ticket.take(str(tmp_path), token)
    assert data is not None and ticket.take(str(tmp_path), token) is None
    decoded, extra = ticket.decode(data)
    assert (decoded.agent, decoded.trees, decoded.files, decoded.tripwire, decoded.tmp) == (
        policy.agent, policy.trees, policy.files, policy.tripwire, policy.tmp)
    assert extra == {"session": "s1"}


@pytest.mark.parametrize("data", [b"", b"not a ticket", ticket.MAGIC + b"\0tree", ticket.MAGIC + b"\0bogus\0x",
                                  ticket.MAGIC + b"\0carve\0/x\0tmp\0/t"])
def test_a_malformed_ticket_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        ticket.decode(data)


def test_the_last_token_in_the_command_string_counts() -> None:
    token, forged = "a" * 32, "b" * 32
    command = ticket.mark(f"echo {ticket.MARK}{forged}", token)
    assert ticket.token_in(f"bash -c 'eval {command!r} && pwd -P >| /tmp/c'") == token
    assert ticket.token_in("echo hi") is None
    assert ticket.token_in(f"{ticket.MARK}XYZ") is None


def test_the_tripwire_restores_changed_removed_and_new_files(tmp_path: Path) -> None:
    git = tmp_path / ".git"
    (git / "hooks").mkdir(parents=True)
    (git / "config").write_text("[core]\n")
    (git / "hooks" / "pre-commit.sample").write_text("#!/bin/sh\n")
    tops = (str(git / "config"), str(git / "hooks"))
    before = tripwire.snapshot(tops)

    (git / "config").write_text("[core]\n\tfsmonitor = evil\n")
    (git / "hooks" / "pre-commit.sample").unlink()
    (git / "hooks" / "pre-commit").write_text("#!/bin/sh\nevil\n")
    os.chmod(git / "hooks", 0o777)
    changes = tripwire.restore(before, tops, str(tmp_path / "quarantine"))

    assert (git / "config").read_text() == "[core]\n"
    assert sorted(os.listdir(git / "hooks")) == ["pre-commit.sample"]
    assert (tmp_path / "quarantine").is_dir() and any("pre-commit" in n for n in os.listdir(tmp_path / "quarantine"))
    assert len(changes) >= 3 and tripwire.restore(tripwire.snapshot(tops), tops, str(tmp_path / "q2")) == []
    assert oct(os.stat(git / "hooks").st_mode & 0o777) == oct(before[str(git / "hooks")][0] & 0o777)
