"""One SQLite database file: connections, transactions, error translation.

Threading model (chosen on purpose): **one connection per thread**, opened lazily, all on the
same file in WAL mode. The app writes from an executor thread (services, the sync engine) while
the GUI thread reads the feed; with WAL a reader never waits for a writer, so a long pull page
never freezes the window. Writers serialise through ``BEGIN IMMEDIATE`` and ``busy_timeout``.
A transaction belongs to the thread that opened it (each thread has its own connection), so
there is no shared cursor state to guard.

Every connection gets ``foreign_keys=ON``, ``synchronous=NORMAL`` (durable at checkpoints,
never corrupt on power loss in WAL mode) and ``busy_timeout``.

    db = Database(path)
    with db.transaction() as tx:          # BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error
        db.execute("INSERT ...", params)
        with db.transaction():            # nested: a SAVEPOINT, rolled back on its own
            ...
        tx.after_commit(lambda: emit(...))  # runs only if the outermost level commits
    rows = db.query("SELECT ...", params)

Every ``sqlite3`` error leaves this module translated (:mod:`studio_desktop.store.errors`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from studio_desktop.store.errors import StoreBugError, translate

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
DEFAULT_BUSY_TIMEOUT_MS = 5000


class _ThreadState(threading.local):
    conn: sqlite3.Connection | None = None
    #: Held while a statement of ``conn`` runs (and its rows are fetched): ``close()`` from
    #: another thread waits for it, because closing a sqlite3 connection while a statement of
    #: it runs on another thread crashes the interpreter (seen: a segfault in the test suite).
    busy: threading.RLock | None = None
    depth: int = 0
    # One list of after-commit callbacks per open level (outermost first).
    callbacks: list[list[Callable[[], None]]]
    #: Set by ``resume_checkpoints``: the background checkpoint run whose end brings back the
    #: automatic checkpoints of ``conn``.
    resume_after_run: int | None = None

    def __init__(self) -> None:
        self.conn = None
        self.busy = None
        self.depth = 0
        self.callbacks = []
        self.resume_after_run = None


class Transaction:
    """A context manager for one transaction level; obtained from :meth:`Database.transaction`.

    The outermost level runs ``BEGIN IMMEDIATE`` (or ``BEGIN`` for ``write=False``) and
    ``COMMIT``/``ROLLBACK``; inner levels are savepoints that roll back on their own error
    without undoing the outer work (if the outer code catches the exception).
    """

    def __init__(self, db: Database, write: bool, savepoint: bool = True) -> None:
        self._db = db
        self._write = write
        self._savepoint = savepoint
        self._joined = False
        self._level = -1

    @property
    def is_outermost(self) -> bool:
        return self._level == 0

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the outermost level commits (dropped on rollback)."""
        state = self._db._state
        if not state.callbacks:
            raise StoreBugError("after_commit() called outside a transaction")
        state.callbacks[-1].append(callback)

    def __enter__(self) -> Transaction:
        db = self._db
        state = db._state
        conn = db._connection()
        self._level = state.depth
        if self._level == 0:
            if state.resume_after_run is not None:
                db._resume_when_checkpointed()
            db._run(conn, "BEGIN IMMEDIATE" if self._write else "BEGIN DEFERRED")
        elif self._savepoint:
            db._run(conn, f"SAVEPOINT sp{self._level}")
        else:
            self._joined = True
        state.depth += 1
        state.callbacks.append([])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        db = self._db
        state = db._state
        conn = db._connection()
        state.depth -= 1
        callbacks = state.callbacks.pop()
        if self._level == 0:
            if exc_type is None:
                try:
                    db._run(conn, "COMMIT")
                except BaseException:
                    self._rollback(conn, "ROLLBACK")
                    raise
                for callback in callbacks:
                    try:
                        callback()
                    except Exception:
                        log.exception("after-commit callback %r failed", callback)
            else:
                self._rollback(conn, "ROLLBACK")
        elif self._joined:
            if exc_type is None:
                state.callbacks[-1].extend(callbacks)
        elif exc_type is None:
            db._run(conn, f"RELEASE sp{self._level}")
            state.callbacks[-1].extend(callbacks)
        else:
            self._rollback(conn, f"ROLLBACK TO sp{self._level}")
            self._rollback(conn, f"RELEASE sp{self._level}")

    def _rollback(self, conn: sqlite3.Connection, sql: str) -> None:
        # A failed statement may already have ended the transaction (SQLITE_FULL, IOERR), or
        # the database was closed meanwhile; the original error is the one worth reporting,
        # so this never raises.
        try:
            with self._db._busy():
                if conn.in_transaction:
                    conn.execute(sql)
        except (sqlite3.Error, StoreBugError):
            log.exception("%s failed", sql)


class _Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on a background thread, on request.

    A request while one is running makes it run once more after. Each run uses a connection of
    its own (opened and closed there), so it never touches another thread's connection.
    """

    def __init__(self, path: Path, busy_timeout_ms: int) -> None:
        self._path = path
        self._timeout = busy_timeout_ms / 1000
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False
        self._closed = False
        self.runs = 0  # completed checkpoints (for tests and diagnostics)

    def request(self) -> int:
        """Ask for a run; returns the value :attr:`runs` reaches when a run that started
        after this call has ended (so it covered every commit made before the call)."""
        with self._lock:
            if self._closed:
                return self.runs
            if self._thread is not None:
                self._again = True
                return self.runs + 2  # the run in progress, then the one asked for here
            self._thread = threading.Thread(
                target=self._run, name="studio-db-checkpoint", daemon=True
            )
            self._thread.start()
            return self.runs + 1

    def _run(self) -> None:
        while True:
            try:
                # mode=rw: never create an empty database where the real one has gone.
                uri = self._path.resolve().as_uri() + "?mode=rw"
                conn = sqlite3.connect(uri, uri=True, timeout=self._timeout, isolation_level=None)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                finally:
                    conn.close()
            except sqlite3.Error as exc:  # the next commit's automatic checkpoint catches up
                log.warning("background checkpoint of %s failed: %s", self._path.name, exc)
            with self._lock:
                self.runs += 1
                if not self._again or self._closed:
                    self._thread = None
                    return
                self._again = False

    def close(self) -> None:
        """No more runs; wait for the one in progress (it is short and crash-safe)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            thread.join()


class Database:
    """A SQLite file shared by all threads of this process; see the module docstring."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._state = _ThreadState()
        self._lock = threading.Lock()
        self._connections: list[tuple[sqlite3.Connection, threading.RLock]] = []
        self._closed = False
        self._checkpointer = _Checkpointer(self.path, busy_timeout_ms)
        self._connection()  # open now, so a bad file fails here and not on first use

    # ------------------------------------------------------------------ connections
    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreBugError(f"the database {self.path.name} was used after close()")
        conn = self._state.conn
        if conn is not None:
            return conn
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout_ms / 1000,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,  # only so close() may close it from another thread
                cached_statements=256,
            )
        except sqlite3.Error as exc:
            raise translate(exc, where=str(self.path)) from exc
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            conn.execute("PRAGMA foreign_keys = ON")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                log.warning("journal_mode is %s, not wal, for %s", mode, self.path)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA cache_size = -65536")  # 64 MB per connection, used only as needed
            conn.execute("PRAGMA temp_store = MEMORY")
        except sqlite3.Error as exc:
            conn.close()
            raise translate(exc, where=str(self.path)) from exc
        busy = threading.RLock()
        with self._lock:
            self._connections.append((conn, busy))
        self._state.conn = conn
        self._state.busy = busy
        return conn

    @contextmanager
    def _busy(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, held busy for one statement and its fetch (see
        ``_ThreadState.busy``); raises :class:`StoreBugError` once the database is closed."""
        conn = self._connection()
        busy = self._state.busy
        assert busy is not None
        with busy:
            if self._closed:
                raise StoreBugError(f"the database {self.path.name} was used after close()")
            yield conn

    def close(self) -> None:
        """Close every thread's connection (checkpointing the WAL). Idempotent.

        A statement running on another thread is let finish first; that thread's next use
        raises :class:`StoreBugError`.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            connections, self._connections = self._connections, []
        self._checkpointer.close()
        for conn, busy in connections:
            with busy:
                try:
                    conn.close()
                except sqlite3.Error:
                    log.exception("closing %s failed", self.path)
        self._state.conn = None
        self._state.busy = None

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ statements
    def _run(self, conn: sqlite3.Connection, sql: str, params: Params = ()) -> sqlite3.Cursor:
        with self._busy():
            try:
                return conn.execute(sql, params)
            except sqlite3.Error as exc:
                raise translate(exc, sql, str(self.path)) from exc

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """Run one statement on this thread's connection (inside the current transaction)."""
        return self._run(self._connection(), sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> sqlite3.Cursor:
        with self._busy() as conn:
            try:
                return conn.executemany(sql, rows)
            except sqlite3.Error as exc:
                raise translate(exc, sql, str(self.path)) from exc

    def executescript(self, script: str) -> None:
        """Run a script of DDL. Only for migrations: ``executescript`` commits first."""
        try:
            with self._busy() as conn:
                conn.executescript(script)
        except sqlite3.Error as exc:
            raise translate(exc, script[:200], str(self.path)) from exc

    def query(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        with self._busy():
            cursor = self.execute(sql, params)
            try:
                return cursor.fetchall()
            except sqlite3.Error as exc:
                raise translate(exc, sql, str(self.path)) from exc

    def query_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        with self._busy():
            cursor = self.execute(sql, params)
            try:
                return cursor.fetchone()
            except sqlite3.Error as exc:
                raise translate(exc, sql, str(self.path)) from exc

    def scalar(self, sql: str, params: Params = ()) -> Any:
        row = self.query_one(sql, params)
        return None if row is None else row[0]

    # ------------------------------------------------------------------ transactions
    def transaction(self, *, write: bool = True, savepoint: bool = True) -> Transaction:
        """A transaction on this thread's connection; nested calls become savepoints.

        ``write=False`` starts a deferred (read) transaction: a consistent snapshot for a
        query made of several statements, which never takes the write lock.

        ``savepoint=False``: when nested, *join* the outer transaction instead of opening a
        savepoint (an error then rolls back with the outer level). For bulk writes: SQLite
        copies every page a statement touches into the savepoint journal, so thousands of
        statements inside a savepoint get slow as the database grows (measured: 20x at
        25,000 jobs). Each statement on its own is still atomic.
        """
        return Transaction(self, write, savepoint)

    @property
    def in_transaction(self) -> bool:
        return self._state.depth > 0

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the current outermost transaction commits, or now if none."""
        if self._state.depth == 0:
            callback()
        else:
            self._state.callbacks[-1].append(callback)

    @contextmanager
    def read(self) -> Iterator[None]:
        """A read snapshot (a deferred transaction) for queries made of several statements."""
        with self.transaction(write=False, savepoint=False):  # inside a write: just join it
            yield

    def variable_limit(self) -> int:
        """The most ``?`` parameters one statement may have (999 on older SQLite builds)."""
        with self._busy() as conn:
            return int(conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))

    # ------------------------------------------------------------------ checkpoints
    def pause_checkpoints(self) -> None:
        """Stop this thread's connection from checkpointing the WAL after its commits.

        For a run of big transactions (a full resync): by default SQLite checkpoints on the
        committing connection whenever the WAL is past 1000 pages, copying it into the
        database file and fsyncing both on the writer's path, after every transaction of the
        run. Paused, the writer only appends to the WAL; :meth:`checkpoint_soon` does the
        copying on a background thread. Durability is unchanged: with ``synchronous=NORMAL``
        a commit survives an app crash at once and a power cut once checkpointed, wherever the
        checkpoint runs. Undo with :meth:`resume_checkpoints` (on the same thread).
        """
        self._state.resume_after_run = None
        self.execute("PRAGMA wal_autocheckpoint = 0")

    def resume_checkpoints(self) -> None:
        """One PASSIVE checkpoint on a background thread now, for what the paused commits left
        in the WAL; once it has ended, this thread's connection goes back to SQLite's automatic
        checkpoints (at its next transaction).

        Not at once: with a big WAL the very next commit of this connection would checkpoint
        all of it on the writer's path (measured: 47 ms for a one-row commit after a 50,000-row
        resync), which is what pausing avoided.
        """
        if self._closed:
            return
        self._state.resume_after_run = self._checkpointer.request()
        self._resume_when_checkpointed()

    def _resume_when_checkpointed(self) -> None:
        state = self._state
        if state.resume_after_run is None or self._checkpointer.runs < state.resume_after_run:
            return
        state.resume_after_run = None
        self.execute("PRAGMA wal_autocheckpoint = 1000")

    @property
    def automatic_checkpoints(self) -> bool:
        """Whether this thread's connection checkpoints the WAL after its commits."""
        return int(self.scalar("PRAGMA wal_autocheckpoint")) > 0

    def wal_bytes(self) -> int:
        """The size of the write-ahead log file now (0 when there is none)."""
        try:
            return self.path.with_name(self.path.name + "-wal").stat().st_size
        except OSError:
            return 0

    def checkpoint_soon(self) -> None:
        """A PASSIVE checkpoint on a background thread (never blocks readers or writers)."""
        if not self._closed:
            self._checkpointer.request()

    @property
    def background_checkpoints(self) -> int:
        """How many background checkpoints have completed (diagnostics and tests)."""
        return self._checkpointer.runs

    def user_version(self) -> int:
        return int(self.scalar("PRAGMA user_version"))
