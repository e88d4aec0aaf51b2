"""Batch scoring of exported posts: ``outage-detector score``.

:mod:`.pipeline` runs a score from reading to the outputs; the local engine
(:mod:`.engine_local`, workers from the fork server of :mod:`.forkstart`) or the Dask
engine (:mod:`.engine_dask`) scores the chunks (:mod:`.chunks`), :mod:`.accumulate`
counts them per minute, :mod:`.detection` judges every service, and :mod:`.outputs` and
:mod:`.report` write the files.
"""
