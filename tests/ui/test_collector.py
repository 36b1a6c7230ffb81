"""The app's garbage-collection policy (``ui/collector.py``), on the real collector."""

from __future__ import annotations

import gc
import weakref

import pytest
from PySide6.QtCore import Qt

from studio_desktop.ui import collector as collector_module
from studio_desktop.ui.collector import Collector


class Node:
    def __init__(self) -> None:
        self.partner: Node | None = None


def _cycle() -> weakref.ref[Node]:
    """Two objects that only reference each other (garbage only the cyclic collector frees)."""
    a, b = Node(), Node()
    a.partner, b.partner = b, a
    return weakref.ref(a)


@pytest.fixture
def policy(qapp):
    made = Collector(qapp)
    made.install()
    yield made
    made.uninstall()
    made.setParent(None)
    made.deleteLater()


def test_survivors_of_a_full_collection_are_frozen(policy: Collector) -> None:
    kept = [{"row": n} for n in range(5000)]  # long-lived: survives the next full collection
    passes = policy.frozen_passes
    gc.collect()
    assert policy.frozen_passes == passes + 1
    assert gc.get_freeze_count() >= len(kept)
    # A later full collection walks only what was made since: the frozen rows are not in it.
    assert not any(o is kept for o in gc.get_objects(2))
    # Young objects made afterwards are not frozen until a full collection finds them alive.
    fresh = [{"young": n} for n in range(10)]
    assert any(o is fresh for o in gc.get_objects())


def test_plain_reference_counting_still_frees_frozen_objects(policy: Collector) -> None:
    holder = Node()
    ref = weakref.ref(holder)
    gc.collect()  # frozen now
    del holder
    assert ref() is None


def test_frozen_cyclic_garbage_waits_for_a_deep_collection(policy: Collector) -> None:
    a, b = Node(), Node()
    a.partner, b.partner = b, a
    ref = weakref.ref(a)
    del b
    gc.collect()  # the pair is alive: frozen with the survivors
    del a  # now cyclic garbage, but frozen
    gc.collect()
    assert ref() is not None  # the price of freezing: kept until the deep collection
    assert policy.deep_collect(force=True)
    assert ref() is None
    assert policy.deep_collections == 1


def test_leaving_the_window_collects_deeply_at_most_every_interval(
    policy: Collector, monkeypatch
) -> None:
    monkeypatch.setattr(collector_module, "DEEP_MIN_INTERVAL_S", 0.0)
    garbage = _cycle()
    gc.collect()
    policy.application_state_changed(Qt.ApplicationState.ApplicationActive)
    assert policy.deep_collections == 0  # back in the window: nothing
    policy.application_state_changed(Qt.ApplicationState.ApplicationInactive)
    assert policy.deep_collections == 1
    assert garbage() is None
    monkeypatch.setattr(collector_module, "DEEP_MIN_INTERVAL_S", 3600.0)
    policy.application_state_changed(Qt.ApplicationState.ApplicationHidden)
    assert policy.deep_collections == 1  # too soon after the last one


def test_uninstall_gives_everything_back(qapp) -> None:
    made = Collector(qapp)
    made.install()
    made.install()  # once
    assert gc.callbacks.count(made._after_collection) == 1
    gc.collect()
    assert gc.get_freeze_count() > 0
    made.uninstall()
    assert made._after_collection not in gc.callbacks
    assert gc.get_freeze_count() == 0
    assert not made.deep_collect(force=True)  # not installed: the app's policy is off
    made.setParent(None)
