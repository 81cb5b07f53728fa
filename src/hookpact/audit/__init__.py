"""The tamper-evident audit trail: records, the chained and authenticated writer, reading and verifying.

Hot path (imported by the audit hook): ``digest``, ``record``, ``keys``, ``writer``, ``layout``.
Cold path (``hookpact audit ...`` only): ``reader``, ``verify``, ``stats``, ``redact``.
"""
