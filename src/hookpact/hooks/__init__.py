"""One module per hook. See :mod:`hookpact.hooks.registry` for the list."""
