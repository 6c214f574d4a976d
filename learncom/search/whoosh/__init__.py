"""The embedded search engine: a Whoosh index on this machine's disk (`backend.py`), kept true
by a queue table written in the transaction and drained after commit (`queue.py`), with its
Dutch analysis (`analysis.py`) and the layer that touches Whoosh's private names for speed
(`internals/`)."""
