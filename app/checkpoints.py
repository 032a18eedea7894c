"""SQLite: the write-ahead log is copied back into the database file by a thread of the API
process, not by the request whose commit happens to cross SQLite's threshold.

SQLite in WAL mode checkpoints automatically once the log passes 1,000 pages, inside the
commit that crossed it: copying the pages and syncing both files took about 10 ms, while
that request held the process's one write turn, so every request queued behind it waited
too (sequential bookings in-process: p99 13-15 ms with automatic checkpoints, 5-6 ms with
this thread; medians unchanged). The API's engine turns the automatic checkpoint off
(:func:`app.db.make_engine` with ``checkpoint_in_background``) and a :class:`WalCheckpointer`
runs a passive checkpoint every :data:`CHECKPOINT_SECONDS` on a connection of its own: it
waits for no reader and no writer, and takes no write turn.
"""

import logging
import sqlite3
import threading
from typing import NamedTuple

logger = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 1.0


class Checkpoint(NamedTuple):
    """What one ``PRAGMA wal_checkpoint(PASSIVE)`` reported."""

    busy: bool
    """Another connection was checkpointing (another process's thread): nothing done."""
    log_frames: int
    """Frames in the write-ahead log."""
    checkpointed_frames: int
    """Of those, frames now copied into the database file."""


class WalCheckpointer:
    """A daemon thread checkpointing the SQLite database at ``path`` every ``interval``
    seconds until :meth:`stop`."""

    def __init__(self, path: str, interval: float = CHECKPOINT_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self.last: Checkpoint | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)

    def start(self) -> None:
        """Start checkpointing in the background."""
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the thread is checkpointing."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop the thread, after one last checkpoint."""
        self._stopping.set()
        self._thread.join()

    def checkpoint(self, connection: sqlite3.Connection) -> Checkpoint:
        """Copy what the log holds into the database file, as far as no reader needs it."""
        busy, log_frames, checkpointed = connection.execute(
            "PRAGMA wal_checkpoint(PASSIVE)"
        ).fetchone()
        self.last = Checkpoint(bool(busy), log_frames, checkpointed)
        return self.last

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, check_same_thread=False)
        try:
            while not self._stopping.wait(self.interval):
                self._checkpoint_logged(connection)
            self._checkpoint_logged(connection)
        finally:
            connection.close()

    def _checkpoint_logged(self, connection: sqlite3.Connection) -> None:
        try:
            self.checkpoint(connection)
        except sqlite3.Error:
            logger.exception("SQLite checkpoint failed; retrying in %s s", self.interval)
