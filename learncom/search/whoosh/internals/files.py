"""A segment's files read in place from the memory map, instead of copied.

Whoosh maps a compound segment file into memory and hands each file inside it out as a
`BufferFile`, whose reading methods go through `io.BytesIO(buffer)`: that copies the whole
file. Opening a searcher copies every segment's postings (at 100,000 posts and a million
comments: two 140 MB segments, ~200 ms and 280 MB per process), and the index changes with
every comment, so each process paid it again at its next search, and the after-commit drain
at every write (`update_document` opens a reader of all segments to find the old document).

`ViewFile` reads the same bytes from the mapped memory without copying them: a searcher opens in
~2 ms, the pages are shared by every process through the page cache. Reading through a Python
object costs ~10 % more on a posting list read for the first time (the evaluator keeps them,
evaluate.py). Like `BytesIO`, a `ViewFile` has a position of its own: one thread at a time per
searcher, as before (backend.py, `_Lease.lock`).
"""

from __future__ import annotations

import whoosh.filedb.compound as compound
from whoosh.filedb.structfile import BufferFile

_LINE_CHUNK = 256


class ViewFile:
    """The read-only file interface Whoosh's StructFile and pickle use, over a memoryview."""

    __slots__ = ("_buf", "_end", "_pos")

    def __init__(self, buf):
        self._buf = buf
        self._pos = 0
        self._end = len(buf)

    def read(self, n: int | None = -1) -> bytes:
        start = self._pos
        end = self._end if n is None or n < 0 else min(self._end, start + n)
        self._pos = max(start, end)
        return self._buf[start:end].tobytes()

    def readinto(self, target) -> int:
        start = self._pos
        n = max(0, min(len(target), self._end - start))
        target[:n] = self._buf[start:start + n]
        self._pos = start + n
        return n

    def readline(self, size: int | None = -1) -> bytes:
        start = pos = self._pos
        limit = self._end if size is None or size < 0 else min(self._end, start + size)
        while pos < limit:
            chunk = self._buf[pos:min(limit, pos + _LINE_CHUNK)].tobytes()
            newline = chunk.find(b"\n")
            if newline >= 0:
                pos += newline + 1
                break
            pos += len(chunk)
        self._pos = max(start, pos)
        return self._buf[start:pos].tobytes()

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0 and offset < 0:
            raise ValueError("negative seek position")
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            offset += self._end
        self._pos = max(0, offset)  # as io.BytesIO: a relative move stops at the start
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        """The memory map belongs to the compound storage, which closes it."""

    def __iter__(self):
        while line := self.readline():
            yield line


class ViewBufferFile(BufferFile):
    """Whoosh's BufferFile, reading through a `ViewFile` instead of a copy."""

    def __init__(self, buf, name=None, onclose=None):
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = ViewFile(buf)


def install() -> None:
    compound.BufferFile = ViewBufferFile


def uninstall() -> None:
    compound.BufferFile = BufferFile
