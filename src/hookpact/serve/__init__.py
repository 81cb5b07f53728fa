"""Resident mode: ``hookpact serve``, the dispatcher (hooks/dispatch.py) behind loopback http hooks.

* :mod:`hookpact.serve.state` - where the server's port, pid, log and per-user secret live; starting
  it in the background once per user (``ensure``), asking whether it runs, stopping it by signal.
* :mod:`hookpact.serve.server` - the ThreadingHTTPServer: authenticate, take the project root from
  the handler's header, dispatch in process, answer; idle shutdown.

The threat model is in docs/resident.md.
"""
