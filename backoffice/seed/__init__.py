"""Demo and bulk data, written on the services and the rules (only the CLI, bench/ and tests
use it).

- ``demo``: the Banten organisation, its users and about forty members with their ledgers
  (``flask seed-demo``; idempotent)
- ``bulk``: members, batches and claims at scale (``flask seed-bulk``), with ``names`` (Banten
  names and places), ``writer`` (COPY on PostgreSQL) and ``audit_trail`` (the events the
  services would have written)
"""
