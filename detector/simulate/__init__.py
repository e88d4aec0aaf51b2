"""Seeded synthetic post streams with ground truth.

Like ``ruptures.pw_constant``, every generator returns the data *and* the truth
behind it, so tests, docs, benchmarks and tuning share one source of examples.

Two levels:

- counts (:mod:`~detector.simulate.volume`): complaint counts per bucket with a
  daily and weekly rhythm, non-outage bursts and outages of known onset, shape and
  size; fast, for detection benchmarks;
- posts (:mod:`~detector.simulate.scenarios` -> :mod:`~detector.simulate.posts` ->
  :mod:`~detector.simulate.export`): an export shaped like an X API v2 dump
  (``id, created_at, author_id, text``) about a dozen services, with chatter,
  complaints that are not outages, outage complaints by symptom, media reports and
  vendor status posts, plus ``<name>.truth.json``.

The building blocks: :mod:`~detector.simulate.rhythm` (daily/weekly activity),
:mod:`~detector.simulate.shape` (fast rise, plateau, slow decay),
:mod:`~detector.simulate.services` (names and surface forms),
:mod:`~detector.simulate.phrases` and :mod:`~detector.simulate.chatter` (templates),
:mod:`~detector.simulate.render` (typos, slang, emoji, mentions),
:mod:`~detector.simulate.truth` (the truth file).

>>> from detector.simulate import simulate_counts
>>> counts, truth = simulate_counts(0, days=2, n_outages=1)
>>> len(truth)
1
"""

from __future__ import annotations

from detector.simulate.export import SimulationResult, simulate_export
from detector.simulate.scenarios import SCENARIOS, build_plan
from detector.simulate.truth import read_truth
from detector.simulate.volume import simulate_counts, simulate_totals, simulate_volume

__all__ = [
    "SCENARIOS",
    "SimulationResult",
    "build_plan",
    "read_truth",
    "simulate_counts",
    "simulate_export",
    "simulate_totals",
    "simulate_volume",
]
