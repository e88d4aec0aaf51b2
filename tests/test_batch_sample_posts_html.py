"""X/Twitter exports write post texts HTML-escaped (``&amp;``, ``&lt;3``): sample posts
show the characters, while posts.parquet keeps the texts as read.

Before: incidents.json/csv showed "&amp; &lt;3" and report.html's source "&amp;amp;".
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from detector.cli.main import main
from detector.paths import project_path

SAMPLE = project_path("data", "samples", "exchange-outage.csv")


def test_sample_posts_are_unescaped_posts_parquet_is_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = pd.read_csv(SAMPLE, dtype=str)
    posts["text"] = posts["text"] + " &amp; &lt;3"
    path, out = tmp_path / "tweets.csv", tmp_path / "out"
    posts.to_csv(path, index=False)
    with pytest.raises(SystemExit) as stop:
        main(["score", str(path), "--out", str(out), "-q"])
    assert stop.value.code in (0, None), capsys.readouterr().err
    incidents = json.loads((out / "incidents.json").read_text())["incidents"]
    assert {i["service"]: i["sample_posts"] for i in incidents} == {
        "Exchange Online": [
            "welp shared mailbox on O365 email not receiving anything since I sat down pls "
            "fix this 🫠! & <3",
            "my Office 365 email account won't let me in since this morning, IT says it's not "
            "us please fix smh & <3",
            "my Office 365 email account won't let me in since this morning, IT says it's not "
            "us please fix 😤 & <3",
        ],
        "Outlook": [
            "Outlook bouncing every email back w/ a server error 😒 #fail & <3",
            "ugh why can't I open my email in Outlook again?? fix it smh & <3",
            "Outlook bouncing every email back with a server error ugh & <3",
        ],
    }
    table = pd.read_csv(out / "incidents.csv")
    assert table["sample_posts"].str.contains("& <3", regex=False).all()
    assert not table["sample_posts"].str.contains("&amp;", regex=False).any()
    page = (out / "report.html").read_text()
    assert "&amp;amp;" not in page and "&amp;lt;3" not in page
    assert "#fail &amp; &lt;3" in page  # escaped once, for HTML
    scored = pd.read_parquet(out / "posts.parquet")
    assert scored["text"].str.endswith(" &amp; &lt;3").all()  # as read
