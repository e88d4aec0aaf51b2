"""Imported once by the local engine's fork server: the compiled normaliser,
tokeniser and pseudonym hash (:mod:`detector.batch.fasthmac`), loaded there.

Its machine code and numba take about 1 CPU-second to load and 120 MB; loaded here,
every worker forks with it loaded (the pages shared until written) instead of loading
its own copy (:func:`detector.text.normalize.warm_compiled`; a first run on a machine
compiles it here once, not once per worker).
"""

from __future__ import annotations

import contextlib

from detector.text.normalize import warm_compiled

# a failure here would kill the fork server (it only forgives ImportError); a compiled
# path that cannot load has already fallen back to the regular expressions, with a warning
with contextlib.suppress(Exception):
    warm_compiled()
with contextlib.suppress(Exception):
    from detector.text import jit

    if jit.CACHED:  # else the vectoriser splits with pyarrow (the same features)
        from detector.text.fasttokens import warm

        warm()
        from detector.batch.fasthmac import warm as warm_hmac

        warm_hmac()  # the authors' pseudonyms
