"""The local pool's fork server: what it preloads, and starting it as early as possible.

Importing this module is cheap (only :mod:`multiprocessing`), so the CLI can start the
server before it imports the sweep runner: the server imports what a run needs (numpy, the
schema, the Mesa-free model core: neither Mesa nor pandas nor pyarrow) while the CLI imports
the runner, reads the experiment and opens the store. Every pool worker is forked from the
server with all that imported already.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver
from multiprocessing.context import ForkServerContext

PRELOAD = ["diplomacy_sim.batch.runner", "diplomacy_sim.api", "diplomacy_sim.cli"]
"""What a worker needs: :func:`diplomacy_sim.batch.runner.run_chunk` and the model core
(tests/test_startup.py checks that this imports neither Mesa nor pandas nor pyarrow), and
the CLI module: a worker started by ``diplomacy-sim sweep`` re-runs the command's main
module as ``__mp_main__`` (multiprocessing's spawn preparation), whose imports are then
already done once, in the server, instead of in every worker (about 20 ms each)."""


def context() -> ForkServerContext:
    """The ``forkserver`` context, its server preloading :data:`PRELOAD`."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_early() -> None:
    """Start the server now, without waiting for its imports (a fork and an exec).

    A later :func:`diplomacy_sim.batch.runner.process_pool` reuses it; a process that exits
    without using it leaves nothing behind (the server exits when its parent does).
    """
    context()
    forkserver.ensure_running()
