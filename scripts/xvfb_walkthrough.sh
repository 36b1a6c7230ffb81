#!/bin/bash
# A designer's first minutes in a real X window (Xvfb), by keyboard and a real drag and drop from
# another program; screenshots in $OUT to look at. Usage:
#   xvfb-run -a -s "-screen 0 1600x1000x24" scripts/xvfb_walkthrough.sh [OUT]
# It checks (and prints) that the drag source is told "copy", never "move".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
OUT=${1:-/tmp/studio-walkthrough}
WORK=$(mktemp -d)
mkdir -p "$OUT"
export QT_QPA_PLATFORM=xcb
shot() { import -window root "$OUT/$1.png"; }

# A garment photo, and a small program that drags it (offering copy and move, proposing move).
(cd "$ROOT" && "$PY" -c "
import sys; from PIL import Image
from tests.imaging.garments import studio_sweep
Image.fromarray(studio_sweep().photo).save(sys.argv[1])" "$WORK/tee front.png")
cat > "$WORK/dragsrc.py" <<'PYEOF'
import sys
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QApplication, QLabel
class Source(QLabel):
    def mousePressEvent(self, event):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(p) for p in sys.argv[1:]])
        drag = QDrag(self)
        drag.setMimeData(mime)
        actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
        print("DROP RESULT", drag.exec(actions, Qt.DropAction.MoveAction).name, flush=True)
app = QApplication(sys.argv[:1])
w = Source("drag me"); w.setWindowTitle("dragsrc"); w.resize(200, 120); w.show()
app.exec()
PYEOF

"$PY" -m studio_desktop --data-dir "$WORK/data" > "$WORK/app.log" 2>&1 &
APP=$!
trap 'kill $APP $SRC 2>/dev/null || true; rm -rf "$WORK"' EXIT
SRC=""
for _ in $(seq 1 60); do
    WID=$(xdotool search --name "Studio Desktop" 2>/dev/null | head -1 || true)
    [ -n "$WID" ] && break
    sleep 0.5
done
sleep 3
shot 01-start
xdotool windowfocus --sync "$WID"; xdotool key Escape; sleep 0.5    # the welcome closes
xdotool key F1; sleep 1.5; shot 02-shortcuts-f1; xdotool key Escape; sleep 0.5
xdotool windowfocus --sync "$WID"; xdotool key shift+slash; sleep 1.5; shot 03-shortcuts-question
xdotool key Escape; sleep 0.5

"$PY" "$WORK/dragsrc.py" "$WORK/tee front.png" > "$WORK/drag.log" 2>&1 &
SRC=$!
sleep 3
xdotool windowmove "$(xdotool search --name dragsrc | head -1)" 0 0; sleep 0.5
eval "$(xdotool getwindowgeometry --shell "$WID")"
xdotool mousemove 60 60; xdotool mousedown 1; sleep 0.3
for s in 1 2 3 4 5 6 7 8; do xdotool mousemove $((60 + s * 30)) $((60 + s * 25)); sleep 0.1; done
TX=$((X + WIDTH / 4 + 40)); TY=$((Y + HEIGHT / 2))
for s in 1 2 3 4 5; do xdotool mousemove $((TX - 10 + s * 2)) $((TY + s)); sleep 0.15; done
sleep 0.8; shot 04-drag-over-cut-out-zone
TX2=$((X + 3 * WIDTH / 4))
for s in 1 2 3 4 5; do xdotool mousemove $((TX + s * (TX2 - TX) / 5)) "$TY"; sleep 0.15; done
sleep 0.8; shot 05-drag-over-canvas-zone
for s in 1 2 3 4 5; do xdotool mousemove $((TX2 - s * (TX2 - TX) / 5)) "$TY"; sleep 0.15; done
sleep 0.5; xdotool mouseup 1; sleep 6
shot 06-after-drop-on-cut-out
cat "$WORK/drag.log"
grep -q "DROP RESULT CopyAction" "$WORK/drag.log" || { echo "the drop was not a copy"; exit 1; }
[ -f "$WORK/tee front.png" ] || { echo "the dragged original is gone"; exit 1; }
xdotool windowfocus --sync "$WID"; xdotool key ctrl+1; sleep 1; shot 07-history
xdotool key End; sleep 0.3; xdotool key Home; sleep 0.3; xdotool key ctrl+v; sleep 1
shot 08-ctrl-v-without-an-image
xdotool key ctrl+q; sleep 3
echo "screenshots in $OUT"
