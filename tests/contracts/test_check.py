from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from hookpact.contracts import check
from hookpact.contracts.compile import compile_project
from hookpact.core.decision import Decision
from hookpact.core.paths import canonical_target
from tests.support import contract, make_project

AGENTS = ["main", "backend", "frontend", "writer", ""]


class Project:
    def __init__(self, root: Path, home: Path, state: Path) -> None:
        self.root, self.home, self.state = root, home, state
        self.cset = compile_project(str(root))

    def verdict(self, agent: str, *raws: str, main_thread: bool = False) -> check.Verdict:
        env = {"HOME": str(self.home)}
        targets = [canonical_target(raw, str(self.root), env) for raw in raws]
        return check.check_targets(self.cset, agent, targets, main_thread=main_thread, home=str(self.home),
                                   state_dir=str(self.state))

    def decide(self, agent: str, *raws: str) -> Decision:
        """The hook's outcome for the verdict (``pass``/``deny``, source ``scope``)."""
        return self.verdict(agent, *raws).decision()


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    path = Path(os.path.realpath(tmp_path)) / "scratch"
    path.mkdir()
    return path


def build(tmp_path: Path, contracts: dict[str, Any], settings: Any = None) -> Project:
    root = make_project(tmp_path, contracts, settings)
    home = Path(os.path.realpath(tmp_path)) / "home"
    home.mkdir(exist_ok=True)
    return Project(root, home, Path(os.path.realpath(tmp_path)) / "state")


@pytest.fixture
def team(tmp_path: Path, scratch: Path) -> Project:
    return build(tmp_path, {
        "backend": contract("src/backend/**", "tests/backend/**", "*.md", f"{scratch}/**",
                            forbidden=["src/backend/secrets/**", "**/*.pem", "src/backend/README.md"]),
        "frontend": contract("src/frontend/**", "*.md"),
        "main": contract("docs/**", "README.md"),
    })


@pytest.mark.parametrize(
    ("agent", "path", "kind", "rule"),
    [
        ("backend", "src/backend/api.py", "pass", "outputs.allowed_modifications[0]"),
        ("backend", "src/backend/deep/new/dir/x.py", "pass", "outputs.allowed_modifications[0]"),
        ("backend", "tests/backend/test_api.py", "pass", "outputs.allowed_modifications[1]"),
        ("backend", "README.md", "pass", "outputs.allowed_modifications[2]"),
        ("backend", "docs/a/b/c/notes.md", "pass", "outputs.allowed_modifications[2]"),
        ("backend", "docs/notes.mdx", "deny", "outputs.allowed_modifications"),
        ("backend", "src/backend/secrets/key.txt", "deny", "outputs.forbidden_patterns[0]"),
        ("backend", "src/backend/SECRETS/key.txt", "deny", "outputs.forbidden_patterns[0]"),
        ("backend", "src/backend/tls/server.pem", "deny", "outputs.forbidden_patterns[1]"),
        ("backend", "src/backend/README.md", "deny", "outputs.forbidden_patterns[2]"),
        ("backend", "src/frontend/app.js", "deny", "outputs.allowed_modifications"),
        ("backend", "src/backend-evil/x.py", "deny", "outputs.allowed_modifications"),
        ("backend", "src/backend", "deny", "outputs.allowed_modifications"),
        ("backend", "SRC/Backend/x.py", "deny", "outputs.allowed_modifications"),
        ("backend", "/etc/passwd", "deny", "outputs.allowed_modifications"),
        ("frontend", "src/frontend/app.js", "pass", "outputs.allowed_modifications[0]"),
        ("frontend", "src/backend/api.py", "deny", "outputs.allowed_modifications"),
        ("main", "docs/guide/intro.txt", "pass", "outputs.allowed_modifications[0]"),
        ("main", "README.md", "pass", "outputs.allowed_modifications[1]"),
        ("main", "docs/README.md", "pass", "outputs.allowed_modifications[0]"),
        # A glob without a slash matches at any depth (gitignore), a bare name included.
        ("main", "src/README.md", "pass", "outputs.allowed_modifications[1]"),
        ("main", "./src/README.mdx", "deny", "outputs.allowed_modifications"),
        ("main", "src/backend/api.py", "deny", "outputs.allowed_modifications"),
        ("writer", "docs/x.txt", "deny", "unlisted_agent=deny"),
        ("", "docs/x.txt", "deny", "unlisted_agent=deny"),
    ],
)
def test_contract_table(team: Project, agent: str, path: str, kind: str, rule: str) -> None:
    decision = team.decide(agent, path)
    assert (decision.kind, decision.rule, decision.source) == (kind, rule, "scope")


@pytest.mark.parametrize(("agent", "kind"), [("backend", "pass"), ("frontend", "deny"), ("main", "deny")])
def test_absolute_globs_cover_places_outside_the_root(team: Project, scratch: Path, agent: str, kind: str) -> None:
    assert team.decide(agent, f"{scratch}/tmp/out.log").kind == kind
    assert team.decide("backend", f"{scratch}-evil/x").kind == "deny"


def test_forbidden_beats_allowed_even_when_allowed_is_more_specific(tmp_path: Path) -> None:
    project = build(tmp_path, {"backend": contract("src/backend/config/settings.py", forbidden=["src/**"])})
    decision = project.decide("backend", "src/backend/config/settings.py")
    assert (decision.kind, decision.rule) == ("deny", "outputs.forbidden_patterns[0]")
    assert "forbidden patterns beat allowed ones" in decision.reason


def test_every_target_must_be_allowed(team: Project) -> None:
    assert team.decide("backend", "src/backend/a.py", "src/backend/b.py").kind == "pass"
    decision = team.decide("backend", "src/backend/a.py", "src/frontend/b.js")
    assert decision.kind == "deny" and "src/frontend/b.js" in decision.reason


def test_a_deny_reason_names_agent_path_rule_file_and_owner(team: Project) -> None:
    decision = team.decide("backend", f"{team.root}/src/frontend/app.js")
    assert decision.reason == (
        f"hookpact: agent 'backend' may not modify {team.root}/src/frontend/app.js: it is outside "
        "outputs.allowed_modifications in .claude/contracts/backend.json (allowed: src/backend/**, tests/backend/**, "
        f"*.md, {team.root.parent}/scratch/**). It belongs to frontend. Leave this change to its owner or ask the user."
    )


def test_a_forbidden_reason_names_the_pattern_and_the_file(team: Project) -> None:
    decision = team.decide("backend", "src/backend/secrets/k")
    assert "agent 'backend' may not modify src/backend/secrets/k" in decision.reason
    assert "outputs.forbidden_patterns[0] 'src/backend/secrets/**' in .claude/contracts/backend.json" in decision.reason


def test_owners_lists_every_other_agent_that_may_write_it(team: Project) -> None:
    decision = team.decide("main", "notes/todo.md")
    assert "It belongs to backend, frontend." in decision.reason
    assert "belongs to" not in team.decide("main", "nobody/owns.txt").reason


def test_the_main_thread_is_named_as_such(team: Project) -> None:
    assert "the main thread (agent 'main') may not modify" in team.decide("main", "src/x").reason
    assert "an internal helper agent (agent_type '')" in team.decide("", "src/x").reason


PROTECTED = [
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude/hookpact.json",
    ".claude/contracts/backend.json",
    ".claude/contracts/new-agent.json",
    ".claude/contracts/nested/dir/x.json",
    ".claude/contracts",
    ".claude/hookpact/audit.log",
    ".CLAUDE/settings.json",
    ".claude/Settings.JSON",
    ".Claude/Contracts/main.json",
    ".claude/hookpact.local.json",
    "teams/backend/hookpact.json",
    "Teams/Backend/HOOKPACT.json",
]


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("path", PROTECTED)
def test_hookpacts_own_files_are_protected_from_every_agent(tmp_path: Path, agent: str, path: str) -> None:
    project = build(tmp_path, {
        "main": contract("**"), "backend": contract("**"), "frontend": contract("**"),
    }, {"contracts": {"unlisted_agent": "allow"}})
    decision = project.decide(agent, path)
    assert (decision.kind, decision.rule) == ("deny", "protected")
    assert "No agent may change hookpact's configuration" in decision.reason


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("path", ["~/.claude/settings.json", "~/.claude/settings.local.json", "~/.claude/hookpact.json",
                                  "~/.CLAUDE/settings.json"])
def test_the_user_settings_are_protected(tmp_path: Path, agent: str, path: str) -> None:
    project = build(tmp_path, {"main": contract("/**")}, {"contracts": {"unlisted_agent": "allow"}})
    decision = project.decide(agent, path)
    assert (decision.kind, decision.rule) == ("deny", "protected")
    assert "user settings" in decision.reason
    assert f"~/{path[2:]}" in decision.reason


@pytest.mark.parametrize("path", ["teams/backend/CLAUDE.md", "teams/a/b/hookpact.json", "teams/hookpact.json",
                                  "src/teams/x/hookpact.json"])
def test_only_team_layer_files_are_protected_under_teams(tmp_path: Path, path: str) -> None:
    project = build(tmp_path, {"main": contract("**")}, None)
    assert project.decide("main", path).kind == "pass"


@pytest.mark.parametrize("agent", AGENTS)
def test_the_state_directory_is_protected(tmp_path: Path, agent: str) -> None:
    project = build(tmp_path, {}, None)  # no contracts: everything else would pass
    for path in (f"{project.state}/hook-runs.jsonl", f"{project.state}/contracts/abc.json", str(project.state)):
        decision = project.decide(agent, path)
        assert (decision.kind, decision.rule) == ("deny", "protected"), path
        assert "state directory" in decision.reason


def test_a_symlinked_state_directory_is_protected_by_both_spellings(tmp_path: Path) -> None:
    project = build(tmp_path, {})
    real = tmp_path / "real-state"
    real.mkdir()
    project.state.symlink_to(real)
    assert project.decide("main", f"{real}/hook-runs.jsonl").rule == "protected"


def test_protection_is_by_path_not_by_prefix(tmp_path: Path) -> None:
    project = build(tmp_path, {})
    for path in (".claude/settings.json.bak", ".claude/contracts-old/x", ".claude/agents-old/backend.md",
                 ".git/config.d/x", ".github/hooks/x", "src/.mcp.json",
                 f"{project.home}/.claude/todos/x.json", f"{project.state}-other/x"):
        assert project.decide("main", path).rule == "no-contracts", path


def test_protection_holds_under_a_root_and_home_whose_case_folding_changes_length(tmp_path: Path) -> None:
    base = Path(os.path.realpath(tmp_path)) / "stra\u00dfe"
    root = make_project(base, {})
    home = base / "h\u00fc\u00dfe"
    home.mkdir()
    project = Project(root, home, base / "state")
    assert project.decide("main", ".claude/settings.json").rule == "protected"
    assert project.decide("main", f"{home}/.claude/settings.json").rule == "protected"


def test_protection_holds_under_a_root_spelled_in_nfd_on_disk(tmp_path: Path) -> None:
    base = Path(os.path.realpath(tmp_path)) / unicodedata.normalize("NFD", "caf\u00e9")
    root = make_project(base, {"main": contract("src/**")})
    project = Project(root, base / "home", base / "state")
    assert project.decide("main", ".claude/settings.json").rule == "protected"
    assert project.decide("main", "src/x.py").kind == "pass"


@pytest.mark.parametrize(
    ("contract_glob", "path"),
    [
        ("docs/cafe\u0301/**", "docs/caf\u00e9/x.md"),  # NFD glob, NFC path
        ("docs/caf\u00e9/**", "docs/cafe\u0301/x.md"),  # NFC glob, NFD path
        ("docs/caf\u00e9/**", "docs/caf\u00e9/x.md"),
        ("docs/cafe\u0301/**", "docs/cafe\u0301/x.md"),
    ],
)
def test_unicode_spellings_of_the_same_name_decide_alike(tmp_path: Path, contract_glob: str, path: str) -> None:
    project = build(tmp_path, {
        "allowed": contract(contract_glob),
        "forbidden": contract("docs/**", forbidden=[contract_glob]),
    })
    assert project.decide("allowed", path).kind == "pass"
    assert project.decide("forbidden", path).rule == "outputs.forbidden_patterns[0]"


@pytest.mark.parametrize(
    "path",
    ["src/a\nb/secret.txt", "src/x\n/secret.txt", "src/\n/secret.txt", "src/a\rb/secret.txt", "\nsrc/secret.txt"],
)
def test_a_newline_in_a_directory_name_does_not_slip_past_forbidden(tmp_path: Path, path: str) -> None:
    project = build(tmp_path, {"main": contract("src/**", "**", forbidden=["**/secret*"])})
    assert project.decide("main", path).rule == "outputs.forbidden_patterns[0]"


@pytest.mark.parametrize(
    ("glob", "path", "kind"),
    [
        ("a/b", "a/b", "pass"),
        ("a/b", "a/b/c", "pass"),
        ("a/b", "a/b\n", "deny"),  # a different file that only looks alike
        ("*.md", "x.md", "pass"),
        ("*.md", "x.md\n", "deny"),
        ("src/*", "src/x", "pass"),
        ("src/*", "src/x/y", "deny"),
        ("src/*", "src/x\ny", "pass"),  # one (odd) file name directly in src/
    ],
)
def test_globs_end_at_the_real_end_of_the_path(tmp_path: Path, glob: str, path: str, kind: str) -> None:
    project = build(tmp_path, {"main": contract(glob)})
    assert project.decide("main", path).kind == kind


@pytest.mark.parametrize(
    ("settings", "agent", "path", "kind", "rule"),
    [
        (None, "writer", "docs/x", "deny", "unlisted_agent=deny"),
        ({"contracts": {"unlisted_agent": "deny"}}, "writer", "docs/x", "deny", "unlisted_agent=deny"),
        ({"contracts": {"unlisted_agent": "allow"}}, "writer", "anything/at/all.py", "pass", "unlisted_agent=allow"),
        ({"contracts": {"unlisted_agent": "allow"}}, "writer", ".claude/settings.json", "deny", "protected"),
        ({"contracts": {"unlisted_agent": "main"}}, "writer", "docs/x", "pass", "outputs.allowed_modifications[0]"),
        ({"contracts": {"unlisted_agent": "main"}}, "writer", "src/backend/x", "deny", "outputs.allowed_modifications"),
        ({"contracts": {"unlisted_agent": "main"}}, "", "docs/x", "pass", "outputs.allowed_modifications[0]"),
        ({"contracts": {"unlisted_agent": "main"}}, "backend", "docs/x", "deny", "outputs.allowed_modifications"),
    ],
)
def test_unlisted_agent_policies(
    tmp_path: Path, settings: Any, agent: str, path: str, kind: str, rule: str
) -> None:
    project = build(tmp_path, {"main": contract("docs/**"), "backend": contract("src/backend/**")}, settings)
    decision = project.decide(agent, path)
    assert (decision.kind, decision.rule) == (kind, rule)


def test_the_unlisted_deny_reason_says_how_to_fix_it(tmp_path: Path) -> None:
    project = build(tmp_path, {"main": contract("docs/**")})
    reason = project.decide("teamguard:reviewer", "docs/x").reason
    assert "agent 'teamguard:reviewer' has no contract" in reason
    assert "Add .claude/contracts/teamguard:reviewer.json" in reason
    assert "contracts.unlisted_agent in .claude/hookpact.json" in reason
    assert "Add .claude/contracts/(internal).json" in project.decide("", "docs/x").reason


def test_unlisted_main_without_a_main_contract_denies(tmp_path: Path) -> None:
    project = build(tmp_path, {"backend": contract("src/**")}, {"contracts": {"unlisted_agent": "main"}})
    assert project.decide("writer", "src/x").rule == "unlisted_agent=main"


def test_unlisted_main_with_a_broken_main_contract_denies_as_broken(tmp_path: Path) -> None:
    project = build(tmp_path, {"main": "{", "backend": contract("src/**")}, {"contracts": {"unlisted_agent": "main"}})
    decision = project.decide("writer", "src/x")
    assert decision.rule == "broken-contract"
    assert "the contract of the main thread (agent 'main') is invalid" in decision.reason


@pytest.mark.parametrize("agent", AGENTS)
def test_no_contracts_at_all_passes(tmp_path: Path, agent: str) -> None:
    project = build(tmp_path, {})
    decision = project.decide(agent, "anything/goes.py")
    assert (decision.kind, decision.rule) == ("pass", "no-contracts")


def test_a_broken_contract_denies_only_its_agent(tmp_path: Path) -> None:
    project = build(tmp_path, {"backend": contract("!src/backend/**"), "frontend": contract("src/frontend/**")})
    denied = project.decide("backend", "src/backend/api.py")
    assert (denied.kind, denied.rule) == ("deny", "broken-contract")
    assert "the contract of agent 'backend' is invalid" in denied.reason
    assert ".claude/contracts/backend.json: outputs.allowed_modifications[0]" in denied.reason
    assert "hookpact contracts validate" in denied.reason
    assert project.decide("frontend", "src/frontend/app.js").kind == "pass"
    assert project.decide("writer", "src/frontend/app.js").rule == "unlisted_agent=deny"


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("contracts", [{}, {"main": contract("**")}], ids=["no-contracts", "with-contracts"])
def test_broken_hookpact_settings_deny_everyone(tmp_path: Path, agent: str, contracts: dict[str, Any]) -> None:
    project = build(tmp_path, contracts, '{"contracts": {"unlisted_agent": "maybe"}}')
    decision = project.decide(agent, "docs/x")
    assert (decision.kind, decision.rule) == ("deny", "broken-settings")
    assert ".claude/hookpact.json: contracts.unlisted_agent" in decision.reason
    assert "Fix .claude/hookpact.json" in decision.reason


def test_resolved_forms_are_held_to_the_contract_too(team: Project) -> None:
    link = team.root / "src" / "backend" / "to-frontend"
    (team.root / "src" / "frontend").mkdir(parents=True)
    link.parent.mkdir(parents=True)
    link.symlink_to(team.root / "src" / "frontend")
    decision = team.decide("backend", "src/backend/to-frontend/app.js")
    assert decision.kind == "deny"
    assert f"(resolves to {team.root}/src/frontend/app.js)" in decision.reason
    assert "It belongs to frontend." in decision.reason


def test_decisions_are_independent_of_the_regex_cache_order(team: Project) -> None:
    # The same regex compiled case-sensitively and ignoring case are distinct entries.
    assert team.decide("backend", "src/backend/Secrets/x").rule == "outputs.forbidden_patterns[0]"
    assert team.decide("backend", "Src/backend/x").rule == "outputs.allowed_modifications"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("docs/guide.md", "pass"),
        ("src/frontend/notes.md/evil.js", "deny"),  # a wildcard last segment names files, not directories
        ("docs/a/b", "pass"),  # 'docs/' names a directory and everything below it
        ("src/axb", "deny"),
        ("src/a/b", "deny"),  # a character class never matches '/'
        ("src/ayb", "pass"),
    ],
)
def test_allowed_globs_are_not_looser_than_they_read(tmp_path: Path, path: str, kind: str) -> None:
    project = build(tmp_path, {"docs": contract("*.md", "docs/", "src/a[!x]b")})
    assert project.decide("docs", str(project.root / path)).kind == kind


# --- the protected table (issue 12 item 4) ------------------------------------------------------------

NEW_PROTECTED = [
    ".claude/agents/x.md",
    ".claude/agents",
    ".claude/commands/deploy.md",
    ".claude/skills/s/SKILL.md",
    ".claude/hooks/guard.sh",
    ".mcp.json",
    ".MCP.json",
    ".git/hooks/pre-commit",
    ".git/hooks",
    ".git/config",
    ".Git/Config",
]


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("path", NEW_PROTECTED)
@pytest.mark.parametrize("contracts", [{}, {"main": contract("**"), "backend": contract("**")}],
                         ids=["no-contracts", "allow-all"])
def test_what_claude_code_and_git_trust_is_protected(tmp_path: Path, agent: str, path: str,
                                                     contracts: dict[str, Any]) -> None:
    project = build(tmp_path, contracts, {"contracts": {"unlisted_agent": "allow"}} if contracts else None)
    verdict = project.verdict(agent, path)
    assert (verdict.kind, verdict.rule) == ("deny", "protected")
    assert verdict.target == path and verdict.pattern.casefold() == str(project.root / path).casefold()


@pytest.mark.parametrize("where", ["package", "prefix"])
def test_hookpacts_code_and_its_python_environment_are_protected(tmp_path: Path, where: str) -> None:
    import sys

    base = check.package_dir() if where == "package" else sys.prefix
    project = build(tmp_path, {"main": contract("/**")})
    for path in (f"{base}/x.py", f"{base}/lib/evil.pth", base):
        verdict = project.verdict("main", path)
        assert (verdict.kind, verdict.rule) == ("deny", "protected"), path
        assert base in verdict.reason


@pytest.mark.parametrize("rel", [".claude.json", ".claude/session-env/abc/sessionstart-hook-0.sh",
                                 ".claude/agents/a.md", ".claude/plugins/cache/p/hooks/hooks.json"])
def test_claude_codes_user_state_is_protected(tmp_path: Path, rel: str) -> None:
    project = build(tmp_path, {})
    assert project.verdict("main", f"{project.home}/{rel}").rule == "protected"


def test_managed_settings_are_protected(tmp_path: Path) -> None:
    project = build(tmp_path, {"main": contract("/**")})
    verdict = project.verdict("main", "/etc/claude-code/managed-settings.json")
    assert verdict.rule == "protected" and "managed settings" in verdict.reason


def test_a_symlinked_team_directory_is_protected_where_it_leads(tmp_path: Path) -> None:
    project = build(tmp_path, {"main": contract("/**")})
    elsewhere = tmp_path / "elsewhere" / "backend"
    elsewhere.mkdir(parents=True)
    (project.root / "teams").mkdir()
    (project.root / "teams" / "backend").symlink_to(elsewhere)
    check._ENTRY_CACHE.clear()
    assert project.verdict("main", f"{elsewhere}/hookpact.json").rule == "protected"
    assert project.verdict("main", f"{elsewhere}/CLAUDE.md").kind == "allow"


def test_a_symlinked_contracts_directory_is_protected_where_it_leads(tmp_path: Path) -> None:
    project = build(tmp_path, {"main": contract("/**")})
    elsewhere = tmp_path / "shared-contracts"
    (project.root / ".claude" / "contracts").rename(elsewhere)
    (project.root / ".claude" / "contracts").symlink_to(elsewhere)
    check._ENTRY_CACHE.clear()
    assert project.verdict("main", f"{elsewhere}/main.json").rule == "protected"


def test_a_git_worktrees_own_and_common_git_dirs_are_protected(tmp_path: Path) -> None:
    project = build(tmp_path, {"main": contract("/**")})
    common = tmp_path / "main-repo" / ".git"
    gitdir = common / "worktrees" / "wt"
    gitdir.mkdir(parents=True)
    (gitdir / "commondir").write_text("../..\n")
    (project.root / ".git").write_text(f"gitdir: {gitdir}\n")
    check._ENTRY_CACHE.clear()
    assert project.verdict("main", f"{common}/hooks/post-checkout").rule == "protected"
    assert project.verdict("main", f"{common}/config").rule == "protected"
    assert project.verdict("main", f"{gitdir}/config").rule == "protected"
    assert project.verdict("main", f"{common}/objects/ab/cd").kind == "allow"


def test_protected_paths_lists_every_entry_of_the_table(tmp_path: Path) -> None:
    import sys

    project = build(tmp_path, {})
    (project.root / "teams" / "web").mkdir(parents=True)
    check._ENTRY_CACHE.clear()
    paths = check.protected_paths(str(project.root), str(project.home), str(project.state), str(tmp_path / "data"))
    expected = {str(project.root / rel) for rel in (".claude/settings.json", ".claude/contracts", ".claude/agents",
                                                    ".claude/commands", ".claude/skills", ".mcp.json", ".git/hooks",
                                                    ".git/config", "teams/web/hookpact.json")}
    expected |= {f"{project.home}/.claude/settings.json", f"{project.home}/.claude/session-env", str(project.state),
                 str(tmp_path / "data"), check.package_dir(), sys.prefix, "/etc/claude-code"}
    assert expected <= set(paths)
    assert all(os.path.isabs(p) for p in paths) and len(paths) == len(set(paths))


def test_protected_below_finds_existing_entries_under_a_tree(tmp_path: Path) -> None:
    project = build(tmp_path, {"main": contract("**")})
    (project.root / ".git" / "hooks").mkdir(parents=True)
    found = {t.raw for t in check.protected_below(canonical_target(str(project.root), "/"), str(project.root),
                                                  str(project.home), str(project.state))}
    assert {str(project.root / ".git" / "hooks"), str(project.root / ".claude" / "contracts")} <= found
    assert check.protected_below(canonical_target(str(project.root / "src"), "/"), str(project.root),
                                 str(project.home), str(project.state)) == []


# --- HOME unknown (issue 17 item 1) -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/somewhere/.claude/settings.json", "/x/y/.CLAUDE/hookpact.json", "/u/.claude.json",
                                  "/u/.claude/session-env/s/hook.sh"])
@pytest.mark.fault
def test_without_a_home_the_home_files_are_denied_wherever_they_are(tmp_path: Path, path: str) -> None:
    project = build(tmp_path, {"main": contract("/**")})
    verdict = check.check_targets(project.cset, "main", [canonical_target(path, "/")], home=None,
                                  state_dir=str(project.state))
    assert verdict.rule == "protected" and "HOME is unknown" in verdict.reason


@pytest.mark.fault
def test_without_a_home_other_files_are_decided_by_the_contract(tmp_path: Path) -> None:
    project = build(tmp_path, {"main": contract("/**")})
    verdict = check.check_targets(project.cset, "main", [canonical_target("/u/.claude/todos/x.json", "/")],
                                  home=None, state_dir=str(project.state))
    assert verdict.kind == "allow"


# --- the verdict explains itself ------------------------------------------------------------------------

def test_an_allow_names_the_rule_the_file_and_the_pattern(team: Project) -> None:
    verdict = team.verdict("backend", "src/backend/api.py")
    assert (verdict.kind, verdict.rule, verdict.file, verdict.pattern, verdict.target) == (
        "allow", "outputs.allowed_modifications[0]", ".claude/contracts/backend.json", "src/backend/**",
        "src/backend/api.py")
    assert not verdict.blocks and verdict.decision().kind == "pass"


def test_a_forbid_names_the_pattern(team: Project) -> None:
    verdict = team.verdict("backend", "src/backend/tls/k.pem")
    assert (verdict.file, verdict.pattern) == (".claude/contracts/backend.json", "**/*.pem")
    assert verdict.blocks and verdict.decision("mcp_guard").source == "mcp_guard"


def test_a_verdict_is_immutable_and_compares_by_value(team: Project) -> None:
    verdict = team.verdict("backend", "src/backend/api.py")
    with pytest.raises(AttributeError):
        verdict.kind = "deny"  # type: ignore[misc]
    assert verdict == team.verdict("backend", "src/backend/api.py") and hash(verdict)
    assert set(verdict.as_dict()) == {"kind", "rule", "reason", "file", "pattern", "target"}


def test_the_main_thread_of_an_agent_session_falls_back_to_main(team: Project) -> None:
    assert team.verdict("writer", "docs/x.txt", main_thread=True).rule == "outputs.allowed_modifications[0]"
    assert team.verdict("writer", "docs/x.txt").rule == "unlisted_agent=deny"


# --- vanished contracts (issue 17 item 4) --------------------------------------------------------------

@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.fault
def test_vanished_contracts_deny_every_agent(tmp_path: Path, agent: str) -> None:
    project = build(tmp_path, {})
    project.cset = {**project.cset, "vanished": ["backend"]}
    verdict = project.verdict(agent, "src/x.py")
    assert (verdict.kind, verdict.rule) == ("deny", "contracts-vanished")
    assert "hookpact contracts accept-empty" in verdict.reason and "backend" in verdict.reason
    contract_, early = check.resolve_contract(project.cset, agent)
    assert contract_ is None and early == verdict


def test_an_interpreter_prefix_around_the_whole_project_is_not_protected(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    project = build(tmp_path, {})
    monkeypatch.setattr(sys, "prefix", "/")
    monkeypatch.setattr(sys, "exec_prefix", str(tmp_path))
    check._ENTRY_CACHE.clear()
    try:
        assert project.verdict("main", "src/x.py").kind == "allow"
        assert "/" not in check.protected_paths(str(project.root), str(project.home), str(project.state))
    finally:
        check._ENTRY_CACHE.clear()


# --- the sandbox's two entry points keep their shape --------------------------------------------------

@pytest.mark.parametrize(("contracts", "settings", "agent", "main_thread", "expected"), [
    ({"backend": contract("src/**")}, None, "backend", False, ("contract", "backend")),
    ({"main": contract("docs/**")}, None, "reviewer", True, ("contract", "main")),
    ({"main": contract("docs/**")}, None, "reviewer", False, ("deny", "unlisted_agent=deny")),
    ({"main": contract("docs/**")}, {"contracts": {"unlisted_agent": "allow"}}, "x", False,
     ("allow", "unlisted_agent=allow")),
    ({"main": contract("docs/**")}, {"contracts": {"unlisted_agent": "main"}}, "x", False, ("contract", "main")),
    ({}, None, "anyone", False, ("allow", "no-contracts")),
    ({"backend": "{"}, None, "backend", False, ("deny", "broken-contract")),
])
def test_resolve_contract_answers_with_a_contract_or_a_verdict(
        tmp_path: Path, contracts: dict[str, Any], settings: Any, agent: str, main_thread: bool,
        expected: tuple[str, str]) -> None:
    project = build(tmp_path, contracts, settings)
    found, early = check.resolve_contract(project.cset, agent, main_thread=main_thread)
    assert (found is None) != (early is None)
    got = ("contract", found["agent"]) if found is not None else (early.kind, early.rule)  # type: ignore[union-attr]
    assert got == expected
