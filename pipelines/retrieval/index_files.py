"""The names of the files and folders an owner's search indexes are kept in, shared by the
indexes (pipelines/retrieval/indexes.py, which reads and writes them) and their layers
(pipelines/retrieval/layered.py, which loads the delta)."""

from __future__ import annotations

DELTA = "delta"  # the folder of the delta layer, beside the base's files
HIDDEN = "hidden.npy"  # in DELTA: ids removed since the base was built
