"""How the app's question boxes (``QMessageBox``) look, shared by every screen that asks."""

from __future__ import annotations

#: Message boxes wrap their text at a comfortable measure instead of a narrow column.
MESSAGE_BOX_WIDTH = "QLabel#qt_msgbox_informativelabel { min-width: 400px; }"
