"""Imported first by the local engine's fork server: glibc's heap tuned for scoring
(:func:`detector.batch.heap.tune`), so that every worker forks with it."""

from __future__ import annotations

from detector.batch.heap import tune

tune()
