"""Decisions are data: what a hook concluded, the rule that made it, and why."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    Kind = Literal["pass", "deny", "ask", "context"]

# A plain slotted class rather than a dataclass: ``dataclasses`` pulls in ``inspect``
# and costs several milliseconds on every hook start (see bench/).


class Decision:
    """One immutable hook outcome.

    ``pass``    no objection (renders as no output: hookpact never auto-approves a tool);
    ``deny``    block the tool, ``reason`` goes to the model;
    ``ask``     ask the user (denied in ``-p`` mode, where nobody can answer);
    ``context`` no objection, and ``context`` text for the model.

    ``notice`` is shown to the user (``systemMessage``), never sent to the model.
    ``updated_input`` (PreToolUse only, never with a deny) replaces the tool input the
    tool runs with (``hookSpecificOutput.updatedInput``): how a Bash command is confined.
    """

    __slots__ = ("kind", "reason", "rule", "context", "source", "notice", "updated_input")

    kind: Kind
    reason: str
    rule: str
    context: str
    source: str
    notice: str
    updated_input: dict[str, Any] | None

    def __init__(self, kind: Kind, *, reason: str = "", rule: str = "", context: str = "", source: str = "",
                 notice: str = "", updated_input: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "rule", rule)
        object.__setattr__(self, "context", context)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "notice", notice)
        object.__setattr__(self, "updated_input", updated_input)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Decision is immutable")

    def _key(self) -> tuple[object, ...]:
        updated = None if self.updated_input is None else repr(sorted(self.updated_input.items()))
        return (self.kind, self.reason, self.rule, self.context, self.source, self.notice, updated)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decision) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__[1:] if getattr(self, name))
        return f"Decision({self.kind!r}{', ' if fields else ''}{fields})"

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def with_input(self, updated_input: dict[str, Any]) -> Decision:
        """This decision, with the tool input replaced (anything but a deny)."""
        return Decision(self.kind, reason=self.reason, rule=self.rule, context=self.context, source=self.source,
                        notice=self.notice, updated_input=updated_input)

    @property
    def blocks(self) -> bool:
        return self.kind in ("deny", "ask")


def passed(rule: str = "", *, source: str = "") -> Decision:
    return Decision("pass", rule=rule, source=source)


def deny(reason: str, *, rule: str = "", source: str = "") -> Decision:
    return Decision("deny", reason=reason, rule=rule, source=source)
