"""The service catalog: shipped data, matching, providers, validation, custom files."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import pytest

from detector.errors import DataError, InputMissingError
from detector.text.catalog import FIELDS, Catalog, Service, default_path


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def records(*extra: dict) -> list[dict]:
    """A small valid catalog plus *extra* records."""
    return [
        {"name": "Cloud", "category": "cloud"},
        {"name": "Suite", "aliases": ["the suite"], "provider": "Cloud"},
        {"name": "Mail", "aliases": ["mailer"], "handles": ["@mail"], "provider": "Suite"},
        *extra,
    ]


# -- the shipped catalog ------------------------------------------------------------
def test_shipped_catalog_has_at_least_150_services_across_categories(catalog):
    assert len(catalog) >= 150
    categories = {s.category for s in catalog}
    wanted = {"email", "chat", "social", "cloud", "devtools", "bank", "telco", "gaming"}
    wanted |= {"streaming", "payments", "airline", "utility", "ecommerce", "productivity"}
    assert wanted <= categories
    assert all(s.category for s in catalog)


def test_shipped_file_has_version_description_and_the_documented_fields():
    document = json.loads(default_path().read_text(encoding="utf-8"))
    assert document["version"] and document["description"]
    for record in document["services"]:
        assert set(record) <= set(FIELDS)
        assert {"name", "category", "aliases", "handles", "hashtags", "provider"} <= set(record)


SCENARIO = [
    "Exchange Online",
    "Outlook",
    "Microsoft Teams",
    "Gmail",
    "Slack",
    "Zoom",
    "WhatsApp",
    "Instagram",
    "Netflix",
    "Spotify",
    "PayPal",
    "Verizon",
    "Microsoft 365",
]


@pytest.mark.parametrize("name", SCENARIO)
def test_scenario_services_are_present_under_their_canonical_names(catalog, name):
    assert name in catalog
    assert catalog.get(name).name == name
    assert catalog.match(f"is {name} down?") == [name]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Exchange Online
        ("Exchange Online is down", "Exchange Online"),
        ("Exchange is down again", "Exchange Online"),
        ("exchange is down, no email", "Exchange Online"),
        ("#ExchangeOnline outage", "Exchange Online"),
        ("Office 365 email not working", "Exchange Online"),
        ("O365 email stuck in outbox", "Exchange Online"),
        ("o365 mail down", "Exchange Online"),
        ("M365 mail is broken", "Exchange Online"),
        ("@MSFT365Status any update?", "Exchange Online"),
        # Outlook
        ("Outlook won't load", "Outlook"),
        ("outlook.com is down", "Outlook"),
        ("my Hotmail is dead", "Outlook"),
        ("@Outlook help", "Outlook"),
        # Microsoft Teams
        ("Teams is down", "Microsoft Teams"),
        ("MS Teams crashed", "Microsoft Teams"),
        ("ms teams crashed", "Microsoft Teams"),
        ("Microsoft Teams not loading", "Microsoft Teams"),
        ("@MicrosoftTeams calls drop", "Microsoft Teams"),
        # Gmail
        ("Gmail down", "Gmail"),
        ("@gmail why", "Gmail"),
        ("google mail not syncing", "Gmail"),
        # Slack, Zoom, WhatsApp, Instagram
        ("Slack is down", "Slack"),
        ("@SlackHQ help", "Slack"),
        ("Zoom keeps crashing", "Zoom"),
        ("@Zoom audio broken", "Zoom"),
        ("WhatsApp not sending", "WhatsApp"),
        ("is WA down for anyone", "WhatsApp"),
        ("Instagram feed broken", "Instagram"),
        ("insta won't refresh", "Instagram"),
        ("IG is down", "Instagram"),
        ("@instagram fix it", "Instagram"),
        # the rest of the scenario
        ("Netflix buffering", "Netflix"),
        ("Spotify keeps skipping", "Spotify"),
        ("PayPal payment failed", "PayPal"),
        ("Verizon no signal", "Verizon"),
        ("Verizon Fios out", "Verizon"),
        ("@VerizonSupport help", "Verizon"),
        ("@Verizon help", "Verizon"),
        # Microsoft 365
        ("Microsoft 365 outage", "Microsoft 365"),
        ("Office 365 is down", "Microsoft 365"),
        ("O365 portal down", "Microsoft 365"),
        ("M365 admin center broken", "Microsoft 365"),
    ],
)
def test_scenario_surface_forms(catalog, text, expected):
    assert catalog.match(text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("our teams are great", []),
        ("Teams is down", ["Microsoft Teams"]),
        ("the stock exchange crashed", []),
        ("exchange rate is terrible", []),
        ("currency exchange closed", []),
        ("she is an exchange student", []),
        # lower-case "exchange" with a service word is a crypto exchange in app reviews;
        # it counts with a mail word or a mail service named beside it
        ("exchange is down again", []),
        ("Bad exchange, always have problems when the market crashes", []),
        ("awesome App the best exchange out there", []),
        ("Exchange is down again", ["Exchange Online"]),
        ("exchange mailbox not syncing", ["Exchange Online"]),
        ("outlook and exchange down", ["Outlook", "Exchange Online"]),
        ("Downdetector shows gmail down", ["Gmail"]),
        ("Downdetector", []),
        ("mygmail and gmailer are not gmail", ["Gmail"]),
        ("zoom in on the photo", []),
        ("Zoom keeps crashing", ["Zoom"]),
        ("Office 365 email not working", ["Exchange Online"]),
        ("wa", []),
        ("ig", []),
        ("Seattle, WA power outage", []),
        ("the United States grid", []),
        ("flying United today, delayed", ["United Airlines"]),
        ("cut me some slack", []),
        ("the economic outlook is bleak", []),
        ("Times Square is busy", []),
        ("Square reader down", ["Square"]),
        ("APC Back-UPS battery", []),
        ("can't open my email in Exchange Online", ["Exchange Online"]),
        ("in exchange for a refund", []),
        ("the Spectrum app is down", ["Spectrum"]),
        # the 2FA app of crypto and bank reviews is not Google's search
        ("my google authenticator codes stopped working", []),
        ("Google Auth code invalid, locked out", []),
        ("Google is down", ["Google Search"]),
        ("google playstore wont update the app", ["Google Play"]),
        ("my UPS package is late", ["UPS"]),
    ],
)
def test_ambiguous_words(catalog, text, expected):
    assert catalog.match(text) == expected


def test_longest_form_wins(catalog):
    assert catalog.match("Office 365 email") == ["Exchange Online"]
    assert catalog.match("Office 365") == ["Microsoft 365"]
    assert catalog.match("Disney+ Hotstar") == ["Hotstar"]
    assert catalog.match("Disney+") == ["Disney+"]


def test_names_in_order_of_first_appearance_without_duplicates(catalog):
    text = "Slack down, gmail too, then SLACK again and @gmail, now Teams"
    assert catalog.match(text) == ["Slack", "Gmail", "Microsoft Teams"]


def test_urls_handles_hashtags_and_punctuation(catalog):
    assert catalog.match("see status.slack.com") == ["Slack"]
    assert catalog.match("https://outlook.office.com/mail/ 500") == ["Outlook"]
    assert catalog.match("(@SlackHQ)") == ["Slack"]
    assert catalog.match('"Teams" is down') == ["Microsoft Teams"]
    assert catalog.match("gmail/outlook both down") == ["Gmail", "Outlook"]
    assert catalog.match("#GmailDown") == ["Gmail"]
    assert catalog.match("AT&amp;T outage") == ["AT&T"]
    assert catalog.match("slack's status page") == ["Slack"]


def test_whitespace_inside_multi_word_forms_is_flexible(catalog):
    assert catalog.match("Office  365\nemail broken") == ["Exchange Online"]
    assert catalog.match("MS\tTeams") == ["Microsoft Teams"]


def test_characters_whose_lower_case_is_longer_keep_offsets(catalog):
    # "İ".lower() has two characters; the case-sensitive check must still line up
    assert catalog.match("İİİ teams İ Teams down") == ["Microsoft Teams"]


def test_brand_glued_to_non_latin_script(catalog):
    assert catalog.match("LINEが落ちた") == ["LINE"]
    assert catalog.match("Gmail😡😡") == ["Gmail"]


@pytest.mark.parametrize("value", [None, math.nan, 3, b"gmail"])
def test_non_strings_name_no_service(catalog, value):
    assert catalog.match(value) == []
    assert catalog.match_many([value, "gmail"]) == [[], ["Gmail"]]


def test_match_many_equals_match(catalog):
    texts = [
        "Gmail down",
        "",
        "all good here",
        "Teams and Slack and zoom in",
        "İ Outlook",
        "O365 email + @Verizon + #ExchangeOnline + stock exchange",
        "WA? IG? wa ig",
        None,
        "Sky broadband down, Sky at a gate",  # a common word: its context decides
        "EE signal gone, ee",  # case-sensitive
        "see facebook.com/page/1 and status.slack.com/x",  # a shared link is not the service
        "Microsoft \t Teams down",  # whitespace unlike the catalog's
        "gmail\x00outlook",  # NUL inside a post: the batch joins posts with it
        "my google",  # a post ending in a form, the next starting with the rest of a longer one
        "play store broken",
    ] * 3
    assert catalog.match_many(texts) == [catalog.match(t) for t in texts]
    assert catalog.match_many(texts)[-2:] == [["Google Search"], ["Google Play"]]
    assert catalog.match_many(iter(texts)) == [catalog.match(t) for t in texts]
    assert catalog.match_many([]) == []


def test_resolve_a_name_given_alone(catalog):
    assert catalog.resolve("Gmail") == "Gmail"
    assert catalog.resolve("ms teams") == "Microsoft Teams"
    assert catalog.resolve("Teams") == "Microsoft Teams"
    assert catalog.resolve("teams") is None
    assert catalog.resolve("@SlackHQ") == "Slack"
    assert catalog.resolve("gmail and slack") is None
    assert catalog.resolve("nothing") is None


# -- providers ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "chain"),
    [
        ("Outlook", ["Microsoft 365", "Azure"]),
        ("Exchange Online", ["Microsoft 365", "Azure"]),
        ("Microsoft Teams", ["Microsoft 365", "Azure"]),
        ("Microsoft 365", ["Azure"]),
        ("Azure", []),
        ("Gmail", ["Google Workspace", "Google Cloud"]),
        ("Slack", ["AWS"]),
        ("Netflix", ["AWS"]),
        ("Snapchat", ["Google Cloud"]),
        ("WhatsApp", ["Meta"]),
        ("Instagram", ["Meta"]),
    ],
)
def test_provider_chains(catalog, name, chain):
    assert catalog.providers(name) == chain


def test_every_provider_chain_ends_at_a_root(catalog):
    for service in catalog:
        chain = catalog.providers(service.name)
        assert len(chain) == len(set(chain)) and service.name not in chain
        if chain:
            assert catalog.get(chain[-1]).provider is None


@pytest.mark.parametrize(
    ("a", "b", "common"),
    [
        ("Outlook", "Microsoft Teams", "Microsoft 365"),
        ("Outlook", "Exchange Online", "Microsoft 365"),
        ("Outlook", "Microsoft 365", "Microsoft 365"),
        ("Microsoft 365", "Outlook", "Microsoft 365"),
        ("Gmail", "Snapchat", "Google Cloud"),
        ("Slack", "Netflix", "AWS"),
        ("WhatsApp", "Instagram", "Meta"),
        ("Outlook", "Gmail", None),
        ("Verizon", "Netflix", None),
        ("Gmail", "Gmail", "Gmail"),
    ],
)
def test_common_provider(catalog, a, b, common):
    assert catalog.common_provider(a, b) == common


def test_unknown_service_raises_key_error_naming_it(catalog):
    with pytest.raises(KeyError, match="'Nope' is not a service in the catalog"):
        catalog.providers("Nope")
    with pytest.raises(KeyError, match="Nope"):
        catalog.common_provider("Gmail", "Nope")
    assert catalog.get("Nope") is None
    assert "Nope" not in catalog


# -- building and validating ---------------------------------------------------------
def test_from_records_small_catalog():
    small = Catalog.from_records(records())
    assert small.names == ["Cloud", "Suite", "Mail"]
    assert small.match("the suite and @mail and mailer, cloud") == ["Suite", "Mail", "Cloud"]
    assert small.providers("Mail") == ["Suite", "Cloud"]
    assert small.get("Mail") == Service(
        name="Mail", category="other", aliases=("mailer",), handles=("@mail",), provider="Suite"
    )


def test_case_sensitive_names_and_negative_context():
    small = Catalog.from_records(
        [
            {"name": "Beam", "case_sensitive_aliases": ["Beam"], "negative_context": ["Beam me"]},
            {"name": "Cloud"},
        ]
    )
    assert small.match("Beam is down") == ["Beam"]
    assert small.match("beam is down") == []
    assert small.match("Beam me up, cloud") == ["Cloud"]


def test_empty_catalog_matches_nothing():
    empty = Catalog.from_records([])
    assert len(empty) == 0
    assert empty.match("gmail") == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"category": "x"}, r"service record 4 has no 'name'"),
        ({"name": "  "}, r"service record 4 has no 'name'"),
        ("Gmail", r"service record 4 must be an object"),
        ({"name": "cloud"}, r"record 4 repeats the name 'cloud' of record 1"),
        ({"name": "X", "provider": "Nimbus"}, r"'X' names the provider 'Nimbus', which is not"),
        ({"name": "X", "alias": ["x"]}, r"unknown field\(s\) \['alias'\]; allowed: name, category"),
        ({"name": "X", "aliases": "x"}, r"'aliases' must be a list of strings; got 'x'"),
        ({"name": "X", "aliases": ["ok", ""]}, r"'aliases' holds ''; expected non-empty"),
        (
            {"name": "X", "aliases": ["mailer"]},
            r"alias 'mailer' of 'X' is also a surface form of 'Mail'",
        ),
        (
            {"name": "X", "handles": ["@MAIL"]},
            r"alias '@MAIL' of 'X' is also a surface form of 'Mail'",
        ),
        (
            {"name": "X", "case_sensitive_aliases": ["Mailer"]},
            r"case-sensitive alias 'Mailer' of 'X' is also a surface form of 'Mail'",
        ),
        (
            {"name": "X", "aliases": ["Ex"], "case_sensitive_aliases": ["EX"]},
            r"'X' lists \['ex'\] both as case-insensitive and as case-sensitive",
        ),
        (
            {"name": "X", "negative_context": ["not mailer"]},
            r"negative context 'not mailer' of 'X' contains none of its names",
        ),
        (
            {"name": "X", "aliases": ["ex"], "negative_context": ["the suite"]},
            r"negative context 'the suite' of 'X' is a surface form of 'Suite'",
        ),
        ({"name": "X", "aliases": [", x"]}, r"alias ', x' of 'X' starts with ','"),
        (
            {"name": "X", "aliases": ["foo\x00bar"]},
            r"alias 'foo\\x00bar' of 'X' contains the control character '\\x00'",
        ),
        (
            {"name": "X", "negative_context": ["x\x00for"]},
            r"negative context 'x\\x00for' of 'X' contains the control character '\\x00'",
        ),
        (
            {"name": "Zed", "aliases": ["zed"], "case_sensitive_aliases": ["Zed"]},
            r"'Zed' lists \['zed'\] both as case-insensitive and as case-sensitive",
        ),
    ],
)
def test_invalid_records_raise_data_error_naming_the_problem(bad, message):
    with pytest.raises(DataError, match=message) as info:
        Catalog.from_records(records(bad), source="my.json")
    assert str(info.value).startswith("my.json: ")


def test_case_sensitive_aliases_may_share_a_lower_case_form():
    both = Catalog.from_records(
        [
            {"name": "A", "case_sensitive_aliases": ["Ab"]},
            {"name": "B", "case_sensitive_aliases": ["AB"]},
        ]
    )
    assert both.match("Ab AB ab") == ["A", "B"]
    with pytest.raises(DataError, match="case-sensitive alias 'Ab' of 'B' is also one of 'A'"):
        Catalog.from_records(
            [
                {"name": "A", "case_sensitive_aliases": ["Ab"]},
                {"name": "B", "case_sensitive_aliases": ["Ab"]},
            ]
        )


@pytest.mark.parametrize(
    ("providers", "cycle"),
    [
        ({"A": "B", "B": "A"}, "A -> B -> A"),
        ({"A": "A"}, "A -> A"),
        ({"A": "B", "B": "C", "C": "B"}, "B -> C -> B"),
    ],
)
def test_provider_cycles_are_rejected(providers, cycle):
    names = sorted({*providers, *providers.values()})
    recs = [{"name": n, "provider": providers.get(n)} for n in names]
    with pytest.raises(DataError, match=f"providers form a cycle: {cycle}"):
        Catalog.from_records(recs)


# -- files ---------------------------------------------------------------------------
def test_json_file_round_trip(tmp_path, catalog):
    path = tmp_path / "services.json"
    path.write_text(json.dumps({"version": "1", "services": catalog.to_records()}), "utf-8")
    again = Catalog.load(path)
    assert again.names == catalog.names
    assert [again.get(n) for n in again.names] == [catalog.get(n) for n in catalog.names]
    texts = ["Teams down", "stock exchange", "Office 365 email", "zoom in", "WA down"]
    assert again.match_many(texts) == catalog.match_many(texts)


def test_json_file_may_be_a_bare_list(tmp_path):
    path = tmp_path / "services.json"
    path.write_text(json.dumps(records()), "utf-8")
    assert Catalog.load(path).names == ["Cloud", "Suite", "Mail"]


def test_csv_file(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "name,aliases,handles,hashtags,provider,category\n"
        "Nimbus,nimbus cloud|nimbus.io,@NimbusStatus,#NimbusDown,,cloud\n"
        "Postbox,post box|pbx,@postbox,,Nimbus,email\n",
        "utf-8",
    )
    custom = Catalog.load(path)
    assert custom.names == ["Nimbus", "Postbox"]
    assert custom.get("Postbox").aliases == ("post box", "pbx")
    assert custom.get("Nimbus").provider is None
    assert custom.providers("Postbox") == ["Nimbus"]
    assert custom.match("pbx down, see @NimbusStatus and nimbus.io") == ["Postbox", "Nimbus"]
    assert custom.source == str(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("service,aliases\nX,x\n", r"needs a 'name' column"),
        ("name,colour\nX,red\n", r"unknown CSV column\(s\) \['colour'\]"),
        ("name,provider\nX,Y\n", r"'X' names the provider 'Y', which is not a service"),
        ("name\nX\nx\n", r"record 2 repeats the name 'x'"),
        ("name,aliases\nX,a\nY,a\n", r"alias 'a' of 'Y' is also a surface form of 'X'"),
        ("name,aliases\nX,a,b\n", r"line 2 has more fields than the header"),
    ],
)
def test_invalid_csv_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, "utf-8")
    with pytest.raises(DataError, match=message) as info:
        Catalog.load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"services": [', r"is not valid JSON: .* at line 1 column"),
        ('{"name": "X"}', r"must be an object with a 'services' list .*; got dict"),
        ('"services"', r"must be an object with a 'services' list .*; got str"),
    ],
)
def test_invalid_json_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, "utf-8")
    with pytest.raises(DataError, match=message) as info:
        Catalog.load(path)
    assert str(path) in str(info.value)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name\nCaf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="is not UTF-8 text"):
        Catalog.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputMissingError, match="service catalog '.*nope.json' does not exist"):
        Catalog.load(tmp_path / "nope.json")
    with pytest.raises(InputMissingError, match="is not a file"):
        Catalog.load(tmp_path)


def test_loading_an_unchanged_file_reuses_the_catalog(tmp_path):
    assert Catalog.load() is Catalog.load(default_path())
    path = tmp_path / "s.json"
    path.write_text(json.dumps(records()), "utf-8")
    first = Catalog.load(path)
    assert Catalog.load(str(path)) is first
    path.write_text(json.dumps(records({"name": "Extra"})), "utf-8")
    assert Catalog.load(path).names[-1] == "Extra"


def test_default_path_is_the_repository_data_file(repo_root):
    assert default_path() == Path(repo_root) / "data" / "services.json"


def test_catalog_pickles_for_worker_processes(catalog):
    again = pickle.loads(pickle.dumps(catalog))
    assert again.names == catalog.names
    assert again.match("Teams and O365 email") == ["Microsoft Teams", "Exchange Online"]


# -- real posts ----------------------------------------------------------------------
@pytest.mark.shared_data
def test_real_airline_tweets_name_their_airline(shared_data, catalog):
    import pandas as pd

    tweets = pd.read_csv(shared_data / "streams" / "airline_tweets_feb2015.csv")
    # the set labels tweets to @JetBlue as "Delta"; the other five airlines are right
    tweets = tweets[tweets.airline != "Delta"]
    canonical = {
        "United": "United Airlines",
        "Southwest": "Southwest Airlines",
        "US Airways": "US Airways",
        "Virgin America": "Virgin America",
        "American": "American Airlines",
    }
    found = catalog.match_many(tweets.text)
    named = [canonical[a] in f for a, f in zip(tweets.airline, found, strict=True)]
    assert sum(named) / len(named) >= 0.99
    sample = tweets.text.tolist()[:2000]
    assert catalog.match_many(sample) == [catalog.match(t) for t in sample]


def test_constructor_rejects_repeated_names():
    with pytest.raises(DataError, match=r"names must be unique; repeated: \['A'\]"):
        Catalog([Service("A"), Service("B"), Service("A", aliases=("a2",))])


def test_missing_shipped_default_says_so(monkeypatch, tmp_path):
    import detector.text.catalog as module

    monkeypatch.setattr(module, "default_path", lambda: tmp_path / "services.json")
    with pytest.raises(InputMissingError, match=r"\(the shipped default; pass a catalog file"):
        Catalog.load()


def test_catalog_is_immutable(catalog):
    with pytest.raises(AttributeError, match="a Catalog is immutable; cannot set 'source'"):
        catalog.source = "elsewhere"
    with pytest.raises(AttributeError):
        catalog.get("Gmail").name = "X"  # services are frozen dataclasses
    catalog.names.append("X")  # .names is a copy
    assert "X" not in catalog.names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the crypto exchange is down again", []),
        ("best exchange rates in town", []),
        ("Sky at a gate for 2 hours", []),
        ("@united how about a Sprint?", ["United Airlines"]),
        ("Sprint has no signal here", ["Sprint"]),
        ("my Sky box keeps rebooting", ["Sky"]),
        ("Exchange is down, no email since 9", ["Exchange Online"]),
        ("Slack and Teams", ["Slack", "Microsoft Teams"]),
        ("Join us https://www.facebook.com/page/posts/1 tonight", []),
        ("facebook.com is down", ["Facebook"]),
    ],
)
def test_common_word_aliases_need_context(catalog, text, expected):
    assert catalog.match(text) == expected


def test_a_common_word_given_alone_still_resolves(catalog):
    assert catalog.resolve("Sky") == "Sky"
    assert catalog.resolve("exchange") == "Exchange Online"


def test_a_catalogs_categories_are_its_own() -> None:
    """Categories were recorded process-wide by the first catalog naming a service: a
    second catalog's "Vid" (category other) judged its links by the first's (streaming)."""
    streaming = Catalog.from_records(
        [{"name": "Vid", "category": "streaming", "aliases": ["vid.tv"]}]
    )
    other = Catalog.from_records([{"name": "Vid", "category": "other", "aliases": ["vid.tv"]}])
    post = "see vid.tv/watch/1"
    assert streaming.match(post) == []  # a shared link to a video, not the service
    assert other.match(post) == ["Vid"]
    assert streaming.match_many([post] * 2500) == [[]] * 2500
    assert other.match_many([post] * 2500) == [["Vid"]] * 2500
