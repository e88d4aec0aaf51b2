"""Precision and recall of service matching on real posts, against the services a person names.

Labels (kept here as post ids and service names only; the texts stay in ``../shared/data``):

- ``airline``: 600 tweets of ``streams/airline_tweets_feb2015.csv`` (``sample(600,
  random_state=11)``). A person names the airline the tweet addresses, i.e. its
  ``airline`` column (the data set's "Delta" rows are tweets to @JetBlue, a known quirk
  of that corpus, so they are labelled JetBlue), plus every service the tweet is about
  or also addresses; passing mentions (an e-mail address, "on twitter", a competitor
  held up as a comparison) are not names of the post's subject. The 25 tweets where
  that differs from the airline column were read and labelled by hand
  (:data:`AIRLINE_OVERRIDES`).
- ``power``: 150 tweets of ``streams/power_outage_tweets_2019/january-mid_during_tweets.csv``
  (``dropna(subset=["Text"]).sample(150, random_state=5)``), every one read and
  labelled by hand (:data:`POWER_LABELS`; unlisted ids name no service). Utilities a
  person would name count even when the catalog does not know them (so recall here
  also measures catalog coverage).

Each stream is matched with the catalog as shipped (common-word aliases need context)
and, as the baseline in the same run, with the context rules switched off (the old
matcher). Micro precision = correct names / names found; recall = correct names /
names a person gives. Writes ``benchmarks/results/catalog_precision.json``.

    .venv/bin/python benchmarks/catalog_precision.py
"""

from __future__ import annotations

import pandas as pd
from _common import SHARED, write_result

from detector.text.catalog import Catalog, _match

AIRLINE_OF = {
    "United": "United Airlines",
    "US Airways": "US Airways",
    "American": "American Airlines",
    "Southwest": "Southwest Airlines",
    "Delta": "JetBlue",
    "Virgin America": "Virgin America",
}

#: tweet_id -> every service the tweet names as its subject or addressee (hand-labelled).
AIRLINE_OVERRIDES: dict[int, set[str]] = {
    567901267063803904: {"United Airlines", "Turkish Airlines"},
    569592368518660096: {"US Airways", "American Airlines"},
    567755542362591233: {"US Airways", "American Airlines"},
    568525573175136256: {"Southwest Airlines", "Gmail", "Facebook"},
    567757203093090305: {"US Airways", "American Airlines"},
    570222239603273729: {"American Airlines", "US Airways"},
    568569739225604096: {"JetBlue", "Lufthansa"},
    569355673068118016: {"JetBlue", "Lufthansa"},
    569906446881697793: {"American Airlines", "US Airways"},
    569683696422244352: {"JetBlue", "Apple Pay"},
    569223482791366656: {"US Airways", "American Airlines"},
    568274949275824128: {"US Airways", "American Airlines"},
}

#: tweet Id -> services a person would name (hand-labelled; others name none).
POWER_LABELS: dict[int, set[str]] = {
    1086473180938551296: {"Westar Energy"},
    1086503345643286528: {"K-Electric"},
    1086259691976568837: {"City Power"},
    1086359429640044550: {"National Grid"},
    1086614312779698176: {"Georgia Power", "Comcast", "Verizon"},
    1086671544624005120: {"CenterPoint Energy"},
    1086532101560782848: {"City of Tshwane"},
    1086473876564074497: {"Westar Energy"},
    1086522375275982849: {"City Power"},
    1086271905676562432: {"PPL Electric"},
    1086393834337005568: {"EPCOR"},
    1086345658968231936: {"Central Hudson"},
    1086733824556453889: {"Ikeja Electric"},
    1086769866361761793: {"Duke Energy"},
    1086771345856319489: {"Netflix"},
    1086511020477161472: {"City of Tshwane"},
    1086736491513032705: {"Entergy"},
    1086349154064977920: {"City Power"},
    1086745495823892481: {"Reliant"},
    1086656319606714375: {"Duquesne Light"},
}


def airline_sample() -> tuple[list[str], list[set[str]]]:
    frame = pd.read_csv(SHARED / "streams" / "airline_tweets_feb2015.csv")
    frame = frame.sample(600, random_state=11)
    truth = [
        AIRLINE_OVERRIDES.get(int(tid), {AIRLINE_OF[airline]})
        for tid, airline in zip(frame.tweet_id, frame.airline, strict=True)
    ]
    return frame.text.astype(str).tolist(), truth


def power_sample() -> tuple[list[str], list[set[str]]]:
    path = SHARED / "streams" / "power_outage_tweets_2019" / "january-mid_during_tweets.csv"
    frame = pd.read_csv(path).dropna(subset=["Text"]).sample(150, random_state=5)
    truth = [POWER_LABELS.get(int(i), set()) for i in frame.Id]
    return frame.Text.astype(str).tolist(), truth


def score(found: list[list[str]], truth: list[set[str]]) -> dict:
    right = sum(len(set(f) & t) for f, t in zip(found, truth, strict=True))
    named = sum(len(f) for f in found)
    given = sum(len(t) for t in truth)
    wrong = [sorted(set(f) - t) for f, t in zip(found, truth, strict=True) if set(f) - t]
    return {
        "posts": len(truth),
        "names_found": named,
        "names_given": given,
        "precision": round(right / named, 4) if named else None,
        "recall": round(right / given, 4) if given else None,
        "false_names": sum(len(w) for w in wrong),
    }


def main() -> None:
    catalog = Catalog.load()
    finditer, table = catalog._pattern.finditer, catalog._table
    result: dict = {"targets": {"precision": 0.95, "recall": 0.90}}
    pooled: dict[str, tuple[list, list]] = {"catalog": ([], []), "no_context_rules": ([], [])}
    for name, (texts, truth) in {"airline": airline_sample(), "power": power_sample()}.items():
        ours = catalog.match_many(texts)
        old = [_match(finditer, table, t, context=False) for t in texts]
        result[name] = {"catalog": score(ours, truth), "no_context_rules": score(old, truth)}
        for key, found in (("catalog", ours), ("no_context_rules", old)):
            pooled[key][0].extend(found)
            pooled[key][1].extend(truth)
    result["pooled"] = {k: score(f, t) for k, (f, t) in pooled.items()}
    write_result("catalog_precision", result)


if __name__ == "__main__":
    main()
