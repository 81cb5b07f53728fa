"""The tamper-evident audit trail: records, the chained and forward-sealed writer, reading and verifying.

Hot path (imported by the audit hook): ``digest``, ``line``, ``record``, ``keys``, ``writer``,
``spool``, ``gate``, ``layout``, and ``anchors`` when anchors are configured.
Cold path (``hookpact audit ...``, ``hookpact install``): ``reader``, ``view``, ``verify``, ``stats``,
``redact``, ``handout``. The design and threat model: docs/audit.md.
"""
