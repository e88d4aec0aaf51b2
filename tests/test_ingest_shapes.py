"""Auto-detected export shapes (X v2, X legacy, Reddit, Mastodon, Bluesky) and mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from detector.errors import SchemaError
from detector.ingest import ColumnMapping, read_posts, resolve_columns


def collect(paths, mapping=None, **kwargs):
    run = read_posts(paths, mapping, **kwargs)
    frames = list(run)
    return pd.concat(frames, ignore_index=True), run


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_x_api_v2(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "v2.jsonl",
        [
            {
                "id": "1849",
                "text": "Outlook down for anyone else?",
                "created_at": "2024-10-10T20:19:24.000Z",
                "author_id": "2244994945",
                "lang": "en",
            }
        ],
    )
    frame, run = collect(path)
    assert run.sources[0].shape == "x-v2"
    row = frame.iloc[0]
    assert (row["id"], row["author"], row["text"]) == (
        "1849",
        "2244994945",
        "Outlook down for anyone else?",
    )
    assert row["created_at"] == utc("2024-10-10 20:19:24")


def test_x_legacy_nested_json(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "legacy.jsonl",
        [
            {
                "id": 1050118621198921728,
                "id_str": "1050118621198921728",
                "full_text": "can't send email @Office365",
                "text": "can't send em...",
                "created_at": "Wed Oct 10 20:19:24 +0000 2018",
                "user": {"id": 1, "screen_name": "jane"},
            },
            {
                "id_str": "1050118621198921729",
                "full_text": "RT @jane: can't send email @Office365",
                "created_at": "Wed Oct 10 21:19:24 +0100 2018",
                "user": {"id": 2, "screen_name": "joe"},
                "retweeted_status": {"id_str": "1050118621198921728"},
            },
        ],
    )
    frame, run = collect(path)
    assert run.sources[0].shape == "x-legacy"
    assert frame["id"].tolist() == ["1050118621198921728", "1050118621198921729"]
    assert frame["text"].tolist()[0] == "can't send email @Office365"
    assert frame["author"].tolist() == ["jane", "joe"]
    assert frame["created_at"].tolist() == [utc("2018-10-10 20:19:24")] * 2
    assert frame["is_repost"].tolist() == [False, True]


@pytest.mark.parametrize("author_col", ["user.screen_name", "user_screen_name"])
def test_x_legacy_flattened_csv(tmp_path: Path, author_col: str) -> None:
    path = tmp_path / "legacy.csv"
    path.write_text(
        f"id_str,created_at,full_text,{author_col}\n"
        '77,Wed Oct 10 20:19:24 +0000 2018,"teams is down, again",jane\n',
        "utf-8",
    )
    frame, run = collect(path)
    assert run.sources[0].shape == "x-legacy"
    assert frame[["id", "text", "author"]].iloc[0].tolist() == [
        "77",
        "teams is down, again",
        "jane",
    ]


def test_reddit_comments_and_submissions(tmp_path: Path) -> None:
    comments = write_jsonl(
        tmp_path / "RC.jsonl",
        [
            {
                "id": "c1",
                "body": "reddit is down",
                "created_utc": 1539202764,
                "author": "u1",
                "subreddit": "sysadmin",
            }
        ],
    )
    frame, run = collect(comments)
    assert run.sources[0].shape == "reddit"
    assert frame[["id", "text", "author"]].iloc[0].tolist() == ["c1", "reddit is down", "u1"]
    assert frame["created_at"].iloc[0] == utc("2018-10-10 20:19:24")
    submissions = tmp_path / "RS.csv"
    submissions.write_text(
        "id,title,selftext,created_utc,author\n"
        's1,Exchange outage?,"Nobody can send mail.",1539202764.0,u2\n'
        "s2,Is Azure down,,1539202765,u3\n",
        "utf-8",
    )
    frame, run = collect(submissions)
    assert run.sources[0].shape == "reddit"
    assert frame["text"].tolist() == ["Exchange outage?\nNobody can send mail.", "Is Azure down"]
    assert frame["created_at"].tolist() == [utc("2018-10-10 20:19:24"), utc("2018-10-10 20:19:25")]


def test_mastodon_html_content(tmp_path: Path) -> None:
    path = tmp_path / "toots.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "111",
                    "created_at": "2024-05-01T09:00:00.000Z",
                    "content": '<p>Is <a href="https://x">#Outlook</a> down?</p>'
                    "<p>Mail &amp; calendar fail<br/>since 9</p>",
                    "account": {"acct": "jane@mastodon.social", "id": "9"},
                }
            ]
        ),
        "utf-8",
    )
    frame, run = collect(path)
    assert run.sources[0].shape == "mastodon"
    assert frame["text"].iloc[0] == "Is #Outlook down?\nMail & calendar fail\nsince 9"
    assert frame["author"].iloc[0] == "jane@mastodon.social"


def test_mastodon_flattened_csv(tmp_path: Path) -> None:
    path = tmp_path / "toots.csv"
    path.write_text(
        "id,created_at,content,account.acct\n"
        '5,2024-05-01T09:00:00Z,"<p>slack &lt;3 down</p>",bob\n',
        "utf-8",
    )
    frame, run = collect(path)
    assert run.sources[0].shape == "mastodon"
    assert frame[["text", "author"]].iloc[0].tolist() == ["slack <3 down", "bob"]


def test_bluesky(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "bsky.jsonl",
        [
            {
                "uri": "at://did:plc:abc/app.bsky.feed.post/3k",
                "cid": "bafy",
                "author": {"did": "did:plc:abc", "handle": "jane.bsky.social"},
                "record": {"text": "github is down", "createdAt": "2024-05-01T09:00:00.123Z"},
            }
        ],
    )
    frame, run = collect(path)
    assert run.sources[0].shape == "bluesky"
    row = frame.iloc[0]
    assert (row["id"], row["author"], row["text"]) == (
        "at://did:plc:abc/app.bsky.feed.post/3k",
        "jane.bsky.social",
        "github is down",
    )
    assert row["created_at"] == utc("2024-05-01 09:00:00.123")


def test_bluesky_did_only(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "bsky.jsonl",
        [{"cid": "c1", "did": "did:plc:x", "record": {"text": "down", "createdAt": "2024-05-01"}}],
    )
    frame, _ = collect(path)
    assert frame[["id", "author"]].iloc[0].tolist() == ["c1", "did:plc:x"]


def test_mapping_wins_and_service_column(tmp_path: Path) -> None:
    path = tmp_path / "custom.csv"
    path.write_text(
        "msg,when,who,pid,brand,text\ncannot log in,2024-05-01T09:00:00Z,ann,p1,Netflix,ignored\n",
        "utf-8",
    )
    mapping = ColumnMapping(text="msg", time="when", id="pid", author="who", service="brand")
    frame, _ = collect(path, mapping)
    assert frame[["text", "author", "id", "service"]].iloc[0].tolist() == [
        "cannot log in",
        "ann",
        "p1",
        "Netflix",
    ]


def test_mapping_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Message,Date\nhello,2024-05-01\n", "utf-8")
    frame, _ = collect(path, ColumnMapping(text="message"))
    assert frame["text"].tolist() == ["hello"]
    assert frame["service"].isna().all() and frame["id"].isna().all()


def test_no_text_column_names_file_columns_and_flag(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b,c\n1,2,3\n", "utf-8")
    with pytest.raises(SchemaError) as info:
        read_posts(path)
    assert str(info.value) == f"{path}: no text column found (columns: a, b, c); pass --text-col"
    assert info.value.exit_code == 65


def test_no_time_column(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,x\nhello,2\n", "utf-8")
    with pytest.raises(
        SchemaError, match=r"no time column found \(columns: text, x\); pass --time-col"
    ):
        read_posts(path)


def test_mapped_column_missing_names_it(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,created_at\nhello,2024-05-01\n", "utf-8")
    with pytest.raises(SchemaError) as info:
        read_posts(path, ColumnMapping(author="user"))
    assert str(info.value) == (
        f"{path}: column 'user' given by --author-col not found (columns: text, created_at)"
    )


def test_generic_names_and_fuzzy_time() -> None:
    r = resolve_columns(["tweet_id", "Username", "Text", "Date"], None, "x.csv")
    assert (r.text, r.time, r.id, r.author, r.shape) == (
        ("Text",),
        "Date",
        "tweet_id",
        "Username",
        "generic",
    )
    r = resolve_columns(["airline_sentiment", "text", "created_at_local_pst"], None, "y.csv")
    assert (r.text, r.time) == (("text",), "created_at_local_pst")
    r = resolve_columns(["text", "postDate"], None, "z.csv")
    assert r.time == "postDate"


def test_text_column_by_a_word_of_its_name_and_app_review_exports(tmp_path: Path) -> None:
    """A complaint register's ``Customer Complaint`` (the shared Comcast file needed
    --text-col), App Store and Google Play review exports (title and review both count),
    and names that hold a text word but are no text (``text_length``, ``Review Link``)."""
    comcast = ["Ticket #", "Customer Complaint", "Date", "Date_month_year", "Time", "City"]
    r = resolve_columns(comcast, None, "c.csv")
    assert (r.text, r.time, r.shape) == (("Customer Complaint",), "Time", "generic")
    r = resolve_columns(["Date", "Rating", "Title", "Review", "Version"], None, "a.csv")
    assert (r.text, r.time, r.shape) == (("Title", "Review"), "Date", "app-review")
    play = ["Reviewer Language", "Review Submit Date and Time", "Review Title", "Review Text"]
    r = resolve_columns([*play, "Review Link"], None, "p.csv")
    assert (r.text, r.time) == (("Review Title", "Review Text"), "Review Submit Date and Time")
    with pytest.raises(SchemaError, match="no text column found"):
        resolve_columns(["text_length", "Review Link", "created_at"], None, "n.csv")
    # a column named review beside a usual text column is not the post (a moderation
    # status, say); category and score columns never win; two candidates: ask
    for cols, shape, text in [
        (["post", "created_at", "review"], "generic", ("post",)),
        (["comment", "review", "created_at", "id"], "generic", ("comment",)),
        (["full_text", "created_at", "id_str", "review"], "x-legacy", ("full_text",)),
        (["Review Score", "Review Comments", "Date"], "generic", ("Review Comments",)),
        (["Complaint Status", "Complaint Details", "Date"], "generic", ("Complaint Details",)),
    ]:
        r = resolve_columns(cols, None, "x.csv")
        assert (r.shape, r.text) == (shape, text), cols
    with pytest.raises(SchemaError, match="no text column found"):
        resolve_columns(["Complaint Details", "Review Comments", "Date"], None, "two.csv")
    path = tmp_path / "appstore.csv"
    path.write_text(
        "Date,Rating,Title,Review\n"
        "2025-01-05 10:00,1,Crashes on login,Every time I open it it closes\n",
        "utf-8",
    )
    assert pd.concat(list(read_posts(path)))["text"].tolist() == [
        "Crashes on login\nEvery time I open it it closes"
    ]
