"""The server's collector policy: the loaded state is frozen, survivors are re-frozen, settings come back."""

from __future__ import annotations

import gc

from minance.venue.collector import CollectorPolicy


def test_install_freezes_refreezes_and_release_restores():
    before = gc.get_threshold()
    policy = CollectorPolicy(refreeze_every=3)
    policy.install()
    try:
        assert gc.get_threshold() == (policy.threshold0, policy.threshold1, policy.threshold2)
        frozen = gc.get_freeze_count()
        assert frozen > 0
        kept = [[i] for i in range(1000)]  # survivors created after the load
        for _ in range(3):
            policy.on_command()
        assert gc.get_freeze_count() >= frozen + len(kept)
    finally:
        policy.release()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
