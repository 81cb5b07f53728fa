"""Per-agent file-ownership contracts: schema, compiler (cold path), store and engine (hot path)."""
