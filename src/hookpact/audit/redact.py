"""Secret redaction for the opt-in text stored in audit records.

Conservative on purpose: a false positive costs a few characters of log, a false negative
leaks a credential into a file that is kept for years. Each hit becomes ``[REDACTED:<kind>]``.
"""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private-key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
                               re.DOTALL)),
    ("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{10,}")),
    ("api-key", re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}")),
    ("bearer", re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9_\-.=+/]{8,}")),
    ("url-password", re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:)[^\s@/]+(?=@)")),
    ("assignment", re.compile(
        r"(?i)(\b[\w.\-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|auth[_\-]?key"
        r"|private[_\-]?key|credentials?)[\w.\-]*[\"']?\s*[:=]\s*)(\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"']+)")),
)


#: JSON keys whose string values are secrets whatever they look like (``{"password": "x"}``).
SECRET_KEY = re.compile(r"(?i)passw(?:or)?d|passwd|\bpwd\b|secret|token|api[_\-]?key|access[_\-]?key"
                        r"|private[_\-]?key|credential|authorization")


def redact(text: str) -> str:
    """``text`` with every recognised secret replaced by ``[REDACTED:<kind>]``."""
    for kind, pattern in _PATTERNS:
        if pattern.groups:
            label = f"[REDACTED:{kind}]"
            text = pattern.sub(lambda m, label=label: m.group(1) + label, text)  # type: ignore[misc]
        else:
            text = pattern.sub(f"[REDACTED:{kind}]", text)
    return text
