"""The frame format of the two pipes between the grader and a worker (both ends use it).

Every message, in either direction, is one frame::

    b"DLGF"  uint32 seq  uint64 length  <length bytes: a wire-encoded message>

``seq`` pairs a reply with its request (0 is the worker's hello). This module is also
imported inside the worker, before any student code runs, so it must stay stdlib-only.
"""
import struct

FRAME = struct.Struct("<4sIQ")
FRAME_MAGIC = b"DLGF"
HEADER_SIZE = FRAME.size
EXIT_ORPHANED = 70     # worker exit status: the grader process went away
EXIT_PIPE_BROKEN = 71  # worker exit status: a pipe to the grader failed or carried garbage
_COALESCE = 1 << 18    # below this, header and payload go out in one write (one wake-up)


class FrameError(ValueError):
    """The bytes read are not a frame header."""


def frame_chunks(seq, chunks):
    """The byte chunks to write for one frame carrying ``chunks`` (buffers) as its payload."""
    length = sum(memoryview(c).nbytes for c in chunks)
    out = [FRAME.pack(FRAME_MAGIC, seq, length), *chunks]
    return [b"".join(out)] if length < _COALESCE else out


def parse_header(head):
    """(seq, length) from a header's bytes; FrameError when the magic is wrong."""
    magic, seq, length = FRAME.unpack(head)
    if magic != FRAME_MAGIC:
        raise FrameError("bad frame header")
    return seq, length
