"""git: global options, aliases and settings that run programs, what each subcommand writes, and which
options destroy work. Read by the write analysis (``writes``) and by the rule pack (``GitCall``)."""

from __future__ import annotations

from hookpact.shell.programs.base import Found, Options, copy_like, parse_options, runs, targets, unknown
from hookpact.shell.programs.launchers import read_at_run_time
from hookpact.shell.words import DYN, QUOTED, Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

#: Global options that take a value (``-C DIR``, ``-c k=v``, ``--git-dir DIR`` or ``--git-dir=DIR``).
GLOBAL_VALUES = ("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix",
                 "--list-cmds", "--attr-source")
#: Settings whose value git runs as a program (or a shell command), and the subcommands that run it
#: (``*``: any). ``alias.*`` values starting with ``!`` are shell code too.
EXEC_SETTINGS: dict[str, tuple[str, ...]] = {
    "core.fsmonitor": ("*",), "core.hookspath": ("*",), "core.sshcommand": ("@network",),
    "core.editor": ("*",), "core.pager": ("*",), "core.askpass": ("@network",), "core.gitproxy": ("@network",),
    "core.alternaterefscommand": ("*",), "sequence.editor": ("rebase",), "diff.external": ("*",),
    "gpg.program": ("*",), "gpg.ssh.program": ("*",), "gpg.x509.program": ("*",),
    "gpg.ssh.defaultkeycommand": ("*",), "credential.helper": ("@network",), "pager.*": ("*",),
    "diff.*.textconv": ("*",), "diff.*.command": ("*",), "filter.*.clean": ("*",), "filter.*.smudge": ("*",),
    "filter.*.process": ("*",), "merge.*.driver": ("*",), "mergetool.*.cmd": ("*",), "difftool.*.cmd": ("*",),
    "uploadpack.packobjectshook": ("@network",), "remote.*.uploadpack": ("@network",),
    "remote.*.receivepack": ("@network",), "remote.*.proxy": ("@network",), "http.proxy": ("@network",),
    "protocol.ext.allow": ("@network",), "core.worktree": ("*",), "include.path": ("*",),
    "includeif.*.path": ("*",), "submodule.*.update": ("*",), "web.browser": ("*",), "browser.*.cmd": ("*",),
    "sendemail.*": ("*",), "instaweb.*": ("*",), "receive.procreceiverefs": ("@network",),
    "ssh.variant": ("@network",), "init.templatedir": ("init", "clone"), "alias.*": ("*",),
}
#: Environment variables git reads as programs to run, and which subcommands run them.
EXEC_ENV: dict[str, tuple[str, ...]] = {
    "GIT_SSH": ("@network",), "GIT_SSH_COMMAND": ("@network",), "GIT_PROXY_COMMAND": ("@network",),
    "GIT_EXTERNAL_DIFF": ("*",), "GIT_PAGER": ("*",), "GIT_EDITOR": ("*",), "GIT_SEQUENCE_EDITOR": ("rebase",),
    "GIT_ASKPASS": ("@network",), "SSH_ASKPASS": ("@network",), "GIT_EXEC_PATH": ("*",),
    "GIT_TEMPLATE_DIR": ("init", "clone"), "GIT_CONFIG": ("*",), "GIT_CONFIG_GLOBAL": ("*",),
    "GIT_CONFIG_SYSTEM": ("*",), "GIT_CONFIG_PARAMETERS": ("*",), "GIT_DIR": ("*",), "GIT_WORK_TREE": ("*",),
}
#: Subcommands that talk to a remote (and so run ssh, credential helpers, proxies).
NETWORK = frozenset({"fetch", "pull", "push", "clone", "ls-remote", "send-pack", "fetch-pack", "archive",
                     "submodule", "remote"})
#: Long options of the subcommands the rules read, for git's unambiguous-prefix matching (``--har``).
LONG_FLAGS: dict[str, tuple[str, ...]] = {
    "reset": ("hard", "soft", "mixed", "merge", "keep", "quiet", "patch", "no-refresh", "refresh",
              "recurse-submodules", "no-recurse-submodules", "intent-to-add"),
    "push": ("force", "force-with-lease", "force-if-includes", "mirror", "delete", "all", "branches", "tags",
             "dry-run", "porcelain", "prune", "verbose", "quiet", "progress", "no-verify", "verify", "atomic",
             "follow-tags", "set-upstream", "thin", "signed", "ipv4", "ipv6", "no-force-with-lease"),
    "clean": ("force", "dry-run", "quiet", "interactive"),
    "checkout": ("force", "quiet", "progress", "merge", "detach", "ignore-skip-worktree-bits",
                 "ignore-other-worktrees", "overwrite-ignore", "no-overwrite-ignore", "recurse-submodules",
                 "no-recurse-submodules", "overlay", "no-overlay", "patch", "guess", "no-guess", "no-track"),
    "switch": ("force", "discard-changes", "quiet", "progress", "merge", "detach", "guess", "no-guess",
               "ignore-other-worktrees", "recurse-submodules", "no-recurse-submodules", "no-track"),
    "restore": ("patch", "staged", "worktree", "no-worktree", "no-staged", "quiet", "progress", "ours",
                "theirs", "merge", "ignore-unmerged", "ignore-skip-worktree-bits", "overlay", "no-overlay",
                "recurse-submodules", "no-recurse-submodules", "no-source", "no-patch"),
    "worktree": ("force",),
    "branch": ("delete", "force", "move", "copy", "remotes", "all", "list", "verbose", "quiet",
               "create-reflog", "set-upstream-to", "unset-upstream", "edit-description", "show-current"),
    "stash": ("index", "quiet"),
    "gc": ("aggressive", "auto", "quiet", "force", "keep-largest-pack"),
    "send-pack": ("force", "all", "mirror", "dry-run", "atomic"),
}
#: Long options of those subcommands that take a value (``--source REV``).
LONG_VALUES: dict[str, tuple[str, ...]] = {
    "checkout": ("conflict", "pathspec-from-file", "orphan", "track"),
    "switch": ("conflict", "create", "force-create", "orphan", "track"),
    "restore": ("source", "conflict", "pathspec-from-file", "unified", "inter-hunk-context"),
    "push": ("push-option", "repo", "receive-pack", "exec", "recurse-submodules"),
    "reset": ("pathspec-from-file",),
    "branch": ("track", "contains", "no-contains", "merged", "no-merged", "points-at", "sort", "format"),
    "gc": ("prune",),
    "reflog": ("expire", "expire-unreachable"),
}


def options(sub: str, args: list[Word], *, short_values: str = "", long_values: tuple[str, ...] = ()) -> Options:
    """``parse_options`` with the subcommand's long options, so abbreviations resolve as git resolves them."""
    return parse_options(args, short_values=short_values, long_values=(*LONG_VALUES.get(sub, ()), *long_values),
                         long_flags=LONG_FLAGS.get(sub, ()))


def config_key(key: str) -> str:
    """Section and name are case-insensitive, a subsection is not: ``Core.SSHCommand`` -> ``core.sshcommand``."""
    section, _, rest = key.partition(".")
    middle, _, name = rest.rpartition(".")
    return f"{section.casefold()}.{middle}.{name.casefold()}" if middle else f"{section.casefold()}.{name.casefold()}"


def exec_setting(key: str) -> tuple[str, ...] | None:
    """The subcommands that run the program ``key`` names, or None if ``key`` runs nothing."""
    key = config_key(key)
    if key in EXEC_SETTINGS:
        return EXEC_SETTINGS[key]
    section, _, rest = key.partition(".")
    middle, _, name = rest.rpartition(".")
    for pattern in ((f"{section}.*.{name}",) if middle else ()) + (f"{section}.*",):
        if pattern in EXEC_SETTINGS:
            return EXEC_SETTINGS[pattern]
    return None


def uses(scope: tuple[str, ...], sub: str | None, args: list[Word]) -> bool:
    """Does git ``sub`` run a setting used by ``scope`` (``*``, ``@network`` or subcommand names)?"""
    if "*" in scope or sub is None:
        return True
    if "@network" in scope and sub in NETWORK:
        if sub == "remote":
            return any(w.static() in ("update", "prune", "show", "set-head") or w.static() is None for w in args)
        if sub == "archive":
            return any((w.static() or "--remote").startswith("--remote") for w in args)
        return True
    return sub in scope


class GitCall:
    """One ``git`` run with its global options read: where, with which settings, which subcommand."""

    __slots__ = ("cwd", "repo_moved", "config", "env", "sub", "args", "alias_shell")

    def __init__(self) -> None:
        self.cwd: list[Word] = []              # -C DIR, in order (relative ones stack)
        self.repo_moved = False                # --git-dir / --work-tree / GIT_DIR: a repository elsewhere
        self.config: list[tuple[str, Word | None]] = []  # -c, --config-env, GIT_CONFIG_*: (key, value or None)
        self.env: list[tuple[str, str | None]] = []       # variables git runs as programs
        self.sub: str | None = None            # None: none given, or only known at run time (see ``args``)
        self.args: list[Word] = []
        self.alias_shell: list[Word] = []      # ``!`` aliases: shell code git runs


def _config_from_env(env: Mapping[str, str | None], call: GitCall) -> None:
    count = env.get("GIT_CONFIG_COUNT")
    if count is not None or any(name.startswith("GIT_CONFIG_KEY_") for name in env):
        numbers = range(int(count)) if count and count.isdigit() and int(count) < 64 else range(64)
        for n in numbers:
            key = env.get(f"GIT_CONFIG_KEY_{n}")
            if key is None and f"GIT_CONFIG_KEY_{n}" not in env:
                continue
            value = env.get(f"GIT_CONFIG_VALUE_{n}")
            call.config.append((key or "?", None if value is None else Word.literal(value)))
    if "GIT_CONFIG_PARAMETERS" in env:
        import shlex

        try:
            pairs = shlex.split(env["GIT_CONFIG_PARAMETERS"] or "") if env["GIT_CONFIG_PARAMETERS"] is not None \
                else None
        except ValueError:
            pairs = None
        if pairs is None:
            call.config.append(("?", None))
        for pair in pairs or ():
            key, eq, value = pair.partition("=")
            call.config.append((key, Word.literal(value) if eq else None))
    for name in EXEC_ENV:
        if name in env:
            call.env.append((name, env[name]))
    if any(name in env for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE")):
        call.repo_moved = True


def parse_call(args: list[Word], env: Mapping[str, str | None] | None = None) -> GitCall:
    """Read git's global options and expand aliases defined for this one call (``-c alias.x=reset``)."""
    call = GitCall()
    _config_from_env(env or {}, call)
    index = 0
    while index < len(args):
        word = args[index]
        text = None if read_at_run_time(word) else word.static()
        if text is None:
            call.args = args[index:]
            return call
        value: Word | None = None
        name = text
        for option in GLOBAL_VALUES:
            if option.startswith("--") and text.startswith(option + "="):
                name, value = option, Word.literal(text[len(option) + 1:]) if word.known else None
                break
            if option in ("-C", "-c") and text.startswith(option) and len(text) > 2:
                name, value = option, Word([(QUOTED, text[2:])], text[2:]) if word.known else Word([(DYN, text)], text)
                break
        if name in GLOBAL_VALUES and value is None:
            if index + 1 >= len(args):
                return call
            value = args[index + 1]
            index += 1
        index += 1
        if name == "-C" and value is not None:
            call.cwd.append(value)
        elif name == "-c" and value is not None:
            raw = value.static()
            key, _, setting = (raw or "?=").partition("=")
            call.config.append((key, Word.literal(setting) if raw is not None else None))
        elif name == "--config-env" and value is not None:
            call.config.append(((value.static() or "?").partition("=")[0], None))
        elif name in ("--git-dir", "--work-tree"):
            call.repo_moved = True
        elif name in GLOBAL_VALUES or name == "--" or text.startswith("-"):
            continue
        else:
            call.sub = text
            call.args = args[index:]
            break
    _expand_alias(call)
    return call


def _expand_alias(call: GitCall) -> None:
    import shlex

    for _ in range(8):  # git refuses alias loops; so do we, after a few hops
        if call.sub is None:
            return
        value = next((v for k, v in reversed(call.config) if config_key(k) == f"alias.{call.sub}"), "absent")
        if value == "absent":
            return
        text = value.static() if isinstance(value, Word) else None
        if text is None:
            call.alias_shell.append(Word([(DYN, f"alias.{call.sub}")]))
            call.sub = None
            return
        if text.startswith("!"):
            call.alias_shell.append(Word.literal(" ".join([text[1:], *(shlex.quote(w.static() or "x")
                                                                       for w in call.args)])))
            call.sub = None
            call.args = []
            return
        try:
            words = shlex.split(text)
        except ValueError:
            words = text.split()
        if not words:
            return
        call.sub = words[0]
        call.args = [Word.literal(w) for w in words[1:]] + call.args


def unwrap(args: list[Word], env: Mapping[str, str | None] | None = None) -> tuple[list[Word], dict[str, Any]] | None:
    """``git -C DIR ...`` runs ``git ...`` in DIR: the analyser changes directory for it."""
    directories: list[Word] = []
    rest: list[Word] = []
    index = 0
    while index < len(args):
        text = args[index].static()
        if text == "-C" and index + 1 < len(args):
            directories.append(args[index + 1])
            index += 2
            continue
        if text is not None and text.startswith("-C") and len(text) > 2:
            directories.append(Word([(QUOTED, text[2:])], text[2:]))
            index += 1
            continue
        if text in GLOBAL_VALUES and index + 1 < len(args):
            rest.extend(args[index:index + 2])
            index += 2
            continue
        if text is None or not text.startswith("-"):
            break
        rest.append(args[index])
        index += 1
    if not directories:
        return None
    effects: dict[str, Any] = {"cwd": directories[0] if len(directories) == 1 else
                               Word([(DYN, "git -C ... -C ...")])}
    return [Word.literal("git"), *rest, *args[index:]], effects


def writes(args: list[Word], stdin: tuple[str, object] | None,
           env: Mapping[str, str | None] | None = None) -> list[Found]:
    """What one git call writes (work-tree files; refs and history are the rule pack's business)."""
    if not args:
        return []
    call = parse_call(args, env)
    found: list[Found] = []
    for code in call.alias_shell:
        text = code.static()
        found.append(runs(text) if text is not None else unknown("dynamic-command", "a git alias runs a command "
                                                                                    "only known at run time"))
    sub, rest = call.sub, call.args
    if sub is None:
        if rest:
            found.append(unknown("dynamic-command", "the git subcommand is only known at run time"))
        return found
    found.extend(_subcommand_writes(sub, rest, stdin))
    return found


def _subcommand_writes(sub: str, rest: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    if sub in ("checkout", "restore"):
        opts = options(sub, rest, short_values="bBsUt" if sub == "checkout" else "s")
        if sub == "restore" and opts.has("-S", "--staged") and not opts.has("-W", "--worktree"):
            return []
        if opts.has("--pathspec-from-file"):
            return [unknown("target", f"git {sub} takes its paths from a file")]
        separated = any(w.static() == "--" for w in rest)
        if separated:
            after = rest[[w.static() for w in rest].index("--") + 1:]
            return targets(after, "write", recursive=True)
        operands = opts.operands
        if sub == "checkout":
            if opts.has("-b", "-B", "--orphan"):
                return []
            # ``git checkout X [paths]``: X is a branch or tree-ish unless it names an existing path.
            return targets(operands, "write-if-exists", recursive=True)
        return targets(operands, "write", recursive=True)
    if sub in ("apply", "am"):
        opts = parse_options(rest, short_values="pCx", long_values=("directory", "exclude", "include",
                                                                      "whitespace", "patch-format"))
        if sub == "apply" and opts.has("--check", "--stat", "--numstat", "--summary") and not opts.has("--apply"):
            return []
        if opts.has("--cached"):
            return []
        strip = opts.value("-p")
        return patch_targets(opts.operands, stdin, strip.static() if strip else "1",
                              opts.value("--directory"), f"git {sub}")
    if sub == "rm":
        opts = parse_options(rest, long_values=("pathspec-from-file",))
        if opts.has("--cached") or opts.has("-n", "--dry-run"):
            return []
        return targets(opts.operands, "delete", recursive=opts.has("-r"))
    if sub == "mv":
        opts = parse_options(rest)
        return copy_like("mv", opts, recursive=True, move=True)
    if sub == "clean":
        opts = parse_options(rest, short_values="e", long_values=("exclude",))
        if opts.has("-n", "--dry-run") or not opts.has("-f", "--force"):
            return []
        paths = opts.operands or [Word.literal(".")]
        return targets(paths, "delete", recursive=True)
    if sub == "clone":
        opts = parse_options(rest, short_values="obucj", long_values=(
            "origin", "branch", "upload-pack", "template", "config", "depth", "shallow-since", "shallow-exclude",
            "reference", "reference-if-able", "separate-git-dir", "jobs", "filter", "server-option",
            "bundle-uri", "ref-format"))
        if len(opts.operands) >= 2:
            return [Found(opts.operands[1], "create", recursive=True)]
        if opts.operands:
            url = opts.operands[0].static()
            if url is None:
                return [unknown("target", "git clone's directory comes from a URL only known at run time")]
            name = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
            name = name[:-4] if name.endswith(".git") else name
            return [Found(Word.literal(name or "."), "create", recursive=True)]
        return []
    if sub == "worktree":
        if rest and rest[0].static() == "add":
            opts = parse_options(rest[1:], short_values="bB", long_values=("reason",))
            return targets(opts.operands[:1], "create")
        return []
    if sub == "stash" and rest and rest[0].static() in ("pop", "apply"):
        return [Found(Word.literal("."), "worktree", recursive=True)]  # whichever files the stash holds
    if sub == "reset" and options(sub, rest).has("--hard", "--merge", "--keep"):
        return [Found(Word.literal("."), "worktree", recursive=True)]
    if sub in ("diff", "format-patch", "archive", "bundle"):
        opts = options(sub, rest, short_values="o", long_values=("output", "output-directory"))
        outs = opts.values("--output", "-o", "--output-directory")
        if sub == "bundle" and len(opts.operands) >= 2 and opts.operands[0].static() == "create":
            outs.append(opts.operands[1])
        return targets(outs, "write", recursive=sub == "format-patch")
    if sub == "config":
        opts = parse_options(rest, short_values="f", long_values=("file", "blob", "type", "default", "comment"))
        return targets(opts.values("-f", "--file"), "write")
    if sub == "checkout-index":
        opts = parse_options(rest, long_values=("prefix", "stage"))
        prefix = opts.value("--prefix")
        return [Found(prefix, "write", recursive=True)] if prefix is not None else [
            Found(Word.literal("."), "worktree", recursive=True)]
    if sub == "merge-file":
        opts = parse_options(rest, short_values="L", long_values=("marker-size", "diff-algorithm"))
        if opts.has("-p", "--stdout"):
            return []
        return targets(opts.operands[:1], "write")
    return []


def patch_targets(operands: list[Word], stdin: tuple[str, object] | None, strip: str | None,
                   directory: Word | None, program: str) -> list[Found]:
    """The files a patch names (``+++``/``---``/``diff --git``), read from its file or here-document."""
    texts: list[str] = []
    if operands:
        for operand in operands:
            path = operand.static()
            if path is None or path == "-":
                return [unknown("target", f"{program} reads a patch whose name is only known at run time")]
            texts.append("\x00file:" + path)
    elif stdin is not None and stdin[0] == "heredoc" and isinstance(stdin[1], str):
        texts.append(stdin[1])
    elif stdin is not None and stdin[0] == "file" and isinstance(stdin[1], Word) and stdin[1].static():
        texts.append("\x00file:" + (stdin[1].static() or ""))
    else:
        return [unknown("target", f"{program} reads a patch from its standard input, so the files it changes "
                                  "are not known")]
    count = strip or "1"
    if count != "any" and not count.isdigit():
        return [unknown("target", f"{program} has an unusable -p value")]
    prefix = directory.static() if directory is not None else ""
    if prefix is None:
        return [unknown("target", f"{program} --directory is only known at run time")]
    return [Found(Word([(QUOTED, text)]), "patch", mirror=(Word.literal(count), "patch:" + (prefix or "")))
            for text in texts]


