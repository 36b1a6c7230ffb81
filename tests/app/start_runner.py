"""A script that starts the app (``studio_desktop.app.run``) in a fresh process and writes, as
JSON to ``argv[1]``, its exit status and what it left on screen: its message boxes (their
texts, whether they were shown) and the types of its other top-level widgets. The app's own
arguments follow (``argv[2:]``)."""

from __future__ import annotations

#: Runs the app, then reports what it left on screen: its message boxes and other windows.
RUNNER = """
import json, sys
from studio_desktop import app

code = app.run(sys.argv[2:])
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

qt = QApplication.instance()
tops = QApplication.topLevelWidgets() if qt is not None else []
boxes = [
    {
        "name": w.objectName(),
        "title": w.windowTitle(),
        "text": w.text(),
        "informative": w.informativeText(),
        "icon": w.icon().name,
        "shown": w.testAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide),
    }
    for w in tops
    if isinstance(w, QMessageBox)
]
others = sorted({type(w).__name__ for w in tops if not isinstance(w, QMessageBox)})
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"code": code, "boxes": boxes, "others": others}, out)
"""
