"""Fixtures that drive the real Claude Code CLI (bundled in claude-agent-sdk) against a scripted
Messages API server on 127.0.0.1.

How a run is kept fast and hermetic (measured on CLI 2.1.329, strace'd for connect/DNS traffic):

* ``env -i`` style environment: only PATH=/usr/local/bin:/usr/bin:/bin, HOME, LANG and the variables
  below. Hooks are installed with absolute interpreter paths, so PATH needs no virtualenv.
* ``HOME`` is a fresh empty directory per test, never the real ``~/.claude``. ``-p`` mode shows no
  onboarding or trust dialog, so nothing has to be pre-seeded in ``~/.claude.json``.
* ``CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`` is the one that matters: without it the CLI sends
  ``HEAD /api/hello`` to ANTHROPIC_BASE_URL and resolves ``api.anthropic.com`` several times
  (DNS is instant on the dev box, but would block a run wherever DNS hangs). With it, the only
  connections are the ``POST /v1/messages`` to the scripted server.
* ``DISABLE_TELEMETRY=1`` (as in PROTOCOL §12); ``DISABLE_AUTOUPDATER=1`` and
  ``DISABLE_ERROR_REPORTING=1`` are already implied by the flag above and are only belt and braces.
* No title-generation or other tool-less request was seen in ``-p`` mode; the server still answers
  them.
* One simple run (a Write turn + the final turn) takes about 0.5 s wall clock once the 377 MB
  binary is in the page cache (1.1-1.5 s cold); two parallel subagents about 0.65 s; each Python
  command hook adds a few tens of milliseconds. ``claude --version`` alone takes ~10 ms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from .harness import ClaudeRun, ClaudeTimeout, CliNotFound, RunClaude, find_cli
from .harness import run_claude as _run_claude
from .scripted_api import ScriptedApi


def pytest_report_header(config: pytest.Config) -> str:
    try:
        info = find_cli()
    except CliNotFound as exc:
        return f"claude CLI: NOT FOUND ({exc})"
    return f"claude CLI: {info.version} at {info.path}"


@pytest.fixture(scope="session")
def claude_cli() -> Path:
    """Path of the CLI bundled in claude-agent-sdk. Missing SDK is a failure, never a skip."""
    try:
        return find_cli().path
    except CliNotFound as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def scripted_api() -> Iterator[ScriptedApi]:
    with ScriptedApi() as api:
        yield api
    # A script bug (unknown script name, bad block) is answered with a 400, which the CLI may turn
    # into an ordinary failed tool result; surface it even when the test's assertions passed.
    assert not api.errors, f"scripted API errors: {api.errors}"


@pytest.fixture
def e2e_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def e2e_repo(tmp_path: Path) -> Path:
    """An empty launch directory for the CLI (not a git repository)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    return repo


@pytest.fixture
def run_claude(claude_cli: Path, scripted_api: ScriptedApi, e2e_home: Path) -> RunClaude:
    """``run_claude(repo, prompt="do it", *, extra_args=(), timeout=120, env_extra=None, check=True)``.

    ``check=True`` fails the test unless the CLI exited 0 with a non-error result event.
    """

    def run(
        repo: Path | str,
        prompt: str = "do it",
        *,
        extra_args: Sequence[str] = (),
        timeout: float = 120,
        env_extra: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> ClaudeRun:
        repo = Path(repo)
        assert repo.is_dir(), f"launch directory {repo} does not exist"
        try:
            result = _run_claude(
                claude_cli,
                repo,
                home=e2e_home,
                api_url=scripted_api.url,
                prompt=prompt,
                extra_args=extra_args,
                timeout=timeout,
                env_extra=env_extra,
            )
        except ClaudeTimeout as exc:
            pytest.fail(str(exc), pytrace=False)
        if scripted_api.errors:
            pytest.fail(f"scripted API errors: {scripted_api.errors}\n{result.describe()}", pytrace=False)
        if check:
            result.assert_ok()
        return result

    return run


#: The two ways `hookpact install` can wire hookpact into Claude Code (docs/resident.md).
MODES = ("command", "resident")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "command_mode_only(reason): an e2e test that cannot apply to resident mode (why, in one sentence); "
        "it runs in command mode only",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that installs hookpact (it uses ``hookpact_mode``, directly or through
    ``install_hookpact``) runs once per mode, ids ``[command]`` and ``[resident]``; a test marked
    ``command_mode_only("why")`` runs in command mode only."""
    if "hookpact_mode" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if "hookpact_mode" in (names.replace(" ", "").split(",") if isinstance(names, str) else names):
            return  # the test chose its modes itself
    only = metafunc.definition.get_closest_marker("command_mode_only")
    if only is not None and not (only.args or only.kwargs.get("reason")):
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: command_mode_only needs a reason")
    metafunc.parametrize("hookpact_mode", ["command"] if only is not None else list(MODES), indirect=True)


@pytest.fixture(scope="session", autouse=True)
def no_resident_server_outlives_the_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test stops the servers its sessions started; this catches one that did not."""
    import os
    import signal

    from .harness import resident_servers

    yield
    leaked = resident_servers(tmp_path_factory.getbasetemp(), below=True)
    for pid in leaked:
        os.kill(pid, signal.SIGTERM)
    assert not leaked, f"hookpact serve processes left running by the e2e tests: {leaked} (stopped now)"


@pytest.fixture
def hookpact_mode(request: pytest.FixtureRequest) -> str:
    """``command`` or ``resident``: parametrised for every test that uses it (pytest_generate_tests)."""
    return str(getattr(request, "param", "command"))


@pytest.fixture
def install_hookpact(hookpact_mode: str, e2e_home: Path) -> Iterator[Callable[..., str]]:
    """``install_hookpact(repo, *extra_args, as_user=False)``: `hookpact install` in the fixture's mode.

    Resident mode always installs as the person would (a separate process with their HOME, the
    ``--resident`` flag) and stops that person's server after the test. Command mode installs in this
    process, or with ``as_user=True`` as the person would (their HOME: the launcher, the audit key).
    """
    from hookpact.cli.main import main as hookpact_main

    from .harness import hookpact_cli

    def install(repo: Path, *extra: str, as_user: bool = False) -> str:
        if hookpact_mode == "resident" or as_user:
            flags = ("--resident",) if hookpact_mode == "resident" else ()
            result = hookpact_cli(e2e_home, "install", *flags, str(repo), *extra)
            assert result.returncode == 0, result.stdout + result.stderr
            return result.stdout
        assert hookpact_main(["install", str(repo), *extra]) == 0
        return ""

    yield install
    if hookpact_mode == "resident":
        import os
        import signal

        from hookpact.serve import state

        from .harness import resident_servers

        stopped = hookpact_cli(e2e_home, "serve", "--stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        state.stop()  # a session started through the SDK shares this process's HOOKPACT_STATE_DIR
        leaked = resident_servers(e2e_home)
        for pid in leaked:
            os.kill(pid, signal.SIGTERM)
        assert not leaked, f"hookpact serve still runs after the test (pids {leaked}); stopped now"
