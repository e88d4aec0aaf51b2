"""Post-level simulation: scenarios, streams, texts, reproducibility, bounded chunks."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from detector.errors import UsageError
from detector.simulate import posts as posts_module
from detector.simulate.posts import generate_posts, generate_tables, iso_ms
from detector.simulate.render import Renderer
from detector.simulate.scenarios import SCENARIOS, build_plan
from detector.simulate.services import SERVICES

EXCHANGE = re.compile(
    r"(?i)\b(?:exchange online|exchange|office 365 email|o365 email|o365 mail|m365 mail)\b"
    r"|#ExchangeOnline|@MSFT365Status"
)
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def exchange() -> pd.DataFrame:
    plan = build_plan("exchange-outage", seed=1)
    frame = pd.concat(generate_posts(plan, 1), ignore_index=True)
    frame["time"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def test_columns_and_formats(exchange: pd.DataFrame) -> None:
    assert list(exchange.columns[:4]) == ["id", "created_at", "author_id", "text"]
    assert exchange["created_at"].str.match(ISO_Z).all()
    assert exchange["id"].str.fullmatch(r"\d{18,19}").all()
    assert exchange["id"].is_unique
    assert exchange["author_id"].str.fullmatch(r"\d{8,19}").all()
    assert exchange["created_at"].is_monotonic_increasing
    assert (exchange["text"].str.len() > 0).all()


def test_export_spans_the_day_with_history_before_onset(exchange: pd.DataFrame) -> None:
    assert exchange["time"].min() < pd.Timestamp("2025-03-12 06:05", tz="UTC")
    assert exchange["time"].max() > pd.Timestamp("2025-03-13 05:50", tz="UTC")
    assert 10_000 <= len(exchange) <= 25_000


def test_exchange_outage_is_a_clear_spike(exchange: pd.DataFrame) -> None:
    hourly = exchange.set_index("time")["text"].str.contains(EXCHANGE).resample("1h").sum()
    before = hourly[:"2025-03-12 13:00"].mean()
    first_hour = exchange[
        (exchange["time"] >= "2025-03-12 14:05") & (exchange["time"] < "2025-03-12 15:05")
    ]
    assert first_hour["text"].str.contains(EXCHANGE).sum() > 200
    assert hourly["2025-03-12 15:00"] > 5 * before
    # decays overnight: the last hours are back near the morning level
    assert hourly["2025-03-13 04:00":].mean() < 2 * before


def test_vendor_status_posts_follow_the_truth(exchange: pd.DataFrame) -> None:
    plan = build_plan("exchange-outage", seed=1)
    (truth,) = plan.outages
    status = exchange[exchange["text"].str.contains(r"Ref EX\d{6}")]
    assert status["author_id"].nunique() == 1
    assert status["time"].iloc[0] == truth["vendor_ack"]
    assert status["text"].iloc[0].startswith("We're")
    assert "resolved" in status["text"].iloc[-1] or "normally" in status["text"].iloc[-1]
    assert status["time"].iloc[-1] > truth["resolved"]


def test_outage_window_has_unnamed_and_multi_service_posts(exchange: pd.DataFrame) -> None:
    window = exchange[
        (exchange["time"] >= "2025-03-12 14:15") & (exchange["time"] < "2025-03-12 18:00")
    ]["text"]
    assert window.str.contains(r"\bwork email\b|\bmy email\b|\bemails?\b", case=False).sum() > 50
    assert window.str.contains(EXCHANGE).sum() > 400
    assert window.str.contains(r"\bOutlook\b|\bHotmail\b|outlook\.com").sum() > 150
    both = window.str.contains(EXCHANGE) & window.str.contains(r"\bTeams\b|\bOutlook\b")
    assert both.sum() > 5


def test_texts_are_varied_with_noise_and_traps(exchange: pd.DataFrame) -> None:
    text = exchange["text"]
    assert text.nunique() > 0.8 * len(text)
    patterns = {
        "elongation": r"\bdo{3,}w+n\b",
        "hashtag": r"#[A-Za-z]+",
        "mention": r"@[A-Za-z0-9]+",
        "emoji": "[😂😭😡🙄💀🤬😩]",
        "question": r"\banyone else\b|\bis it just me\b",
        "is down question": r"(?i)\bis \S+(?: \S+)? (?:down|dooown|DOWN)\b",
        "ordinary teams": r"\bteams\b",
        "down to earth": r"down to earth",
        "crashed on the couch": r"crashed on the couch",
        "market crashed": r"market crashed",
        "I'm dead": r"(?i)i'?m dead",
        "zoom in": r"\bzoom in\b",
        "slack idiom": r"\bsome slack\b|\bslack tide\b",
        "stock exchange": r"(?i)stock exchange",
        "link": r"https://t\.co/\w{10}",
        "newline": "\n",
    }
    for name, pattern in patterns.items():
        assert text.str.contains(pattern).sum() >= 3, name


def test_product_teams_is_always_capitalised() -> None:
    r = Renderer(5)
    teams = SERVICES["Microsoft Teams"]
    texts = [r.outage(teams, "messaging") for _ in range(300)]
    texts += [r.chatter(teams) for _ in range(300)] + [r.complaint(teams) for _ in range(300)]
    named = [t for t in texts if re.search(r"(?i)\bteams\b", t)]
    assert len(named) > 500
    assert not [t for t in named if re.search(r"\bteams\b", t) and not re.search(r"Teams", t)]


def test_every_service_named_by_its_surface_forms() -> None:
    r = Renderer(8)
    for service in SERVICES.values():
        texts = [r.outage(service, next(iter(service.symptoms))) for _ in range(150)]
        forms = list(service.forms) + list(service.handles)
        pattern = "|".join(re.escape(f) for f in forms)
        assert all(re.search(pattern, t) for t in texts), service.name


def test_unnamed_outage_posts_name_no_service() -> None:
    r = Renderer(2)
    everything = "|".join(
        re.escape(f) for s in SERVICES.values() for f in (*s.forms, *s.handles) if len(f) > 2
    )
    for service in SERVICES.values():
        for symptom in service.symptoms:
            text = r.outage(service, symptom, named=False)
            assert not re.search(everything, text), (service.name, text)


def test_same_seed_same_posts_different_seed_different_posts() -> None:
    plan = build_plan("quiet-day", seed=3, posts=3000)
    a = pa.concat_tables(list(generate_tables(plan, 3)))
    b = pa.concat_tables(list(generate_tables(build_plan("quiet-day", seed=3, posts=3000), 3)))
    c = pa.concat_tables(list(generate_tables(build_plan("quiet-day", seed=4, posts=3000), 4)))
    assert a.equals(b)
    assert not a.equals(c)


def test_chunk_size_does_not_change_the_posts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(posts_module, "POOL_CAP", 40)  # force text reuse with suffixes
    plan = build_plan("load", seed=2, days=2, posts=20_000)
    whole = list(generate_tables(plan, 2, chunk_rows=1_000_000))
    chunks = list(generate_tables(plan, 2, chunk_rows=1_500))
    assert len(whole) == 1 and len(chunks) > 10
    assert max(len(c) for c in chunks) < 1_500 + 200  # whole minutes per chunk
    assert pa.concat_tables(chunks).equals(whole[0])
    text = whole[0].column("text").to_pandas()
    assert text.nunique() < 0.5 * len(text)  # pools reused
    assert text.str.endswith((" ugh", " smh", " lol", " tbh")).sum() > 100


def test_posts_option_gives_the_exact_number() -> None:
    for name in SCENARIOS:
        days = 2 if name in ("multi-outage", "load") else None
        plan = build_plan(name, seed=0, posts=777, days=days)
        assert sum(len(t) for t in generate_tables(plan, 0)) == 777, name


def test_load_defaults_to_a_million_posts() -> None:
    assert build_plan("load", seed=0).posts == 1_000_000


def test_multi_outage_scenario_truth() -> None:
    plan = build_plan("multi-outage", seed=0)
    outages = plan.outages
    assert len(outages) == 8
    assert {o["service"] for o in outages} >= {"Slack", "Zoom", "PayPal", "WhatsApp"}
    assert min(o["rise"] for o in outages) == 3.0 and max(o["rise"] for o in outages) == 20.0
    start = plan.start + pd.Timedelta(days=1)
    assert all(start <= o["onset"] < o["vendor_ack"] < o["resolved"] for o in outages)
    assert [o["onset"] for o in outages] == sorted(o["onset"] for o in outages)


def test_multi_outage_has_low_and_high_traffic_services() -> None:
    plan = build_plan("multi-outage", seed=0)
    per_hour: dict[str, float] = {}
    for stream in plan.streams:
        if stream.service and stream.kind in ("chatter", "complaint"):
            per_hour[stream.service] = per_hour.get(stream.service, 0.0) + stream.rate.sum()
    hours = plan.minutes / 60
    assert per_hour["Zoom"] / hours < 5
    assert per_hour["PayPal"] / hours < 5
    assert per_hour["WhatsApp"] / hours > 150


def test_quiet_day_has_no_outage_streams_beyond_background() -> None:
    plan = build_plan("quiet-day", seed=0)
    assert plan.outages == [] and plan.scheduled == []
    assert not [s for s in plan.streams if s.kind == "news"]


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("nope", {}, r"Unknown scenario 'nope'\. Choose one of: exchange-outage, load, multi"),
        ("exchange-outage", {"days": 0.5}, r"'days' option of scenario exchange-outage must be"),
        ("multi-outage", {"days": 1}, r"'days' option of scenario multi-outage must be >= 1\.5"),
        ("load", {"days": -1}, r"'days' option must be a number > 0\. Got -1"),
        ("load", {"posts": 0}, r"'posts' option must be a positive integer\. Got 0"),
        ("quiet-day", {"seed": -1}, r"'seed' option must be a non-negative integer\. Got -1"),
    ],
)
def test_bad_scenario_options(name: str, kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        build_plan(name, **kwargs)


def test_too_few_posts_for_the_status_posts() -> None:
    plan = build_plan("exchange-outage", seed=0, posts=2)
    with pytest.raises(UsageError, match=r"'posts' option \(2\) is smaller than the \d+ vendor"):
        list(generate_tables(plan, 0))


def test_iso_ms_matches_pandas() -> None:
    t = np.array([0, 86_399_999, 1_741_788_303_123, 4_102_444_800_000], dtype=np.int64)
    expected = [
        ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"
        for ts in pd.to_datetime(t, unit="ms", utc=True)
    ]
    assert iso_ms(t).to_pylist() == expected
    assert iso_ms(np.array([], dtype=np.int64)).to_pylist() == []


def test_every_template_renders_without_leftover_slots() -> None:
    from detector.simulate import chatter, phrases

    banks: list[str] = []
    for by_symptom in (*phrases.OUTAGE_NAMED.values(), *phrases.OUTAGE_UNNAMED.values()):
        for templates in by_symptom.values():
            banks += templates
    banks += phrases.OUTAGE_MULTI + phrases.COMPLAINT_GENERIC
    banks += [t for ts in phrases.COMPLAINT_BY_KIND.values() for t in ts]
    banks += chatter.CHATTER_GENERIC + chatter.EVERYDAY + chatter.NEWS
    banks += [t for ts in chatter.CHATTER_BY_KIND.values() for t in ts]
    banks += [t for ts in chatter.STATUS.values() for t in ts]
    r = Renderer(0)
    slack = SERVICES["Slack"]
    for template in banks:
        filled = r._fill(template, slack, ref="INC1")
        assert "{" not in filled and "}" not in filled, template
    kinds = {s.kind for s in SERVICES.values()}
    assert kinds == set(phrases.OUTAGE_NAMED) == set(phrases.OUTAGE_UNNAMED)
    assert kinds == set(phrases.COMPLAINT_BY_KIND) == set(chatter.CHATTER_BY_KIND)
    for service in SERVICES.values():
        assert set(service.symptoms) <= {
            "access",
            "connectivity",
            "messaging",
            "app",
            "performance",
            "payments",
        }
        assert set(service.symptoms) <= set(phrases.OUTAGE_NAMED[service.kind]), service.name
