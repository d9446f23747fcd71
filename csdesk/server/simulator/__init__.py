"""Training simulator: simulated bank customers for the reference backend (issue #4).

- :mod:`.scenarios` — scenario files (TOML data in ``scenarios/``), their
  validation and the pick of a scenario for a customer's opening.
- :mod:`.openings` — real customer messages (``text,category`` CSV such as
  Banking77) used as first words.
- :mod:`.customer` — the pure customer state machine and the arrival process.
- :mod:`.driver` — the asyncio task that puts simulated customers in the
  backend's queues and makes them talk, behind a small backend Protocol.

Everything but the driver is pure (no I/O besides reading the data files, no
clock, randomness only through an injected :class:`random.Random`).
"""
