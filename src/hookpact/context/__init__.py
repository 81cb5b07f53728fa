"""Context that reaches the model: domain detection, expertise packs, code and file summaries.

Standard library only at import time; the TypeScript grammar and ``ast`` load inside the
functions that need them, so a hook that has nothing to say stays near a no-op.
"""
