"""The cost of the portable hook command (installer/launcher.py) over the direct one it replaced.

Runs the scope hook both ways, interleaved, on the same event through ``/bin/sh -c`` as Claude
Code does, and prints medians. ``python bench/launcher.py [ROUNDS]``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from hookpact.hooks.registry import HOOKS
from hookpact.installer import launcher, settings


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    with tempfile.TemporaryDirectory() as tmp:
        repo = os.path.join(tmp, "repo")
        os.makedirs(repo)
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        path = os.path.join(data, launcher.LAUNCHER_NAME)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(launcher.launcher_text(sys.executable, launcher.hooks_dir_of(sys.executable)))
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "CLAUDE_PROJECT_DIR": repo, "HOOKPACT_LAUNCHER": path,
               "HOOKPACT_STATE_DIR": os.path.join(tmp, "state"), "HOOKPACT_DATA_DIR": data}
        event = json.dumps({"session_id": "b", "transcript_path": "", "cwd": repo, "hook_event_name": "PreToolUse",
                            "tool_name": "Write", "tool_input": {"file_path": os.path.join(repo, "a.py"),
                                                                 "content": "x"}}).encode()
        commands = {"direct": settings.hook_command(HOOKS["scope"], sys.executable),
                    "portable": settings.hook_command(HOOKS["scope"], None)}
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, command in commands.items():
                started = time.perf_counter()
                subprocess.run(["/bin/sh", "-c", command], input=event, env=env, capture_output=True, check=True)
                times[name].append((time.perf_counter() - started) * 1000)
        for name, values in times.items():
            print(f"{name:>9}: median {statistics.median(values):6.2f} ms  (min {min(values):.2f}, n={rounds})")
        print(f"overhead: {statistics.median(times['portable']) - statistics.median(times['direct']):+.2f} ms")
        # The launcher alone: the same two spellings with /bin/true as the "interpreter".
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(launcher.launcher_text("/bin/true", os.path.dirname(path)))
        open(os.path.join(data, "scope.py"), "w").close()
        bare = {"direct": "'/bin/true' -I 'x'", "portable": commands["portable"]}
        shell: dict[str, list[float]] = {name: [] for name in bare}
        for _ in range(rounds * 5):
            for name, command in bare.items():
                started = time.perf_counter()
                subprocess.run(["/bin/sh", "-c", command], input=event, env=env, capture_output=True, check=True)
                shell[name].append((time.perf_counter() - started) * 1000)
        for name, values in shell.items():
            print(f"{name:>9} with /bin/true: median {statistics.median(values):5.2f} ms (min {min(values):.2f})")


if __name__ == "__main__":
    main()
