"""Pack layers, the size cap with its priority order, and steps cut off at their share of the budget."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from hookpact.context import config as context_config
from hookpact.context import packs
from hookpact.context.domains import Domain
from hookpact.context.steps import Steps
from hookpact.core.budget import Deadline, run_within
from hookpact.core.errors import BudgetExceeded


def domain(name: str) -> Domain:
    return Domain(name, "forced", "test")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "repo").mkdir()
    return tmp_path / "repo"


def gather(root: Path, home: Path, *names: str, settings: dict | None = None) -> tuple[list[packs.Pack], list[str]]:
    config = context_config.ContextConfig(settings)
    return packs.gather([domain(n) for n in names], str(root), {"HOME": str(home)}, config, Steps(Deadline(30)))


def test_every_builtin_pack_is_short_and_named_after_a_detectable_domain() -> None:
    from hookpact.context import domains

    known = {d for d, _ in [*domains.PYTHON_DEPS.values(), *domains.JS_DEPS.values(), *domains.DIR_MARKERS.values(),
                            *domains.FILE_MARKERS.values()]} | set(domains.LANGUAGE_BY_EXT.values())
    known |= {d for implied in domains.IMPLIES.values() for d in implied}
    shipped = sorted(p.stem for p in Path(packs.BUILTIN_DIR).glob("*.md") if p.stem != "README")
    assert len(shipped) >= 15
    for name in shipped:
        assert name in known, f"{name}.md can never be detected"
        text = (Path(packs.BUILTIN_DIR) / f"{name}.md").read_text()
        assert 0 < len(text) <= 1200, name


def test_project_beats_user_beats_builtin(root: Path, hermetic_env) -> None:
    home = hermetic_env.home
    (home / ".claude" / "expertise").mkdir(parents=True)
    (home / ".claude" / "expertise" / "python.md").write_text("USER PYTHON")
    (home / ".claude" / "expertise" / "go.md").write_text("USER GO")
    (root / ".claude" / "expertise").mkdir(parents=True)
    (root / ".claude" / "expertise" / "go.md").write_text("PROJECT GO")
    (root / ".claude" / "agents" / "experts" / "search").mkdir(parents=True)
    (root / ".claude" / "agents" / "experts" / "search" / "a.md").write_text("SEARCH A")
    (root / ".claude" / "agents" / "experts" / "search" / "b.md").write_text("SEARCH B")
    found, missing = gather(root, home, "go", "python", "docker", "search", "nothing-here")
    assert [(p.domain, p.layer, p.text[:12]) for p in found] == [
        ("go", "project", "PROJECT GO"), ("python", "user", "USER PYTHON"), ("docker", "built-in", "- Pin base i"),
        ("search", "project", "SEARCH A\n\nSE")]
    assert missing == ["nothing-here"]


def test_a_command_pack_is_the_commands_output(root: Path, hermetic_env) -> None:
    settings = {"commands": {"release": [sys.executable, "-c", "print('RELEASE 4.2 is current')"]}}
    found, _ = gather(root, hermetic_env.home, "release", settings=settings)
    assert [(p.layer, p.text) for p in found] == [("project", "RELEASE 4.2 is current")]


def test_a_slow_command_pack_is_skipped_within_its_share(root: Path, hermetic_env) -> None:
    config = context_config.ContextConfig({"commands": {"slow": [sys.executable, "-c", "import time; time.sleep(60)"]}})
    steps = Steps(Deadline(30))
    started = time.monotonic()
    found, _ = packs.gather([domain("slow"), domain("python")], str(root), {"HOME": str(hermetic_env.home)},
                            config, steps)
    assert time.monotonic() - started < 30  # bounded by the step's share, not by the command
    assert [p.domain for p in found] == ["python"]
    assert steps.skipped and steps.skipped[0].startswith("pack command for slow (ran out of its 1.4s share")


def test_the_cap_keeps_priority_order_and_names_what_was_left_out() -> None:
    config = context_config.ContextConfig({"max_chars": 1500, "pack_chars": 500})
    found = [packs.Pack("first", "project", "p", "a" * 300), packs.Pack("huge", "built-in", "b", "b" * 5000),
             packs.Pack("third", "built-in", "c", "c" * 100), packs.Pack("fourth", "built-in", "d", "d" * 400)]
    text = packs.render("TITLE", found, config)
    assert len(text) <= 1500
    assert text.index("## first") < text.index("## huge") < text.index("## third")
    assert "[... pack cut at 500 characters]" in text  # one pack cannot crowd out the rest
    assert "Left out for size (context.max_chars=1500): fourth." in text


def test_steps_cut_a_slow_step_and_keep_the_outer_deadline() -> None:
    deadline = Deadline(20)

    def work() -> list[str]:
        steps = Steps(deadline)
        slow = steps.run("slow step", 0.3, time.sleep, 30, default="skipped")
        fast = steps.run("fast step", 5, lambda: "done", default="skipped")
        return [str(slow), fast, steps.note()]

    slow, fast, note = run_within(deadline, "the test", work)
    assert (slow, fast) == ("skipped", "done")
    assert note == "skipped: slow step (ran out of its 0.3s share of the budget)"


def test_the_outer_alarm_still_fires_after_a_step() -> None:
    def work() -> None:
        steps = Steps(Deadline(0.6), reserve=0.1)
        steps.run("quick", 0.2, lambda: None, default=None)
        time.sleep(30)

    with pytest.raises(BudgetExceeded) as info:
        run_within(Deadline(0.6), "the outer work", work)
    assert "outer work" in str(info.value)


def test_no_budget_left_skips_without_running() -> None:
    steps = Steps(Deadline(0.1), reserve=0.3)
    assert steps.run("late", 5, pytest.fail, "must not run", default="x") == "x"
    assert steps.skipped == ["late (no budget left)"]


def test_config_ignores_wrong_types(root: Path) -> None:
    (root / ".claude").mkdir()
    (root / ".claude" / "hookpact.json").write_text(
        '{"context": {"domains": {"force": ["Go", 3], "disable": "docker"}, "max_chars": "big", '
        '"commands": {"a": "not a list", "b": ["ok"]}, "pre_edit": false}}')
    config = context_config.load(str(root))
    assert config.force == ["go"] and config.disable == set()
    assert config.max_chars == context_config.DEFAULT_MAX_CHARS
    assert config.commands == {"b": ["ok"]}
    assert config.enabled == {"session_start": True, "subagent_start": True, "pre_edit": False, "mcp_health": True}
