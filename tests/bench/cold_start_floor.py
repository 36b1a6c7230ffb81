"""The floor of the cold start's "feed's first page painted" figure, measured by hand.

    python tests/bench/cold_start_floor.py [RUNS]

What any PySide6 app needs to show the first page of the History at all: Python starts,
PySide6 is imported, a ``QApplication`` and a ``QMainWindow`` are made, the first page of the
10,000-job store (60 jobs, newest first, each with its outputs) is read with ``sqlite3`` and
shown in a ``QTableView`` (a list model, Qt's own delegate), and the view is painted. Nothing
of the app: no logging, theme, side bar, menus, integrity check, asyncio, services or delegate.

Two variants, each against the ``ui`` suite's anchor (the bare ``QMainWindow``, the same
script as ``bench_ui.BARE_WINDOW``), alternating, medians over the runs:

- **list in the first frame**: the rows are read and the view is filled before the window is
  shown, so the window's first paint is the page (the app cannot do this and keep its
  first-paint figure: the window must be on screen first);
- **window, then list**: the window is shown and painted empty, then the page is read and
  painted (what the app does).

It seeds its own store (in a temporary folder) the way the ``ui`` suite does. Not a suite:
``run.py`` does not run it, and it records nothing.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.bench_ui import (  # noqa: E402
    painted_after_spawn,
    seed_in_child,
    start_bare_window,
)

FLOOR_WINDOW = """
import sys, time, sqlite3
from PySide6.QtCore import QAbstractListModel, QEvent, QModelIndex, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 820)
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)

def first_page():
    rows = con.execute(
        "SELECT id, type, status, substr(coalesce(input_json, ''), 1, 80) FROM jobs "
        "ORDER BY created_at DESC, id DESC LIMIT 61"
    ).fetchall()[:60]
    ids = [r[0] for r in rows]
    marks = ",".join("?" * len(ids))
    counts = dict(con.execute(
        f"SELECT job_id, count(*) FROM job_outputs WHERE job_id IN ({marks}) GROUP BY job_id",
        ids,
    ).fetchall())
    return [f"{r[1]} · {r[2]} · {r[3]} ({counts.get(r[0], 0)} outputs)" for r in rows]

class Page(QAbstractListModel):
    def __init__(self, rows):
        super().__init__()
        self.rows = rows
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)
    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return self.rows[index.row()] if role == Qt.ItemDataRole.DisplayRole else None

view = QTableView()
view.horizontalHeader().hide()
view.verticalHeader().hide()
view.horizontalHeader().setStretchLastSection(True)

class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and view.model() is not None:
            print(f"PAINTED {time.time():.6f}", flush=True)
            QTimer.singleShot(0, app.quit)
            obj.removeEventFilter(self)
        return False

watch = Watch()
view.viewport().installEventFilter(watch)
window.setCentralWidget(view)
if sys.argv[2] == "first-frame":
    view.setModel(Page(first_page()))
    window.show()
else:
    window.show()
    QTimer.singleShot(0, lambda: view.setModel(Page(first_page())))
app.exec()
"""


def start_floor(database: Path, variant: str) -> float:
    """Seconds from spawn to the floor window's list painted."""
    return painted_after_spawn("-c", FLOOR_WINDOW, str(database), variant)


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-ui-floor-") as tmp:
        data = Path(tmp) / "data"
        seed_in_child(data, 10_000, 40_000)
        database = data / "workspaces" / "local" / "store.sqlite3"
        start_floor(database, "first-frame")  # warm the disk cache
        start_bare_window()
        bare: list[float] = []
        first_frame: list[float] = []
        then_list: list[float] = []
        for _ in range(runs):
            bare.append(start_bare_window())
            first_frame.append(start_floor(database, "first-frame"))
            then_list.append(start_floor(database, "then-list"))
            print(
                f"  bare {bare[-1] * 1000:4.0f} ms | list in the first frame "
                f"{first_frame[-1] * 1000:4.0f} ms | window, then list "
                f"{then_list[-1] * 1000:4.0f} ms",
                flush=True,
            )
        anchor = statistics.median(bare)
        for name, times in (
            ("list in the first frame", first_frame),
            ("window, then list", then_list),
        ):
            value = statistics.median(times)
            print(
                f"{name:<24} {value * 1000:5.0f} ms | bare PySide6 QMainWindow "
                f"{anchor * 1000:5.0f} ms | {value / anchor:.2f}x"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
