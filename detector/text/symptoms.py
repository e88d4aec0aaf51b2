"""Keyword rules for the clearest symptom cues, applied on top of the symptom model.

The symptom model (a logistic regression trained on outage posts) learns the
vocabulary of its training sources; a few cues mean the same symptom in any
source (``cant log in`` is access, ``no internet`` is connectivity, ``buffering``
is performance), so when a rule fires it decides, in the order of :data:`RULES`
(the first rule that matches wins). Measured leave-one-source-out on every true
outage post of the 14 shared real sources (``benchmarks/classifier.py``), the
rules lift the symptom model's accuracy from 0.73 to 0.77; each rule's precision
over every outage post it matches: access 0.86, connectivity 0.84, payments 0.70,
performance 0.56 (about the model's own accuracy on those posts), messaging 0.44 on
68 posts (neutral: without it 0.0003 better). A bare ``pay`` is no payment cue:
in 62 outage posts it was right 40% of the time ("I pay for this and it won't
load" is ``app``); dropping it gained 0.003.

The rules run on *normalised* text (see :mod:`.normalize`): ``log in`` is
``login``, ``can't`` is ``cant``, the word after a negator carries ``neg_``, and
numbers are ``_num_``. They are RE2-compatible, so a batch runs in pyarrow's C++
kernels.

>>> from detector.text.normalize import normalize_many
>>> rule_symptoms(normalize_many(["Can't log in to Outlook", "no internet since 2pm",
...                                "Netflix keeps buffering", "is Teams down?"])).tolist()
['access', 'connectivity', 'performance', None]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["RULES", "rule_symptoms"]

_NEG = r"(?:neg_)?"
_MESSAGE = r"(?:emails?|inbox|outbox|texts?|sms|notifications?|messages?|dms?|voicemails?)"
_UNDELIVERED = (
    r"(?:neg_(?:send|sending|sent|receive|receiving|received|deliver|delivering|delivered"
    r"|get|getting|come|coming|arrive|arriving|load|loading|go|going|pop)|stuck|delay\w*)"
)

#: (symptom, RE2 pattern over normalised text), in the order they are tried.
RULES: tuple[tuple[str, str], ...] = (
    (
        "performance",
        r"\b" + _NEG + r"(?:slow(?:ly|er|ness|ing|down|s)?|lag(?:gy|ging|s)?|buffer(?:ing|s)?"
        r"|time[sd]?\s?out|throttl\w*|mbps|speeds?|takes\s+forever|latency|intermittent"
        r"|cutting\s+in\s+and\s+out)\b",
    ),
    (
        "access",
        r"\b" + _NEG + r"(?:login|signin|password|passcode|locked\s+out|logged\s+out"
        r"|authenticat\w*|_num_\s+fa|2fa|verification\s+code|otp)\b",
    ),
    (
        "payments",
        r"\b" + _NEG + r"(?:payments?|checkout|check\s+out|declined|transfers?|deposits?"
        r"|withdraw\w*|transactions?|credit\s+card|debit\s+card)\b"
        r"|\bneg_pay\b",  # "can't pay"; a bare "pay" is mostly paying for the service
    ),
    (
        "messaging",
        # a message noun and a failed delivery verb near each other: a bare "didn't
        # receive" is as often a transfer or a code (measured precision 0.39 -> 0.67)
        r"\b" + _MESSAGE + r"\b.{0,40}\b" + _UNDELIVERED + r"\b"
        r"|\b" + _UNDELIVERED + r"\b.{0,30}\b" + _MESSAGE + r"\b",
    ),
    (
        "connectivity",
        (
            r"\bno\s+neg_(?:internet|signal|power|wifi|service|connection|electricity|network"
            r"|coverage|calls|lights)\b|\bpower\s+(?:is\s+)?out\b|\bpower\s+outages?\b"
            r"|\binternet\s+(?:is\s+)?(?:down|out)\b|\bwifi\b|\bbroadband\b|\bdisconnect\w*"
            r"|\bcalls?\s+drop\w*|\bsignal\b"
        ),
    ),
)


def rule_symptoms(normalised: pa.Array | pa.ChunkedArray | Sequence[str]) -> np.ndarray:
    """The symptom of the first rule matching each normalised post, else None.

    >>> rule_symptoms(["payment neg_failed again", "lunch"]).tolist()
    ['payments', None]
    """
    if not isinstance(normalised, pa.Array | pa.ChunkedArray):
        normalised = pa.array(list(normalised), type=pa.large_string())
    out = np.full(len(normalised), None, dtype=object)
    if len(normalised) == 0:
        return out
    undecided = np.ones(len(normalised), dtype=bool)
    for symptom, pattern in RULES:
        hit = pc.match_substring_regex(normalised, pattern).to_numpy(zero_copy_only=False)
        hit = np.asarray(hit, dtype=bool) & undecided
        out[hit] = symptom
        undecided &= ~hit
        if not undecided.any():
            break
    return out
