"""Programs that write no file and run no other program, whatever their arguments.

Known to write nothing, so their path arguments are not suspected (an unknown program's are:
see :func:`hookpact.shell.commands.writes_of`). A program with an option that writes
(``sort -o``, ``xxd -r``, ``yq -i``) belongs in ``writers``, not here.
"""

from __future__ import annotations

READ_ONLY = frozenset({
    "ls", "pwd", "cat", "head", "tail", "wc", "grep", "egrep", "fgrep", "rg", "ag", "ack", "echo", "printf",
    "true", "false", "whoami", "id", "uname", "nproc", "printenv", "basename", "dirname", "realpath",
    "readlink", "stat", "du", "df", "diff", "cmp", "which", "sleep", "date", "cal", "hostname", "test", "[",
    "[[", "type", "file", "less", "more", "most", "tree", "jq", "column", "cut", "tr", "nl", "od", "hexdump",
    "md5sum", "sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum", "b2sum", "cksum", "sum", "base64",
    "base32", "seq", "yes", "tac", "rev", "fold", "fmt", "paste", "join", "comm", "expand", "unexpand",
    "strings", "nm", "objdump", "readelf", "ldd", "ps", "top", "free", "uptime", "w", "who", "pgrep", "ss",
    "netstat", "ping", "dig", "nslookup", "host", "man", "info", "whatis", "whereis", "apropos", "groups",
    "getent", "tty", "locale", "lscpu", "lsblk", "lsusb", "lspci", "jobs", "help", ":", "exit", "return",
    "shift", "read", "wait", "getopts", "hash", "let", "caller", "dirs", "shopt", "set", "unset", "history",
    "zcat", "bzcat", "xzcat", "zless", "zgrep", "numfmt", "factor", "expr", "bc", "dc", "look", "env-list",
    "lsof", "vmstat", "iostat", "mpstat", "pidof", "arch", "logname", "users", "tput", "clear", "reset-term",
    "sha1", "md5", "shasum", "diff3", "sdiff", "colordiff", "wdiff", "git-status", "pstree", "htop", "btop",
    "fd", "fdfind", "bat", "batcat", "exa", "eza", "delta", "tokei", "cloc", "wc-l", "hyperfine-list",
})
