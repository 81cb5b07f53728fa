"""Spend limits: what the agents cost, counted as the usage arrives, against limits per session, agent
type, project and machine, per day, month or in total (``runaway.spend``).

The ledger is one small file, ``<state dir>/runaway/spend.json``, changed only under its lock
(:func:`state.locked_update`, atomic replace), so parallel sessions never lose an increment: per
limit and period what was spent, which alerts went out and whether a person lifted the limit; the
hooks read it on every tool call. Beside it, one cursor per transcript
(``runaway/spend-cursors/<hash>.json``: how far it was read and what its last messages were counted
at), written under the same lock right after the ledger, so each turn end reads only the lines
appended since (usage is counted once per API message id, at its latest value, as
:mod:`runaway.transcript` does). A crash between the two writes counts that turn again: too much,
never too little.

Periods are UTC: ``day:2026-12-07``, ``month:2026-12``, ``total``. Amounts are in the price table's
currency (``runaway.costs``; USD by default).

A corrupt or deleted ledger is never read as "nothing spent": :class:`state.StateUnreadable`, and
the hooks deny (``hookpact resume --spend`` starts a new ledger once a person decided to).
"""

from __future__ import annotations

import os
import time

from hookpact.core import fastjson as json
from hookpact.core.events import transcript_key, transcript_of
from hookpact.runaway.state import locked_update, read_strict

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCOPES = ("session", "agent_type", "project", "machine")
PERIODS = ("day", "month", "total")
DEFAULT_ALERTS = (0.5, 0.8)
LEDGER = ("runaway", "spend.json")
#: Message ids remembered per transcript, so a message spread over several lines counts once.
RECENT_MESSAGES = 16
CURSORS = ("runaway", "spend-cursors")
#: At most this much of a transcript is read per turn end (a long transcript read for the first time
#: is caught up over the next turn ends).
CHUNK = 4 * 1024 * 1024
KEEP_DAYS = 40


def ledger_path(state_dir: str) -> str:
    return os.path.join(state_dir, *LEDGER)


def limits(section: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{"limits": {scope: {period: amount}}, "alert_at": [..], "currency": str}``, or None when no
    spend limit is configured."""
    raw = (section or {}).get("spend")
    if not isinstance(raw, dict):
        return None
    table: dict[str, dict[str, float]] = {}
    for scope in SCOPES:
        row = raw.get(scope)
        if not isinstance(row, dict):
            continue
        for period in PERIODS:
            amount = row.get(period)
            if isinstance(amount, (int, float)) and not isinstance(amount, bool) and amount > 0:
                table.setdefault(scope, {})[period] = float(amount)
    types: dict[str, dict[str, float]] = {}
    for name, row in (raw.get("agent_types") or {}).items() if isinstance(raw.get("agent_types"), dict) else ():
        if isinstance(row, dict):
            types[str(name)] = {period: float(row[period]) for period in PERIODS
                                if isinstance(row.get(period), (int, float)) and not isinstance(row.get(period), bool)
                                and row[period] > 0}
    if not table and not any(types.values()):
        return None
    alerts = raw.get("alert_at", list(DEFAULT_ALERTS))
    if not isinstance(alerts, list) or not all(isinstance(a, (int, float)) and 0 < a < 1 for a in alerts):
        alerts = list(DEFAULT_ALERTS)
    costs = (section or {}).get("costs")
    currency = costs.get("currency") if isinstance(costs, dict) else None
    return {"limits": table, "agent_types": types, "alert_at": sorted(float(a) for a in alerts),
            "currency": currency if isinstance(currency, str) and currency else "USD"}


def period_id(period: str, now: float) -> str:
    if period == "day":
        return "day:" + time.strftime("%Y-%m-%d", time.gmtime(now))
    if period == "month":
        return "month:" + time.strftime("%Y-%m", time.gmtime(now))
    return "total"


def scope_ids(session: str, agent: str, project: str) -> dict[str, str]:
    return {"session": f"session:{session}", "agent_type": f"agent_type:{agent or 'internal'}",
            "project": f"project:{project}", "machine": "machine"}


def applicable(config: dict[str, Any], session: str, agent: str, project: str, now: float) -> list[tuple[str, float]]:
    """(ledger key, limit) of every limit that covers this session, agent type and project now."""
    ids = scope_ids(session, agent, project)
    own = (config.get("agent_types") or {}).get(agent or "internal")
    rows = {**config["limits"], **({"agent_type": own} if own is not None else {})}
    return [(f"{ids[scope]}|{period_id(period, now)}", amount)
            for scope, row in rows.items() for period, amount in row.items()]


def describe(key: str) -> str:
    scope, period = key.split("|", 1)
    kind, _, name = scope.partition(":")
    what = {"session": f"session {name}", "agent_type": f"agent type {name}", "project": f"project {name}",
            "machine": "this machine"}.get(kind, scope)
    if period == "total":
        return f"the total spend limit of {what}"
    unit, _, when = period.partition(":")
    return f"the {'daily' if unit == 'day' else 'monthly'} spend limit of {what} ({when}, UTC)"


def config_key(key: str) -> str:
    scope, period = key.split("|", 1)
    return f"runaway.spend.{scope.partition(':')[0]}.{period.partition(':')[0]}"


# ------------------------------------------------------------------------------------ counting


def _message_usd(usage: dict[str, Any], model: str, prices: dict[str, dict[str, float]]) -> float:
    from hookpact.runaway.transcript import PRICE_KEYS, TOKEN_KINDS, price_for

    price = price_for(model, prices)
    return sum(int(usage.get(kind) or 0) * float(price.get(PRICE_KEYS[kind], 0.0)) for kind in TOKEN_KINDS) / 1e6


def read_usage(path: str, cursor: dict[str, Any], prices: dict[str, dict[str, float]]) -> float:
    """The cost of the usage appended to ``path`` since ``cursor`` (updated in place): a message seen
    before counts only its increase (its last line carries its final usage)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return 0.0
    try:
        st = os.fstat(fd)
        if cursor.get("ino") != st.st_ino or int(cursor.get("offset", 0)) > st.st_size:
            cursor.clear()  # a new transcript at this path
        offset = int(cursor.get("offset", 0))
        chunk = os.pread(fd, min(CHUNK, st.st_size - offset), offset) if st.st_size > offset else b""
    finally:
        os.close(fd)
    end = chunk.rfind(b"\n") + 1
    recent: dict[str, float] = dict(cursor.get("recent") or {})
    delta = 0.0
    position = offset
    for line in chunk[:end].split(b"\n"):
        position += len(line) + 1
        if b'"usage"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        message = entry.get("message") if isinstance(entry, dict) and entry.get("type") == "assistant" else None
        if not isinstance(message, dict) or not isinstance(message.get("usage"), dict):
            continue
        key = str(message.get("id") or entry.get("requestId") or f"offset{position}")
        usd = _message_usd(message["usage"], str(message.get("model") or "?"), prices)
        delta += max(0.0, usd - recent.pop(key, 0.0)) if key in recent else usd
        recent[key] = max(usd, recent.get(key, 0.0))
    cursor.update(ino=st.st_ino, offset=offset + end, recent=dict(list(recent.items())[-RECENT_MESSAGES:]))
    return delta


class Alert:
    __slots__ = ("key", "ratio", "spent", "limit")

    def __init__(self, key: str, ratio: float, spent: float, limit: float) -> None:
        self.key = key
        self.ratio = ratio
        self.spent = spent
        self.limit = limit

    def __repr__(self) -> str:
        return f"Alert({self.key!r}, {self.ratio})"


def account(data: dict[str, Any], *, delta: float, covered: list[tuple[str, float]], alert_at: list[float],
            now: float) -> list[Alert]:
    """Add ``delta`` (what an agent cost since its transcript was last read) to every limit in
    ``covered``; the alerts now due (each threshold once per limit and period) (pure)."""
    spent = data.setdefault("spent", {})
    alerted = data.setdefault("alerted", {})
    known = data.setdefault("limits", {})
    touched = data.setdefault("touched", {})
    today = period_id("day", now)
    fired = []
    for key, limit in covered:
        if key.startswith("session:"):
            touched[key] = today  # a session's "total" never rolls over: forgotten once the session is old
        if delta > 0:
            spent[key] = round(float(spent.get(key, 0.0)) + delta, 9)
        known[key] = limit
        total = float(spent.get(key, 0.0))
        done = alerted.setdefault(key, [])
        for threshold in alert_at:
            if total >= threshold * limit and threshold not in done:
                done.append(threshold)
                fired.append(Alert(key, threshold, total, limit))
        if not done:
            del alerted[key]
    _prune(data, now)
    return fired


def _prune(data: dict[str, Any], now: float) -> None:
    oldest_day = "day:" + time.strftime("%Y-%m-%d", time.gmtime(now - KEEP_DAYS * 86400))
    oldest_month = "month:" + time.strftime("%Y-%m", time.gmtime(now - 400 * 86400))
    touched = data.get("touched") or {}
    stale = {key for key, day in touched.items() if day < oldest_day}
    for table in ("spent", "alerted", "limits", "lifted", "touched"):
        entries = data.get(table) or {}
        for key in list(entries):
            period = key.rsplit("|", 1)[-1]
            if key in stale or (period.startswith("day:") and period < oldest_day) or (
                    period.startswith("month:") and period < oldest_month):
                del entries[key]


def over(data: dict[str, Any], covered: list[tuple[str, float]]) -> tuple[str, float, float] | None:
    """The first limit that is spent and not lifted: (key, spent, limit)."""
    spent = data.get("spent") or {}
    lifted = data.get("lifted") or {}
    for key, limit in covered:
        total = float(spent.get(key, 0.0))
        if total >= limit and key not in lifted:
            return key, total, limit
    return None


def reason(key: str, spent: float, limit: float, currency: str, what: str) -> str:
    return (f"hookpact spend limit: {describe(key)} is reached ({spent:.2f} of {limit:.2f} {currency}, "
            f"{config_key(key)}), so {what} are refused until the period rolls over. Do not try other tools: "
            "end your turn now and say the spend limit stopped you. A person lifts it with "
            "`hookpact resume --spend` or by raising the limit.")


def unreadable_reason(exc: Exception, what: str) -> str:
    return (f"hookpact spend limit: the spend ledger cannot be trusted ({exc}), so {what} are refused: "
            "a spent budget must not read as a fresh one. A person checks the file and starts a new ledger "
            "with `hookpact resume --spend`.")


# ------------------------------------------------------------------------------------ hook entry points


def check(state_dir: str, config: dict[str, Any], session: str, agent: str, project: str,
          what: str, now: float | None = None) -> str | None:
    """The deny reason when a limit covering this call is spent (or the ledger cannot be read)."""
    from hookpact.runaway.state import StateUnreadable

    covered = applicable(config, session, agent, project, time.time() if now is None else now)
    try:
        data = read_strict(ledger_path(state_dir))
    except StateUnreadable as exc:
        return unreadable_reason(exc, what)
    found = over(data, covered)
    return None if found is None else reason(*found, config["currency"], what)


#: How long a PostToolUse waits for its turn's assistant message to reach the transcript, and how much of
#: the transcript's end it searches.
CALLS_WAIT = 0.5
CALLS_TAIL = 1024 * 1024


def wait_for_calls(path: str, ids: list[Any], limit: float) -> bool:
    """Wait (at most ``limit`` seconds) until the transcript holds the assistant message that asked for
    these calls, and with it the turn's usage. Claude Code can deliver a call's PostToolUse before it
    has written that message (seen with a quick command and an http hook): counted then, the turn's
    cost would only be seen at the next turn end. True when it is there."""
    needles = [f'"{i}"'.encode() for i in ids if isinstance(i, str) and i]
    if not needles:
        return False
    give_up = time.monotonic() + max(0.0, limit)
    while True:
        try:
            with open(path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                fh.seek(max(0, size - CALLS_TAIL))
                tail = fh.read()
        except OSError:
            return False
        if all(needle in tail for needle in needles):
            return True
        if time.monotonic() >= give_up:
            return False
        time.sleep(0.01)


def count_turn(state_dir: str, config: dict[str, Any], event: dict[str, Any], agent: str, project: str,
               prices: dict[str, dict[str, float]], wait: float, now: float | None = None) -> list[Alert]:
    """Read the agent's new usage into the ledger; the alerts now due."""
    path = transcript_of(event)
    if path is None:
        return []
    if event.get("hook_event_name") == "PostToolUse":
        wait_for_calls(path, [event.get("tool_use_id")], min(wait, CALLS_WAIT))
    when = time.time() if now is None else now
    covered = applicable(config, str(event.get("session_id") or "unknown"), agent, project, when)
    where = cursor_path(state_dir, path)
    cursor: dict[str, Any] = {}

    def change(data: dict[str, Any]) -> list[Alert]:
        from hookpact.runaway.state import read_json

        cursor.update(read_json(where))  # a lost cursor re-reads the transcript: counts too much, never too little
        alerts = account(data, delta=read_usage(path, cursor, prices), covered=covered, alert_at=config["alert_at"],
                         now=when)
        today = period_id("day", when)
        if data.get("swept") != today:
            data["swept"] = today
            _sweep_cursors(state_dir, when)
        return alerts

    def then() -> None:
        from hookpact.core.dirs import write_private_json

        write_private_json(where, cursor)

    return locked_update(ledger_path(state_dir), change, wait, then=then)


def cursor_path(state_dir: str, transcript_path: str) -> str:
    return os.path.join(state_dir, *CURSORS, f"{transcript_key(transcript_path)}.json")


def _sweep_cursors(state_dir: str, now: float) -> None:
    """Once a day: forget the cursors of transcripts not read for ``KEEP_DAYS``."""
    folder = os.path.join(state_dir, *CURSORS)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            if now - os.stat(path).st_mtime > KEEP_DAYS * 86400:
                os.unlink(path)
        except OSError:
            continue


def turn_end(event: dict[str, Any], ctx: Any, section: dict[str, Any] | None, agent: str) -> list[str]:
    """The spend part of a turn end (a call's PostToolUse, Stop, SubagentStop, a new prompt): count the new
    usage and send the alerts now due. Returns what each escalation did."""
    config = limits(section)
    if config is None:
        return []
    from hookpact.runaway import config as runaway_config
    from hookpact.runaway.transcript import prices_from

    alerts = count_turn(ctx.state_dir, config, event, agent, ctx.project_dir, prices_from(section),
                        min(1.0, max(0.0, ctx.deadline.remaining() - 2.0)))
    if not alerts:
        return []
    from hookpact.core.dirs import data_dir
    from hookpact.runaway import escalate

    settings = runaway_config.escalation(section)
    outcomes = []
    for alert in alerts:
        body = escalate.payload("spend", event, agent, ctx.project_dir, alert_detail(alert, config["currency"]),
                                round(alert.ratio * 100))
        body.update(limit=alert.key, spent=round(alert.spent, 6), limit_amount=alert.limit,
                    currency=config["currency"], threshold=alert.ratio)
        outcomes.append(escalate.escalate(settings, ctx.state_dir, data_dir(ctx.env), ctx.env, ctx.deadline, body,
                                          rate_key=f"spend|{alert.key}|{alert.ratio}"))
    return outcomes


def alert_detail(alert: Alert, currency: str) -> str:
    return (f"{describe(alert.key)}: {alert.spent:.2f} of {alert.limit:.2f} {currency} spent "
            f"({round(alert.ratio * 100)}% reached; {config_key(alert.key)}); at 100% every tool call "
            "and prompt is refused until the period rolls over")


# ------------------------------------------------------------------------------------ status and resume


def current_rows(state_dir: str, now: float | None = None) -> list[dict[str, Any]]:
    """Each limit of the current periods the ledger knows: scope, period, spent, limit, state."""
    data = read_strict(ledger_path(state_dir))
    when = time.time() if now is None else now
    current = {period_id(p, when) for p in PERIODS}
    rows = []
    for key, limit in sorted((data.get("limits") or {}).items()):
        scope, period = key.split("|", 1)
        if period not in current:
            continue
        spent = float((data.get("spent") or {}).get(key, 0.0))
        lifted = key in (data.get("lifted") or {})
        state = "lifted" if lifted and spent >= limit else "SUSPENDED" if spent >= limit else "ok"
        rows.append({"key": key, "scope": scope, "period": period.partition(":")[0] or period,
                     "period_id": period, "spent": round(spent, 6), "limit": float(limit), "state": state,
                     "alerted": list((data.get("alerted") or {}).get(key, []))})
    return rows


def lift(state_dir: str, by: dict[str, Any], now: float | None = None) -> tuple[list[str], str | None]:
    """``hookpact resume --spend``: lift every spent limit of the current period; a ledger that cannot
    be read is moved aside and a new one started. (lifted keys, the file moved aside or None)"""
    from hookpact.runaway.state import StateUnreadable

    path = ledger_path(state_dir)
    moved = None
    try:
        read_strict(path)
    except StateUnreadable:
        if os.path.exists(path):
            moved = f"{path}.unreadable-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
            os.replace(path, moved)
        lock = path + ".lock"
        if os.path.exists(lock):
            os.unlink(lock)  # forget that a ledger was written: the new one starts from zero
        return [], moved or path
    when = time.time() if now is None else now
    current = {period_id(p, when) for p in PERIODS}

    def change(data: dict[str, Any]) -> list[str]:
        lifted = data.setdefault("lifted", {})
        done = []
        for key, limit in (data.get("limits") or {}).items():
            if key.split("|", 1)[1] in current and float((data.get("spent") or {}).get(key, 0.0)) >= limit \
                    and key not in lifted:
                lifted[key] = by
                done.append(key)
        return done

    return locked_update(path, change, 10.0), None
