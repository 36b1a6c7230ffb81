"""The main window: History, Profiles and Canvas areas with the sync status bar."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget

from studio_desktop import APP_NAME
from studio_desktop.store.locations import DataDirs


class MainWindow(QMainWindow):
    def __init__(self, dirs: DataDirs) -> None:
        super().__init__()
        self.dirs = dirs
        self.setWindowTitle(APP_NAME)
        self.setObjectName("MainWindow")
        self.tabs = QTabWidget(self)
        for name in ("History", "Profiles", "Canvas"):
            placeholder = QLabel(f"{name} comes here.")
            placeholder.setObjectName(f"{name.lower()}_placeholder")
            self.tabs.addTab(placeholder, name)
        self.setCentralWidget(self.tabs)
        self.statusBar().showMessage("Local workspace")
        self.resize(1200, 800)
