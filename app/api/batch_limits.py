"""How much one call of the batch routes may carry, so that every body their schema allows fits
under the default JSON body limit (``VIDSCOPE_REQUEST_MAX_BYTES``, 1 MiB): a body the schema
takes is never refused as too large (413) before it is read (issue 30; Schemathesis sent a
42 MB plan list the schema allowed). The CLI sends longer lists in parts of these sizes.

A string counts at most 12 bytes a character (an astral character written as two \\uXXXX
escapes), a SHA-256 67 (64 hex digits, quotes and a comma)."""

from __future__ import annotations

DEFAULT_BODY_LIMIT = 1024**2
SHA256S_PER_CALL = 15_000  # 15,000 x 67 B = 1.005 MB, with the batch id and user: < 1 MiB
VIDEO_ID_CHARS = 64
OUTPUT_CHARS = 1024
USER_CHARS = 64
# One plan: its two strings escaped at worst, two numbers (24 B each) and its keys (45 B).
_PLAN_BYTES = 12 * (VIDEO_ID_CHARS + OUTPUT_CHARS) + 2 * 24 + 45
CLIPS_PER_CALL = 64  # 64 x 13,149 B = 842 KB, with the user: < 1 MiB

assert SHA256S_PER_CALL * 67 + 12 * (USER_CHARS + 64) + 100 <= DEFAULT_BODY_LIMIT
assert CLIPS_PER_CALL * (_PLAN_BYTES + 1) + 12 * USER_CHARS + 100 <= DEFAULT_BODY_LIMIT
