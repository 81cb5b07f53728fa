"""Per-call cost of hookpact's SDK callbacks against the same hooks as command hooks, in one run.

For each case the same event is decided ``--runs`` times by the in-process callback
(``hookpact.sdk.callback``, awaited on one event loop) and by the installed command
(``/bin/sh -c '<python>' -I .../hooks/<name>.py``), interleaved. Medians and their ratio go to
``bench/results/sdk_overhead.json``. Run: ``.venv/bin/python bench/sdk_overhead.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hookpact.hooks.registry import HOOKS
from hookpact.installer.settings import hook_command
from hookpact.sdk import callback, sdk_env

RESULTS = Path(__file__).resolve().parent / "results" / "sdk_overhead.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    python = os.path.abspath(sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(os.path.realpath(tmp))
        root = base / "repo"
        (root / ".claude" / "contracts").mkdir(parents=True)
        (root / ".claude" / "contracts" / "backend.json").write_text(json.dumps(
            {"agent": "backend", "outputs": {"allowed_modifications": ["src/backend/**"]}}))
        env = {"PATH": "/usr/bin:/bin", "HOME": str(base / "home"), "HOOKPACT_STATE_DIR": str(base / "state"),
               "HOOKPACT_DATA_DIR": str(base / "data"), "CLAUDE_PROJECT_DIR": str(root)}
        common = {"session_id": "bench", "cwd": str(root), "agent_type": "backend", "agent_id": "a1",
                  "tool_use_id": "toolu_b"}
        cases = {
            "scope (allowed write)": ("scope", {**common, "hook_event_name": "PreToolUse", "tool_name": "Write",
                                                "tool_input": {"file_path": str(root / "src/backend/a.py"),
                                                               "content": "x\n"}}),
            "bash_guard (write, allowed)": ("bash_guard", {**common, "hook_event_name": "PreToolUse",
                                                           "tool_name": "Bash",
                                                           "tool_input": {"command": "echo x > src/backend/a.py"}}),
            "audit (PostToolUse)": ("audit", {**common, "hook_event_name": "PostToolUse", "tool_name": "Write",
                                              "tool_input": {"file_path": str(root / "src/backend/a.py")},
                                              "tool_response": {"type": "create"}}),
        }
        callbacks = {label: callback(HOOKS[name], sdk_env(root, env)) for label, (name, _) in cases.items()}
        samples: dict[str, dict[str, list[float]]] = {label: {"sdk": [], "command": []} for label in cases}

        async def sdk_once(label: str, event: dict[str, object]) -> float:
            start = time.perf_counter()
            await callbacks[label](event, "toolu_b", {"signal": None})
            return time.perf_counter() - start

        loop = asyncio.new_event_loop()
        for label, (name, event) in cases.items():  # warm-up: imports, compiled contracts, audit key
            loop.run_until_complete(sdk_once(label, event))
            subprocess.run(["/bin/sh", "-c", hook_command(HOOKS[name], python)], input=json.dumps(event).encode(),
                           env=env, cwd=root, capture_output=True, check=True)
        for _ in range(args.runs):
            for label, (name, event) in cases.items():
                samples[label]["sdk"].append(loop.run_until_complete(sdk_once(label, event)))
                start = time.perf_counter()
                subprocess.run(["/bin/sh", "-c", hook_command(HOOKS[name], python)], input=json.dumps(event).encode(),
                               env=env, cwd=root, capture_output=True, check=True)
                samples[label]["command"].append(time.perf_counter() - start)
        loop.close()
    result = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": platform.python_version(),
              "runs": args.runs, "median_ms": {}, "command_over_sdk": {}}
    print(f"{'hook':30} {'sdk ms':>8} {'command ms':>11} {'command/sdk':>12}")
    for label, by in samples.items():
        sdk, command = statistics.median(by["sdk"]), statistics.median(by["command"])
        result["median_ms"][label] = {"sdk": round(sdk * 1000, 3), "command": round(command * 1000, 2)}
        result["command_over_sdk"][label] = round(command / sdk, 1)
        print(f"{label:30} {sdk * 1000:>8.2f} {command * 1000:>11.2f} {command / sdk:>12.1f}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
