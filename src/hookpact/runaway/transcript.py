"""What a transcript says a session or subagent did: tool calls, files written, token usage, cost.

Claude Code writes one JSONL line per content block, so one API message can appear on several
lines with the same ``message.id`` and the same ``usage``: usage is counted once per message id.
Prices are US dollars per million tokens, per model; ``runaway.costs.prices`` in
.claude/hookpact.json replaces the defaults below (keys: a model name, a prefix ending in ``*``,
or ``*`` for any model).
"""

from __future__ import annotations

from hookpact.core import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TOKEN_KINDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
PRICE_KEYS = {"input_tokens": "input", "output_tokens": "output", "cache_creation_input_tokens": "cache_write",
              "cache_read_input_tokens": "cache_read"}
#: An estimate for when nothing is configured (Sonnet-class list prices, USD per million tokens).
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "*": {"input": 3.0, "output": 15.0, "cache_write": 3.75, "cache_read": 0.30},
    "claude-opus*": {"input": 15.0, "output": 75.0, "cache_write": 18.75, "cache_read": 1.50},
    "claude-haiku*": {"input": 1.0, "output": 5.0, "cache_write": 1.25, "cache_read": 0.10},
}
FILE_TOOLS = {"Write": "file_path", "Edit": "file_path", "NotebookEdit": "notebook_path"}
MAX_BYTES = 64 * 1024 * 1024


def price_for(model: str, prices: dict[str, dict[str, float]]) -> dict[str, float]:
    if model in prices:
        return prices[model]
    best = ""
    for key in prices:
        if key.endswith("*") and model.startswith(key[:-1]) and len(key) > len(best):
            best = key
    return prices.get(best) or prices.get("*") or {}


def summarize(path: str, prices: dict[str, dict[str, float]] | None = None) -> dict[str, Any]:
    """``{"tools": {name: n}, "paths": [...], "models": {model: {tokens}}, "tokens": {...}, "usd": x,
    "messages": n}``."""
    prices = prices or DEFAULT_PRICES
    tools: dict[str, int] = {}
    paths: list[str] = []
    usage_by_message: dict[str, tuple[str, dict[str, int]]] = {}
    seen_tool_ids: set[str] = set()
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES)
    for number, line in enumerate(data.splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or entry.get("type") != "assistant":
            continue
        message = entry.get("message")
        if not isinstance(message, dict):
            continue
        usage = message.get("usage")
        if isinstance(usage, dict):
            key = str(message.get("id") or entry.get("requestId") or f"line{number}")
            counts = {kind: int(usage.get(kind) or 0) for kind in TOKEN_KINDS}
            usage_by_message[key] = (str(message.get("model") or "?"), counts)
        for block in message.get("content") or []:
            if not isinstance(block, dict) or block.get("type") != "tool_use":
                continue
            block_id = str(block.get("id") or "")
            if block_id and block_id in seen_tool_ids:
                continue
            seen_tool_ids.add(block_id)
            name = str(block.get("name"))
            tools[name] = tools.get(name, 0) + 1
            key_name = FILE_TOOLS.get(name)
            tool_input = block.get("input")
            if key_name and isinstance(tool_input, dict):
                target = tool_input.get(key_name) or tool_input.get("file_path")
                if isinstance(target, str) and target not in paths:
                    paths.append(target)
    models: dict[str, dict[str, int]] = {}
    total = dict.fromkeys(TOKEN_KINDS, 0)
    usd = 0.0
    for model, counts in usage_by_message.values():
        per = models.setdefault(model, dict.fromkeys(TOKEN_KINDS, 0))
        price = price_for(model, prices)
        for kind, n in counts.items():
            per[kind] += n
            total[kind] += n
            usd += n * float(price.get(PRICE_KEYS[kind], 0.0)) / 1_000_000
    return {"tools": tools, "paths": paths, "models": models, "tokens": total, "usd": round(usd, 6),
            "messages": len(usage_by_message)}


def prices_from(section: dict[str, Any] | None) -> dict[str, dict[str, float]]:
    costs = (section or {}).get("costs")
    table = costs.get("prices") if isinstance(costs, dict) else None
    if not isinstance(table, dict) or not table:
        return DEFAULT_PRICES
    return {str(k): {p: float(v) for p, v in row.items() if isinstance(v, (int, float))}
            for k, row in table.items() if isinstance(row, dict)}
