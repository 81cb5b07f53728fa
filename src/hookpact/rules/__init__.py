"""The dangerous-command rule pack: data (``claude-config/rules/dangerous-commands.json``) plus the checks it names.

``pack`` loads the data and applies a project's configuration (modes, protected
branches); ``checks`` holds one function per check name, each reading an
:class:`~hookpact.shell.analyze.Analysis` and returning findings.
"""
