"""Imported once by the local engine's fork server: for a model that is not compact,
scikit-learn and skops, so that the workers fork with them imported.

The server learns the run's model from :data:`detector.batch.forkstart.MODEL_ENV` (it may
start before the run has checked the model). A compact model needs neither
(:mod:`detector.text.compact`).
"""

from __future__ import annotations

import contextlib
import os

from detector.batch.forkstart import MODEL_ENV

# a failure here would kill the fork server (it only forgives ImportError); a model that
# cannot load reports its own error in the worker that loads it
with contextlib.suppress(Exception):
    from detector.text.modelstore import check_model

    if not check_model(os.environ.get(MODEL_ENV) or None).compact:
        import detector.batch.worker_preload  # noqa: F401  (skops)
        import detector.text.classifier  # noqa: F401  (scikit-learn, before skops names its types)
