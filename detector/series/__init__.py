"""Volume series: how many posts each service gets per time bucket, and what is normal.

Counting comes first: :func:`volume_series` turns scored posts into zero-filled
outage-post and all-post counts per service and bucket (plus the pseudo-service
``"all services"``), and :class:`VolumeCounter` does the same one post at a time
for the live API. Then :class:`SeasonalBaseline` says how many complaints a
bucket is expected to hold, from the series' own past only (level, time-of-day
and weekday rhythm, robust to earlier outages, discounting general traffic
surges), which is what the online detector compares each count with.

>>> import pandas as pd
>>> from detector.series import SeasonalBaseline, volume_series
>>> posts = pd.DataFrame({"service": ["Gmail"] * 3, "is_outage": [True, True, False],
...     "created_at": pd.to_datetime(["2026-01-05 10:01", "2026-01-05 10:02",
...                                   "2026-01-05 10:07"], utc=True)})
>>> frame = volume_series(posts, bucket="5min")
>>> gmail = frame[frame.service == "Gmail"].set_index("bucket_start").outage_posts
>>> gmail.tolist(), SeasonalBaseline().fit(gmail).expected_.tolist()
([2, 0], [0.0, 2.0])
"""

from __future__ import annotations

from detector.series.baseline import SeasonalBaseline
from detector.series.volume import ALL_SERVICES, COLUMNS, VolumeCounter, parse_bucket, volume_series

__all__ = [
    "ALL_SERVICES",
    "COLUMNS",
    "SeasonalBaseline",
    "VolumeCounter",
    "parse_bucket",
    "volume_series",
]
