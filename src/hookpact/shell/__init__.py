"""Reading shell commands: a real bash grammar (tree-sitter-bash), not regexes.

``grammar`` loads the parser, ``words`` evaluates words (quotes, escapes, variables,
braces, tildes), ``analyze`` walks a command and reports what it would modify and
what it runs, ``commands`` knows which programs write where, ``targets`` turns the
writes into :class:`hookpact.core.paths.Target` for the contract engine.
"""
