"""enrich(): symptom shares, distinctive terms, sample posts of an incident."""

from __future__ import annotations

import pandas as pd
import pytest

from detector.errors import SchemaError
from detector.incidents.enrich import STOP_WORDS, distinctive_terms, enrich, tokens
from detector.incidents.incident import Incident

T = pd.Timestamp("2026-01-05 10:00", tz="UTC")


def _posts() -> pd.DataFrame:
    rows = []
    for k in range(6):  # normal chatter before the incident
        rows.append(
            (
                "Outlook",
                T - pd.Timedelta(hours=5 - k),
                f"new outlook theme looks nice {k}",
                False,
                0.1,
                None,
            )
        )
    texts = [
        "outlook down, emails stuck in outbox",
        "Emails stuck in the outbox again. Outlook not sending",
        "can't access my email, outlook down",
        "outlook not sending emails, stuck in outbox",
        "outlook down for anyone else?",
    ]
    for k, text in enumerate(texts):
        symptom = "access" if "access" in text else "messaging"
        rows.append(
            ("Outlook", T + pd.Timedelta(minutes=5 * k), text, True, 0.9 - k / 100, symptom)
        )
    rows.append(("Gmail", T + pd.Timedelta(minutes=3), "gmail down", True, 0.9, "other"))
    rows.append(("Outlook", T + pd.Timedelta(hours=3), "outlook down later", True, 0.9, "other"))
    return pd.DataFrame(
        rows, columns=["service", "created_at", "text", "is_outage", "outage_prob", "symptom"]
    )


def test_enrich_fills_the_three_fields() -> None:
    inc = Incident(
        "Outlook",
        T,
        T + pd.Timedelta("10min"),
        status="resolved",
        resolved_at=T + pd.Timedelta("1h"),
    )
    enrich([inc], _posts())
    assert inc.symptoms == {"messaging": 0.8, "access": 0.2}
    # "down" also occurs in the service's posts outside the incident, "outlook" everywhere
    assert inc.top_terms == ["emails", "outbox", "stuck", "not", "sending", "down"]
    assert "the" not in inc.top_terms and "in" not in inc.top_terms
    assert len(inc.sample_posts) == 3
    assert inc.sample_posts[0] == "Emails stuck in the outbox again. Outlook not sending"
    assert len(set(inc.sample_posts)) == 3
    assert "gmail down" not in inc.sample_posts and "outlook down later" not in inc.sample_posts


def test_open_incident_runs_to_the_end_and_empty_windows() -> None:
    open_inc = Incident("Outlook", T, T)
    quiet = Incident("Slack", T, T)
    enrich([open_inc, quiet], _posts())
    assert sum(open_inc.symptoms.values()) == pytest.approx(1.0, abs=1e-3)
    assert "other" in open_inc.symptoms  # the later post counts while it is open
    assert (quiet.symptoms, quiet.top_terms, quiet.sample_posts) == ({}, [], [])


def test_stop_words_keep_outage_words() -> None:
    for word in ("down", "not", "out", "no", "off", "can't", "won't", "again"):
        assert word not in STOP_WORDS
    assert tokens("It's NOT working, down again https://x.co/1 #outage") == [
        "not",
        "working",
        "down",
        "again",
        "outage",
    ]


def test_distinctive_terms_uses_document_frequency() -> None:
    inside = ["crash crash crash crash", "crash", "login fails", "login fails again"]
    outside = ["login works", "happy login", "login"]
    assert distinctive_terms(inside, outside) == ["crash", "fails"]


def test_missing_columns() -> None:
    inc = Incident("Outlook", T, T)
    with pytest.raises(SchemaError, match="missing: is_outage"):
        enrich([inc], _posts().drop(columns=["is_outage"]))


def test_an_all_services_incident_reads_its_own_rows_whatever_shares_the_frame() -> None:
    """score loads 'all services' rows apart (every post once); an overall incident must not
    also read rows loaded for another service's incident enriched in the same group (its
    terms changed with the number of workers: tester s21)."""
    overall = _posts().assign(service="all services")
    other = pd.DataFrame(  # Slack's own incident, days away, loaded into the same frame
        {
            "service": "Slack",
            "created_at": [T - pd.Timedelta(days=3, minutes=m) for m in range(8)],
            "text": [f"slack huddles broken again {m}" for m in range(8)],
            "is_outage": True,
            "outage_prob": 0.9,
            "symptom": "app",
        }
    )

    def incident() -> Incident:
        end = T + pd.Timedelta("1h")
        return Incident("all services", T, T, status="resolved", resolved_at=end)

    alone, together = incident(), incident()
    enrich([alone], overall)
    enrich([together], pd.concat([overall, other], ignore_index=True))
    assert together.top_terms == alone.top_terms
    assert together.symptoms == alone.symptoms
    assert together.sample_posts == alone.sample_posts
    assert not any("slack" in t for t in together.top_terms)
    # a frame without 'all services' rows (one row per service) still gives it every post
    every = incident()
    enrich([every], _posts())
    assert every.symptoms == {"messaging": 0.6667, "access": 0.1667, "other": 0.1667}
