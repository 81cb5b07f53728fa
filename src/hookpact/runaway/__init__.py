"""Runaway-agent controls: kill switch, budgets, loop detection, escalation, completion gates, costs."""
