"""Kernel confinement of Bash tool calls (Landlock): policy from the contracts, launcher, tripwire."""
