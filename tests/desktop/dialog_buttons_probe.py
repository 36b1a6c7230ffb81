"""Run under a real X server (QT_QPA_PLATFORM=xcb) by ``test_dialog_buttons.py``: the app's
QApplication and theme, three of its dialogs and a message box shown as real windows; prints
one JSON line of what Qt's styles answer and which buttons carry an icon, and saves each
dialog's picture in the folder given as the first argument."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QStyle, QStyleFactory, QWidget

from studio_desktop.ui.dialogs.about import AboutDialog
from studio_desktop.ui.dialogs.settings_dialog import SettingsDialog
from studio_desktop.ui.preferences import SettingsValues
from studio_desktop.ui.profiles.form import ProfileDialog
from studio_desktop.ui.theme import start_application, theme_manager

HINT = QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons


def main() -> None:
    folder = Path(sys.argv[1])
    app = start_application(sys.argv[:1])
    theme_manager().set_mode(sys.argv[2] if len(sys.argv) > 2 else "light")
    box = QMessageBox(QMessageBox.Icon.Question, "Delete profile", "Delete the profile “Mia”?")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    dialogs: dict[str, QWidget] = {
        "profile": ProfileDialog(),
        "settings": SettingsDialog(SettingsValues()),
        "about": AboutDialog(Path("/home/designer/Studio Desktop")),
        "message": box,
    }
    plain = QStyleFactory.create("Fusion")  # the same style without the app's stylesheet
    asking = QDialogButtonBox()  # (a button box asks for itself, as Qt's does)
    found: dict[str, object] = {
        "platform": app.platformName(),
        "fusion_alone": plain.styleHint(HINT, None, asking),
        "app_style": app.style().styleHint(HINT, None, asking),
        "buttons": {},
    }
    for name, dialog in dialogs.items():
        dialog.show()
        app.processEvents()
        buttons = found["buttons"]
        assert isinstance(buttons, dict)
        for button_box in dialog.findChildren(QDialogButtonBox):
            for button in button_box.buttons():
                buttons[f"{name}: {button.text()}"] = not button.icon().isNull()
        for _ in range(5):
            app.processEvents()
        dialog.grab().save(str(folder / f"dialog-buttons-{name}.png"))
        dialog.close()
    print(json.dumps(found))


if __name__ == "__main__":
    main()
