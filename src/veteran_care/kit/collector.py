"""The garbage collector during long batch work in a process of its own (an import run from
the command line): the objects alive before it set aside, and full collections rarer
(decision 0065).

Each full collection walks every object the collector tracks: the 300,000 or so that loading
the application leaves (modules, schemas, validators, mappers), and the rows of the batch being
written. An import keeps a batch of rows alive long enough for them to reach the oldest
generation, so with the default thresholds a full collection ran every three batches and cost
the import about a fifth of its Python time. `gc.freeze` moves the objects alive at the start
to the permanent generation that collections skip, as `serve` does after start-up (decision
0016); the third threshold makes the oldest generation's collections ten times rarer. Both are
undone at the end: whatever becomes garbage meanwhile is collected then, or at the next full
collection."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# The defaults (700, 10, 10), but a full collection after 100 of the middle generation's.
BATCH_THRESHOLDS = (700, 10, 100)


@contextmanager
def batch_collector() -> Iterator[None]:
    """Run the block with the objects alive now frozen and full collections rarer."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*BATCH_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
