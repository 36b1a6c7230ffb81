"""Outbox: order, done, failed, parked (never dropped), unpark, counts, events."""

from __future__ import annotations

from studio_desktop.domain.models import new_id
from studio_desktop.store.outbox import OutboxCounts
from studio_desktop.store.workspace import Store

from .conftest import make_job


def test_drain_cycle(store: Store, user_id: str) -> None:
    jobs = [make_job(user_id, minutes=n) for n in range(4)]
    for job in jobs:
        store.rows.save(job)
    counts: list[OutboxCounts] = []
    store.outbox.changed.connect(counts.append)
    first, second, third, fourth = store.outbox.pending()
    assert [e.row_id for e in (first, second, third, fourth)] == [j.id for j in jobs]

    store.outbox.mark_sending(first.seq)
    assert store.outbox.get(first.seq).state == "sending"  # type: ignore[union-attr]
    store.outbox.mark_done(first.seq)
    store.outbox.mark_failed(second.seq, "HTTP 503")
    store.outbox.mark_failed(second.seq, "connection reset")
    store.outbox.park(third.seq, "new row violates row-level security policy")

    failed = store.outbox.get(second.seq)
    assert failed is not None
    assert (failed.attempts, failed.last_error, failed.state) == (2, "connection reset", "pending")
    assert [e.seq for e in store.outbox.pending()] == [second.seq, fourth.seq]
    assert [e.seq for e in store.outbox.pending(limit=1)] == [second.seq]
    assert [e.seq for e in store.outbox.pending(after_seq=second.seq)] == [fourth.seq]
    parked = store.outbox.parked()
    assert [(e.seq, e.parked_reason) for e in parked] == [
        (third.seq, "new row violates row-level security policy")
    ]
    assert store.outbox.counts() == OutboxCounts(pending=2, parked=1)
    assert store.outbox.has_entries_for("jobs", jobs[2].id)  # parked still protects the row
    assert not store.outbox.has_entries_for("jobs", jobs[0].id)
    assert counts[-1] == OutboxCounts(pending=2, parked=1)

    store.outbox.unpark(third.seq)
    assert [e.seq for e in store.outbox.pending()] == [second.seq, third.seq, fourth.seq]
    store.outbox.park(fourth.seq, "conflict")
    store.outbox.park(third.seq, "conflict")
    assert store.outbox.unpark_all() == 2
    store.outbox.discard(fourth.seq)
    assert store.outbox.count_pending() == 2 and store.outbox.count_parked() == 0


def test_local_workspace_queues_nothing(local_store: Store) -> None:
    local_store.rows.save(make_job(local_store.user_id))
    assert local_store.outbox.append("delete", "jobs", new_id(), {}) is None
    assert local_store.outbox.all() == []
    assert local_store.rows.count("jobs") == 1


def test_outbox_survives_restart(store: Store, user_id: str, data_dirs: object) -> None:
    from studio_desktop.store.workspace import open_store

    store.rows.save(make_job(user_id))
    seq = store.outbox.pending()[0].seq
    store.outbox.park(seq, "refused")
    store.close()
    with open_store(store.dirs, user_id=user_id) as again:
        assert [(e.seq, e.parked_reason) for e in again.outbox.parked()] == [(seq, "refused")]
