"""The garbage collector around an import run from the command line: set for batch work, and
the process as it was afterwards (other work in it collects as before)."""

import gc

import pytest

from veteran_care.kit.collector import BATCH_THRESHOLDS, batch_collector


def test_objects_alive_before_are_set_aside_and_given_back() -> None:
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    with batch_collector():
        assert gc.get_freeze_count() > frozen
        assert gc.get_threshold() == BATCH_THRESHOLDS
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0


def test_restored_when_the_import_fails() -> None:
    thresholds = gc.get_threshold()
    with pytest.raises(RuntimeError), batch_collector():
        raise RuntimeError("unreadable file")
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0
