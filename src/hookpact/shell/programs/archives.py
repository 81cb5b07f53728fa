"""Downloaders and archivers: the options that name what they write, and what extracting writes."""

from __future__ import annotations

from hookpact.shell.programs.base import Found, parse_options, targets, unknown
from hookpact.shell.words import QUOTED, Word

#: Programs that fetch from the network (what they print may be run: ``curl ... | sh``).
DOWNLOADERS = frozenset({"curl", "wget", "fetch", "aria2c", "http", "https", "lwp-request", "get", "xh", "curlie"})


def tar(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    words = list(args)
    if words and words[0].known and not words[0].text.startswith("-") and words[0].text.isalpha():
        # old style: ``tar xzf archive.tgz``: letters, then their values in order
        letters = words[0].text
        words = [Word.literal("-" + letters), *words[1:]]
    opts = parse_options(words, short_values="fCbgHKLNTVX", long_values=(
        "file", "directory", "blocking-factor", "listed-incremental", "format", "starting-file", "tape-length",
        "newer", "files-from", "label", "exclude-from", "to-command", "transform", "exclude", "owner", "group",
        "mode", "use-compress-program", "checkpoint-action", "volno-file", "info-script", "rsh-command"))
    archive = opts.value("-f", "--file")
    creates = opts.has("-c", "--create", "-r", "--append", "-u", "--update", "-A", "--catenate", "--concatenate",
                       "--delete")
    if creates:
        return [Found(archive, "write")] if archive is not None and archive.static() != "-" else []
    if opts.has("-x", "--extract", "--get"):
        if opts.has("-O", "--to-stdout", "--to-command"):
            return []
        # GNU tar strips a leading / and refuses ../ members: what it writes stays below -C (or here)
        return [Found(opts.value("-C", "--directory") or Word.literal("."), "write", recursive=True)]
    return []


def compressor(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="S", long_values=("suffix",))
    if opts.has("-c", "--stdout", "--to-stdout", "-t", "--test", "-l", "--list"):
        return []
    return targets([w for w in opts.operands if w.static() != "-"], "write")


def curl(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="oDcKuHdXAbeEFmrTwxyzY", long_values=(
        "output", "dump-header", "cookie-jar", "config", "user", "header", "data", "data-raw", "data-binary",
        "request", "user-agent", "cookie", "referer", "cert", "form", "max-time", "range", "upload-file",
        "write-out", "proxy", "output-dir", "trace", "trace-ascii", "stderr", "libcurl", "etag-save", "hsts",
        "url", "retry", "connect-timeout", "cacert", "key", "resolve", "data-urlencode", "json"))
    found: list[Found] = []
    directory = opts.value("--output-dir")

    def in_dir(word: Word) -> Word:
        if directory is None or word.text.startswith("/"):
            return word
        return Word((*directory.parts, (QUOTED, "/"), *word.parts), directory.source + "/" + word.source)

    for word in opts.values("-o", "--output"):
        if word.static() != "-":
            found.append(Found(in_dir(word), "write"))
    if opts.has("-O", "--remote-name", "--remote-name-all"):
        urls = [w for w in opts.operands] + opts.values("--url")
        for url in urls:
            text = url.static()
            if text is None:
                found.append(unknown("target", "curl -O names the file after a URL only known at run time"))
                continue
            name = text.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            found.append(Found(in_dir(Word.literal(name or "curl_response")), "write"))
    for flag in ("-D", "--dump-header", "-c", "--cookie-jar", "--trace", "--trace-ascii", "--stderr", "--libcurl",
                 "--etag-save", "--hsts"):
        found.extend(Found(w, "write") for w in opts.values(flag) if w.static() != "-")
    return found


def wget(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="OoaPeiBtTwQUYlAR", long_values=(
        "output-document", "output-file", "append-output", "directory-prefix", "execute", "input-file",
        "base", "tries", "timeout", "wait", "quota", "user-agent", "level", "accept", "reject", "header",
        "post-data", "user", "password"))
    found: list[Found] = []
    for flag in ("-o", "--output-file", "-a", "--append-output"):
        found.extend(Found(w, "write") for w in opts.values(flag))
    document = opts.value("-O", "--output-document")
    if document is not None:
        if document.static() != "-":
            found.append(Found(document, "write"))
        return found
    if opts.has("--spider"):
        return found
    if opts.has("-r", "--recursive", "-m", "--mirror", "-p", "--page-requisites", "-i", "--input-file"):
        found.append(unknown("target", "wget saves files named after what it downloads"))
        return found
    prefix = opts.value("-P", "--directory-prefix")
    for url in opts.operands:
        text = url.static()
        if text is None:
            found.append(unknown("target", "wget names the file after a URL only known at run time"))
            continue
        name = text.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "index.html"
        if "/" not in text.split("://", 1)[-1]:
            name = "index.html"
        word = Word.literal(name)
        if prefix is not None:
            word = Word((*prefix.parts, (QUOTED, "/" + name)), prefix.source + "/" + name)
        found.append(Found(word, "write"))
    return found


def zip_(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="bnOPtxi", long_values=("temp-path", "suffixes", "output-file",
                                                                    "password", "exclude", "include"))
    if not opts.operands:
        return []
    found = [Found(opts.operands[0], "write")]
    found.extend(Found(w, "write") for w in opts.values("-O", "--output-file"))
    if opts.has("-m", "--move"):
        found.extend(Found(w, "delete", recursive=True) for w in opts.operands[1:])
    return found


def unzip(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    opts = parse_options(args, short_values="dxP", long_values=())
    if opts.has("-l", "-t", "-v", "-p", "-Z", "-z"):
        return []
    return [Found(opts.value("-d") or Word.literal("."), "write", recursive=True)]


def seven_zip(program: str, args: list[Word], stdin: tuple[str, object] | None) -> list[Found]:
    command = args[0].static() if args else None
    operands = [w for w in args[1:] if not w.text.startswith("-")]
    if command in ("a", "u", "d", "rn"):
        return [Found(operands[0], "write")] if operands else []
    if command in ("x", "e"):
        out = next((w for w in args[1:] if w.known and w.text.startswith("-o")), None)
        if out is not None and out.text == "-o":
            return [unknown("extract", f"{program} extracts files named inside the archive")]
        where = Word([(QUOTED, out.text[2:])], out.text[2:]) if out is not None and out.static() else (
            Word.literal(".") if out is None else None)
        if where is None:
            return [unknown("extract", f"{program} extracts below a directory only known at run time")]
        return [Found(where, "write", recursive=True)]
    return []


