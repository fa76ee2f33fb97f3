"""Bounds read by the schema, the batch design and the CLI's options (light: no imports).

They live here so that ``diplomacy-sim --help`` can show them without importing the
pydantic schema or numpy; ``scenario.schema`` and ``batch.design`` re-export them.
"""

MAX_PEOPLE = 100_000
"""Most people in a scenario, in all (and so in any one role of an organisation): the one
bound the schema, ``--people``, experiment files and the dashboard all read."""
MAX_SEED = 2**63 - 1
"""Largest master seed."""
MAX_RUNS_UNCONFIRMED = 100_000
"""A design with more runs starts only when the user confirms it (``--allow-large``)."""
