"""The one exception hierarchy. Messages say what is wrong and what to do."""

from __future__ import annotations


class HookpactError(Exception):
    """Base of every error hookpact raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(HookpactError):
    """The hook event on stdin could not be used (size, encoding, JSON, types, fields)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ContractError(HookpactError):
    """A contract or hookpact settings file is missing, unreadable or invalid.

    ``file`` is the file and ``key_path`` the JSON location (``outputs.allowed_modifications[2]``).
    """

    def __init__(self, message: str, *, file: str | None = None, key_path: str = "") -> None:
        where = file or ""
        if key_path:
            where = f"{where}: {key_path}" if where else key_path
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.key_path = key_path
        self.detail = message


class BudgetExceeded(HookpactError):
    """The hook ran out of its time budget before it could decide."""


class SettingsError(HookpactError):
    """A Claude Code settings file cannot be read or safely rewritten."""
