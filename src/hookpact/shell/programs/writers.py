"""Writers: the programs that modify files, and the options that name what they modify.

One entry per program in ``WRITERS``: a function ``(program, args, stdin) -> [Found]``. Most are
built from :func:`simple` (operands are targets) or :func:`outputs` (only some options name
outputs: ``gcc -o``, ``iconv -o``). Teaching hookpact a program is one entry here (or in
``launchers``/``interpreters``) and one row in ``tests/shell/test_programs.py``.
"""

from __future__ import annotations

from hookpact.shell.programs import archives, git, interpreters
from hookpact.shell.programs import find as find_program
from hookpact.shell.programs.base import Found, copy_like, parse_options, suffix_word, targets, unknown
from hookpact.shell.words import DYN, QUOTED, Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    Writer = Callable[[str, list[Word], "tuple[str, object] | None"], list[Found]]

#: Programs that destroy the files they are given (what ``find -exec`` hands them, for the rule pack).
DESTRUCTIVE = frozenset({"rm", "shred", "unlink", "rmdir"})
#: Programs that format or wipe a block device (``mkfs.ext4`` counts as ``mkfs``).
DEVICE_FORMATTERS = ("mkfs", "mke2fs", "mkswap", "wipefs", "fdisk", "sfdisk", "gdisk", "sgdisk", "parted",
                     "blkdiscard")


def _sed(args: list[Word]) -> list[Found]:
    from hookpact.shell import inline

    opts = parse_options(args, short_values="efl", long_values=("expression", "file", "line-length"),
                         optional_attached="i")
    found: list[Found] = []
    scripts = opts.values("-e", "--expression")
    operands = list(opts.operands)
    if not scripts and not opts.has("-f", "--file") and operands:
        scripts = [operands.pop(0)]
    if not opts.has("--sandbox"):
        for script in scripts:
            text = script.static()
            if text is None:
                found.append(unknown("interpreter", "the sed script is only known at run time and may write files"))
            elif inline.sed_may_write(text):
                found.append(unknown("interpreter", "the sed script writes files or runs commands (w/W/e)"))
        if opts.has("-f", "--file"):
            found.append(unknown("interpreter", "the sed script comes from a file and may write files"))
    if opts.has("-i", "--in-place"):
        found.extend(targets(operands, "write"))
    return found


def _chmod_like(program: str, args: list[Word]) -> list[Found]:
    recursive = False
    operands: list[Word] = []
    reference = False
    for word in args:
        text = word.static() if word.known else None
        if text in ("-R", "--recursive"):
            recursive = True
        elif text is not None and text.startswith("--reference"):
            reference = True
        elif text is not None and text.startswith("--"):
            continue
        elif text is not None and len(text) > 1 and text.startswith("-") and (
                program != "chmod" or set(text[1:]) <= set("cfvR")):  # chmod -x is a mode, not an option
            recursive = recursive or "R" in text
        else:
            operands.append(word)
    if not reference:
        operands = operands[1:]  # the mode or owner
    return targets(operands, "metadata", recursive=recursive)


def _dd(args: list[Word]) -> list[Found]:
    found = []
    for word in args:
        if word.text.startswith("of=") and word.parts and word.parts[0][0] != DYN:
            found.append(Found(suffix_word(word, 3), "write"))  # bash expands ~ after '=' too
    return found


def _simple(kind: str, short_values: str = "", long_values: tuple[str, ...] = (), *,
            recursive_flags: tuple[str, ...] = (), delete_flags: tuple[str, ...] = ()) -> object:
    def extract(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
        opts = parse_options(args, short_values=short_values, long_values=long_values)
        recursive = opts.has(*recursive_flags) if recursive_flags else False
        found = targets(opts.operands, kind, recursive=recursive)
        if delete_flags and opts.has(*delete_flags):
            found = targets(opts.operands, "delete", recursive=recursive)
        return found
    return extract


def _rmdir(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args)
    found = targets(opts.operands, "delete")
    if opts.has("-p", "--parents"):
        for word in opts.operands:
            text = word.static()
            if text is None:
                continue
            parts = text.rstrip("/").split("/")
            found.extend(Found(Word.literal("/".join(parts[:n])), "delete") for n in range(1, len(parts))
                         if "/".join(parts[:n]))
    return found


def _install(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="mogtSZ", long_values=("mode", "owner", "group", "target-directory",
                                                                   "suffix", "context", "strip-program"))
    if opts.has("-d", "--directory"):
        return targets(opts.operands, "create")
    return copy_like("install", opts, recursive=False, move=False)


def _cp(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="tS", long_values=("target-directory", "suffix", "backup", "sparse",
                                                               "reflink", "preserve", "no-preserve", "context"))
    recursive = opts.has("-r", "-R", "--recursive", "-a", "--archive")
    return copy_like("cp", opts, recursive=recursive, move=False)


def _mv(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="tS", long_values=("target-directory", "suffix", "backup", "context"))
    return copy_like("mv", opts, recursive=True, move=True)


def _ln(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="tS", long_values=("target-directory", "suffix", "backup"))
    kind = ":symlink" if opts.has("-s", "--symbolic") else ":hardlink"
    return [Found(f.word, "link", mirror=(f.mirror[0], f.mirror[1] + kind) if f.mirror else None)
            for f in copy_like("ln", opts, recursive=False, move=False)]


def _rsync(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="efBMT@", long_values=(
        "rsh", "filter", "block-size", "remote-option", "temp-dir", "modify-window", "exclude", "include",
        "files-from", "exclude-from", "include-from", "port", "password-file", "log-file", "backup-dir",
        "partial-dir", "chmod", "compare-dest", "copy-dest", "link-dest", "max-size", "min-size", "timeout",
        "bwlimit", "out-format", "iconv", "suffix", "rsync-path", "chown", "usermap", "groupmap"))
    found: list[Found] = []
    for flag in ("--log-file", "--backup-dir", "--partial-dir", "-T", "--temp-dir"):
        found.extend(Found(w, "write") for w in opts.values(flag))
    operands = opts.operands
    if len(operands) < 2:
        return found

    def remote(word: Word) -> bool:
        text = word.text
        head = text.split("/", 1)[0]
        return text.startswith("rsync://") or (":" in head and not text.startswith(("/", "./", "~")))

    dest, sources = operands[-1], operands[:-1]
    if remote(dest):
        return found
    mode = "dir" if len(sources) > 1 else "rsync"
    for src in sources:
        if remote(src):
            found.append(Found(dest, "write", recursive=True))
        else:
            found.append(Found(dest, "write", mirror=(src, mode), recursive=True))
    if opts.has("--delete", "--delete-before", "--delete-during", "--delete-delay", "--delete-after",
                "--delete-excluded", "--del"):
        found.append(Found(dest, "delete", recursive=True))
    if opts.has("--remove-source-files"):
        found.extend(Found(src, "delete", recursive=True) for src in sources if not remote(src))
    return found


def _sort(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="ktTSo", long_values=("key", "field-separator", "output",
                                                                  "temporary-directory", "buffer-size",
                                                                  "files0-from", "random-source", "parallel",
                                                                  "batch-size", "compress-program", "sort"))
    return [Found(w, "write") for w in opts.values("-o", "--output")]


def _uniq(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="fsw", long_values=("skip-fields", "skip-chars", "check-chars",
                                                                "group", "all-repeated"))
    return [Found(opts.operands[1], "write")] if len(opts.operands) >= 2 else []


def _sqlite(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    from hookpact.shell import inline

    opts = parse_options(args, short_values="", long_values=("cmd", "separator", "nullvalue", "newline", "init"))
    operands = opts.operands
    if not operands or opts.has("-readonly", "--readonly"):
        return []
    in_memory = operands[0].static() in (":memory:", "")  # a database that lives and dies in the process
    found = [] if in_memory else [Found(operands[0], "write")]
    for sql in [*operands[1:], *opts.values("--cmd")]:
        text = sql.static()
        if text is None or inline.sql_may_write_elsewhere(text):
            found.append(unknown("interpreter", f"the {program} commands may write other files"))
    if stdin is not None and (not isinstance(stdin[1], str) or stdin[0] == "heredoc-dynamic"
                              or inline.sql_may_write_elsewhere(stdin[1])):
        found.append(unknown("interpreter", f"the {program} commands it reads may write other files"))
    return found


def _patch(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="iopdDBrVFgYzxM", long_values=(
        "input", "output", "strip", "directory", "ifdef", "prefix", "reject-file", "version-control", "fuzz",
        "get", "basename-prefix", "suffix", "debug", "quoting-style"))
    if opts.has("--dry-run", "-C", "--check"):
        return []
    found: list[Found] = []
    output = opts.value("-o", "--output")
    if output is not None:
        found.append(Found(output, "write"))
    found.extend(Found(w, "write") for w in opts.values("-r", "--reject-file"))
    operands = list(opts.operands)
    patch_file = opts.value("-i", "--input")
    if len(operands) >= 2 and patch_file is None:
        patch_file = operands[1]
    if operands and output is None:
        found.append(Found(operands[0], "write"))
        return found
    if output is not None:
        return found
    strip = opts.value("-p", "--strip")
    sources = [patch_file] if patch_file is not None else []
    found.extend(git.patch_targets(sources, stdin, strip.static() if strip else "any",
                                      opts.value("-d", "--directory"), "patch"))
    return found


def _ed(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="p", long_values=("prompt",))
    return targets(opts.operands[:1], "write")


def _rename(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args)
    operands = opts.operands
    if len(operands) < 2:
        return []
    files = operands[2:] if len(operands) > 2 else operands[1:]
    found = targets(files, "delete")
    found.append(unknown("target", "rename computes the new file names at run time"))
    return found


def _openssl(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    found = []
    for index, word in enumerate(args[:-1]):
        if word.static() in ("-out", "-keyout", "-certout"):
            found.append(Found(args[index + 1], "write"))
    return found


def _make_fs(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    return targets([w for w in args if not w.text.startswith("-") and w.text.startswith("/dev/")], "write")


def _named(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    """``mkfifo``/``mknod``/``link``/``sponge``/``fallocate``: the operand(s) that name files."""
    if program == "mknod":
        opts = parse_options(args, short_values="mZ", long_values=("mode", "context"))
        return targets(opts.operands[:1], "create")
    if program == "link":
        return targets(args[1:2], "link")
    if program == "fallocate":
        opts = parse_options(args, short_values="lon", long_values=("length", "offset"))
        return targets(opts.operands, "write")
    opts = parse_options(args, short_values="m", long_values=("mode", "context"))
    return targets(opts.operands, "create" if program in ("mkfifo", "mkdir") else "write")


def outputs(short_values: str = "", long_values: tuple[str, ...] = (), *,
            out: tuple[str, ...] = ("-o",)) -> Writer:
    """A program whose outputs are named by options (``out``): ``gcc -o``, ``iconv -o``, ``gpg -o``."""
    def extract(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
        opts = parse_options(args, short_values=short_values, long_values=long_values)
        return targets(opts.values(*out), "write")
    return extract


def in_place(short_values: str = "", long_values: tuple[str, ...] = (), *, unless: tuple[str, ...] = ()) -> Writer:
    """Formatters and converters that rewrite every file operand (``dos2unix f``, ``black .``)."""
    def extract(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
        opts = parse_options(args, short_values=short_values, long_values=long_values)
        if unless and opts.has(*unless):
            return []
        return targets(opts.operands or [Word.literal(".")], "write", recursive=True)
    return extract


def _flagged_in_place(flags: tuple[str, ...], short_values: str = "", long_values: tuple[str, ...] = ()) -> Writer:
    """Writes its operands only with one of ``flags`` (``prettier --write``, ``gofmt -w``)."""
    def extract(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
        opts = parse_options(args, short_values=short_values, long_values=long_values,
                             long_flags=tuple(f[2:] for f in flags if f.startswith("--")))
        if not opts.has(*flags):
            return []
        return targets(opts.operands or [Word.literal(".")], "write", recursive=True)
    return extract


def _xxd(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="cglosn", long_values=())
    return [Found(opts.operands[1], "write")] if len(opts.operands) >= 2 else []


def _split(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="abClnt", long_values=(
        "suffix-length", "additional-suffix", "bytes", "line-bytes", "lines", "number", "separator", "filter"))
    if opts.has("--filter"):
        return [unknown("interpreter", f"{program} --filter runs a shell command per chunk")]
    prefix = opts.operands[1] if len(opts.operands) >= 2 else Word.literal("x")
    return [_numbered(prefix, "aa")]


def _csplit(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="bfn", long_values=("suffix-format", "prefix", "digits"))
    return [_numbered(opts.value("-f", "--prefix") or Word.literal("xx"), "00")]


def _numbered(prefix: Word, first: str) -> Found:
    """``split``/``csplit`` write PREFIXaa, PREFIXab ... next to each other: judged by the first one."""
    return Found(Word((*prefix.parts, (QUOTED, first)), prefix.source + first), "write")


def _go(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    if not args:
        return []
    sub = args[0].static()
    if sub in ("build", "test"):
        opts = parse_options(args[1:], short_values="o", long_values=())
        return targets(opts.values("-o"), "write")
    if sub in ("fmt",):
        return targets([w for w in args[1:] if not w.text.startswith("-")] or [Word.literal(".")], "write",
                       recursive=True)
    if sub in ("generate", "run", "install", "get", "mod"):
        return [unknown("interpreter", f"go {sub} runs or installs programs that may write files")]
    return []


def _scp(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    """``scp SRC... DEST``: a local DEST is written (a copy of each source below it, when it is a directory)."""
    opts = parse_options(args, short_values="cFiJloPSX", long_values=())
    if len(opts.operands) < 2:
        return []
    dest = opts.operands[-1]
    text = dest.text
    head = text.split("/", 1)[0]
    if ":" in head and not text.startswith(("/", "./", "~")):
        return []  # a remote destination
    sources = opts.operands[:-1]
    mode = "dir" if len(sources) > 1 else "auto"
    return [Found(dest, "write", mirror=(src, mode), recursive=opts.has("-r")) for src in sources]


def _pip(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="tcer", long_values=("target", "prefix", "root", "src", "log",
                                                                 "requirement", "constraint", "editable",
                                                                 "index-url", "extra-index-url", "cache-dir"))
    found = targets(opts.values("-t", "--target", "--prefix", "--root", "--src", "--log"), "write", recursive=True)
    return found


def _npm(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="C", long_values=("prefix", "cache", "userconfig", "globalconfig"))
    return targets(opts.values("-C", "--prefix", "--cache"), "write", recursive=True)


WRITERS: dict[str, object] = {
    "rm": _simple("delete", long_values=("interactive",), recursive_flags=("-r", "-R", "--recursive")),
    "unlink": _simple("delete"),
    "rmdir": _rmdir,
    "shred": _simple("write", "ns", ("iterations", "size", "random-source"), delete_flags=("-u", "--remove")),
    "touch": _simple("create", "rtd", ("reference", "date", "time")),
    "truncate": _simple("write", "sr", ("size", "reference")),
    "mkdir": _simple("create", "mZ", ("mode", "context")),
    "mkfifo": _named,
    "mknod": _named,
    "link": _named,
    "sponge": _named,
    "fallocate": _named,
    "tee": _simple("write", "", ("output-error",)),
    "dd": lambda program, args, stdin: _dd(args),
    "cp": _cp,
    "mv": _mv,
    "install": _install,
    "ln": _ln,
    "rsync": _rsync,
    "sed": lambda program, args, stdin: _sed(args),
    "gsed": lambda program, args, stdin: _sed(args),
    "perl": interpreters.perl_like,
    "ruby": interpreters.perl_like,
    **dict.fromkeys(interpreters.AWKS, interpreters.awk),
    **dict.fromkeys(("python", "python2", "python3", "pypy", "pypy3", "node", "nodejs", "deno", "bun", "php",
                     "lua", "luajit", "rscript", "osascript", "pwsh", "powershell", "gdb"), interpreters.interpreter),
    **dict.fromkeys(("chmod", "chown", "chgrp"), lambda program, args, stdin: _chmod_like(program, args)),
    "git": lambda program, args, stdin: git.writes(args, stdin),
    "find": lambda program, args, stdin: find_program.parse(args)[0],
    "patch": _patch,
    "curl": archives.curl,
    "wget": archives.wget,
    "tar": archives.tar,
    "bsdtar": archives.tar,
    **dict.fromkeys(("gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "zstd", "lz4", "compress"),
                    archives.compressor),
    "zip": archives.zip_,
    "unzip": archives.unzip,
    "7z": archives.seven_zip,
    "7za": archives.seven_zip,
    "iconv": outputs("fto", ("from-code", "to-code", "output"), out=("-o", "--output")),
    **dict.fromkeys(("dos2unix", "unix2dos", "mac2unix", "unix2mac"), in_place(unless=("-n", "--newfile"))),
    "xxd": _xxd,
    "split": _split,
    "csplit": _csplit,
    **dict.fromkeys(("gcc", "cc", "clang", "g++", "c++", "clang++", "tcc", "rustc", "javac", "ld", "as", "nasm",
                     "zig", "tsc", "esbuild", "swiftc"), outputs("oIDLlxud", ("output", "outDir", "outfile",
                                                                             "outdir", "out-dir"),
                                                                 out=("-o", "--output", "--outDir", "--outfile",
                                                                      "--outdir", "--out-dir"))),
    "go": _go,
    "scp": _scp,
    **dict.fromkeys(("gpg", "gpg2"), outputs("orRuf", ("output", "recipient", "local-user", "homedir"),
                                             out=("-o", "--output"))),
    **dict.fromkeys(("pip", "pip3"), _pip),
    **dict.fromkeys(("npm", "pnpm", "yarn"), _npm),
    **dict.fromkeys(("black", "isort", "autopep8", "yapf", "rustfmt", "clang-format", "shfmt", "stylua"),
                    in_place("l", ("line-length", "config", "target-version"),
                             unless=("--check", "--diff", "--version", "--help"))),
    "ruff": lambda program, args, stdin: [] if not args or args[0].static() not in ("format", "check") or (
        args[0].static() == "check" and not any(w.static() in ("--fix", "--unsafe-fixes") for w in args)) else
        in_place("", ("config", "line-length", "target-version"), unless=("--check", "--diff"))(program, args[1:],
                                                                                            stdin),
    **dict.fromkeys(("prettier", "eslint", "stylelint"), _flagged_in_place(("--write", "-w", "--fix"))),
    **dict.fromkeys(("gofmt", "goimports"), _flagged_in_place(("-w",))),
    "yq": _flagged_in_place(("-i", "--inplace")),
    "tree": outputs("oLPIH", ("charset", "filelimit", "timefmt", "sort"), out=("-o",)),
    **dict.fromkeys(("less", "more", "most", "zless"), outputs("oOPxhbjyz", out=("-o", "-O"))),
    "sdiff": outputs("oIsw", ("output", "ignore-matching-lines", "width"), out=("-o", "--output")),
    "sort": _sort,
    "uniq": _uniq,
    "ed": _ed,
    "ex": _ed,
    "sqlite3": _sqlite,
    "rename": _rename,
    "openssl": _openssl,
    "mkfs": _make_fs,
    "mke2fs": _make_fs,
    "mkswap": _make_fs,
    "wipefs": _make_fs,
    "fdisk": _make_fs,
    "sfdisk": _make_fs,
    "parted": _make_fs,
    "blkdiscard": _make_fs,
}
