"""Which edits the canvas counts as running when the send's own callback comes late: the job
can end (and be answered) on the event loop before the send operation's success callback runs,
most often on a busy machine. A job that ended must not be marked running again (the progress
box would stay up and the next send be refused as "still running")."""

from __future__ import annotations

from studio_desktop.domain.enums import MessageRole
from studio_desktop.domain.models import CanvasMessage, CanvasThread, new_id
from studio_desktop.services.canvas import CanvasProgress, CreationView
from studio_desktop.ui.canvas.state import CreationState


def _state() -> CreationState:
    thread = CanvasThread(id=new_id(), user_id=new_id())
    return CreationState(CreationView(thread, (), (), (), ()))


def _progress(state: CreationState, job_id: str, fraction: float, text: str) -> CanvasProgress:
    return CanvasProgress(job_id, state.thread_id, "chat", "asset", "message", fraction, text)


def test_a_send_callback_after_the_job_ended_does_not_mark_it_running() -> None:
    state = _state()
    job = new_id()
    state.job_ended(job)
    assert not state.job_sent(_progress(state, job, 0.0, "Waiting for the engine"))
    assert state.running_for("chat") == []
    assert state.running_for_asset("asset") is None


def test_a_send_callback_after_the_reply_does_not_mark_it_running() -> None:
    state = _state()
    job = new_id()
    reply = CanvasMessage(
        id=new_id(),
        thread_id=state.thread_id,
        user_id=new_id(),
        role=MessageRole.ASSISTANT,
        text="Done.",
        conversation_id="chat",
        output_job_id=job,
    )
    assert state.add_message(reply)
    state.job_sent(_progress(state, job, 0.0, "Waiting for the engine"))
    assert state.running_for("chat") == []


def test_a_send_callback_after_progress_keeps_the_progress() -> None:
    state = _state()
    job = new_id()
    assert state.set_progress(_progress(state, job, 0.5, "Editing"))
    state.job_sent(_progress(state, job, 0.0, "Waiting for the engine"))
    assert [p.fraction for p in state.running_for("chat")] == [0.5]
    assert state.job_ended(job)
    assert state.running_for("chat") == []


def test_a_send_callback_in_time_marks_it_running_until_it_ends() -> None:
    state = _state()
    job = new_id()
    assert state.job_sent(_progress(state, job, 0.0, "Waiting for the engine"))
    assert [p.text for p in state.running_for("chat")] == ["Waiting for the engine"]
    assert state.job_ended(job)
    # A retry (from the history) runs the same job again: its live progress shows.
    assert state.set_progress(_progress(state, job, 0.2, "Editing"))
    assert state.running_for_asset("asset") is not None
