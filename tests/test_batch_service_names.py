"""A service named in the export's service column stays one service, named as given
(trimmed), even when its name holds the ``|`` that joins a post's services internally.

Before: ``Microsoft 365 | Outlook`` was split into the services "Microsoft 365 " and
" Outlook" in series.csv.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from detector.batch.detection import load_incident_posts
from detector.cli.main import main
from detector.incidents.incident import Incident

EXPORT = (
    "id,text,created_at,product\n"
    "1,cannot login,2015-02-24T10:00:00Z,Microsoft 365 | Outlook\n"
    "2,mail down,2015-02-24T10:01:00Z,  Microsoft 365 | Outlook \n"
    "3,outlook down,2015-02-24T10:02:00Z,\n"
    "4,is gmail down,2015-02-24T10:03:00Z,Gmail\n"
    "5,back slash down,2015-02-24T10:04:00Z,Intranet \\ VPN\n"
)


def test_a_given_name_with_a_bar_is_one_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, out = tmp_path / "p.csv", tmp_path / "out"
    path.write_text(EXPORT)
    with pytest.raises(SystemExit) as stop:
        main(["score", str(path), "--out", str(out), "--service-col", "product", "-q"])
    assert stop.value.code in (0, None), capsys.readouterr().err
    series = pd.read_csv(out / "series.csv")
    assert series[["service", "all_posts"]].to_dict("records") == [
        {"service": "all services", "all_posts": 5},
        {"service": "Gmail", "all_posts": 1},
        {"service": "Intranet \\ VPN", "all_posts": 1},
        {"service": "Microsoft 365 | Outlook", "all_posts": 2},
        {"service": "Outlook", "all_posts": 1},
    ]
    posts = pd.read_parquet(out / "posts.parquet")
    assert posts["service"].tolist() == [
        "Microsoft 365 | Outlook",
        "Microsoft 365 | Outlook",
        "Outlook",
        "Gmail",
        "Intranet \\ VPN",
    ]
    # enrichment reads a service's posts back from posts.parquet by name: whole names only
    t = pd.Timestamp("2015-02-24T10:00:00Z")
    for service, ids in [
        ("Microsoft 365 | Outlook", ["1", "2"]),
        ("Outlook", ["3"]),
        ("Intranet \\ VPN", ["5"]),
    ]:
        found = load_incident_posts(out / "posts.parquet", [Incident(service, t, t)])
        assert found["text"].tolist() == posts.set_index("id").loc[ids, "text"].tolist(), service
