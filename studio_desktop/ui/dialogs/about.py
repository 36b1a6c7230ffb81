"""Help → About: the app, its version, the versions it runs on, where it keeps its data."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from studio_desktop import APP_NAME, __version__
from studio_desktop.ui.diagnostics import version_lines
from studio_desktop.ui.icons import app_icon
from studio_desktop.ui.theme import scaled_font


class AboutDialog(QDialog):
    def __init__(self, data_root: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        self.setWindowIcon(app_icon())

        logo = QLabel(self)
        logo.setPixmap(app_icon().pixmap(QSize(72, 72), self.devicePixelRatioF()))
        logo.setAlignment(Qt.AlignmentFlag.AlignTop)
        name = QLabel(APP_NAME, self)
        name.setFont(scaled_font(self.font(), 1.5, bold=True))
        version = QLabel(f"Version {__version__}", self)
        version.setProperty("muted", True)
        blurb = QLabel(
            "Generate and edit the studio's fashion imagery: the history of every job, model "
            "profiles, and Magic Canvas. Works offline on a local workspace and syncs with the "
            "studio's Supabase project when you sign in.",
            self,
        )
        blurb.setWordWrap(True)
        self.versions_label = QLabel("\n".join(version_lines()[1:4]), self)
        self.versions_label.setProperty("muted", True)
        self.versions_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        text = QVBoxLayout()
        text.setSpacing(6)
        text.addWidget(name)
        text.addWidget(version)
        text.addSpacing(6)
        text.addWidget(blurb)
        text.addSpacing(6)
        text.addWidget(self.versions_label)
        if data_root is not None:
            url = QUrl.fromLocalFile(str(data_root)).toString()
            folder = QLabel(
                f'Data folder: <a href="{html.escape(url)}">{html.escape(str(data_root))}</a>', self
            )
            folder.setObjectName("DataFolder")
            folder.setOpenExternalLinks(True)
            folder.setWordWrap(True)
            folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            text.addWidget(folder)

        header = QHBoxLayout()
        header.setSpacing(18)
        header.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 22, 22, 16)
        layout.setSpacing(14)
        layout.addLayout(header)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
