"""hookpact: guardrails, context and an audit trail for Claude Code agents.

Kept empty of imports on purpose: every hook process imports this package
first, so anything here is paid on every tool call.
"""

__version__ = "0.1.0"
