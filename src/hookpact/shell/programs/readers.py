"""Programs that write no file and run no other program, whatever their arguments.

Known to write nothing, so their path arguments are not suspected (an unknown program's are:
see :func:`hookpact.shell.commands.writes_of`). A program with an option that writes
(``sort -o``, ``xxd -r``, ``yq -i``) belongs in ``writers``, not here.
"""

from __future__ import annotations

READ_ONLY = frozenset({
    "ls", "pwd", "cat", "head", "tail", "wc", "grep", "egrep", "fgrep", "ag", "echo", "printf", "true", "false",
    "whoami", "id", "uname", "nproc", "printenv", "basename", "dirname", "realpath", "readlink", "stat", "du",
    "df", "diff", "cmp", "which", "sleep", "cal", "test", "[", "[[", "type", "jq", "column",
    "cut", "tr", "nl", "od", "hexdump", "md5sum", "sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum",
    "b2sum", "cksum", "sum", "base64", "base32", "seq", "yes", "tac", "rev", "fold", "fmt", "paste", "join",
    "comm", "expand", "unexpand", "strings", "nm", "objdump", "readelf", "ps", "free", "uptime", "w", "who",
    "pgrep", "ss", "netstat", "ping", "dig", "nslookup", "host", "whatis", "whereis", "apropos", "groups",
    "getent", "tty", "locale", "lscpu", "lsblk", "lsusb", "lspci", "jobs", "help", ":", "exit", "return",
    "shift", "read", "wait", "getopts", "hash", "let", "caller", "dirs", "shopt", "set", "unset", "zcat",
    "bzcat", "xzcat", "zgrep", "numfmt", "factor", "expr", "bc", "look", "lsof", "vmstat", "iostat", "mpstat",
    "pidof", "arch", "logname", "users", "tput", "clear", "shasum", "diff3", "colordiff", "wdiff", "pstree",
    "tokei", "cloc",
})
