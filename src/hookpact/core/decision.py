"""Decisions are data: what a hook concluded, the rule that made it, and why."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

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
    """

    __slots__ = ("kind", "reason", "rule", "context", "source", "notice")

    kind: Kind
    reason: str
    rule: str
    context: str
    source: str
    notice: str

    def __init__(self, kind: Kind, *, reason: str = "", rule: str = "", context: str = "", source: str = "",
                 notice: str = "") -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "rule", rule)
        object.__setattr__(self, "context", context)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "notice", notice)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Decision is immutable")

    def _key(self) -> tuple[str, ...]:
        return (self.kind, self.reason, self.rule, self.context, self.source, self.notice)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decision) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__[1:] if getattr(self, name))
        return f"Decision({self.kind!r}{', ' if fields else ''}{fields})"

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__slots__}

    @property
    def blocks(self) -> bool:
        return self.kind in ("deny", "ask")


def passed(rule: str = "", *, source: str = "") -> Decision:
    return Decision("pass", rule=rule, source=source)


def deny(reason: str, *, rule: str = "", source: str = "") -> Decision:
    return Decision("deny", reason=reason, rule=rule, source=source)
