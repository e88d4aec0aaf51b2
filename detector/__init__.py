"""outage-detector: find service outages in social-media posts.

The package reads as the pipeline it implements:

``ingest`` (read exported posts) -> ``text`` (normalise, classify, match services)
-> ``series`` (volume per service and bucket, baseline) -> ``changepoint`` (online
alarm, offline segmentation) -> ``incidents`` -> ``batch`` / ``api`` / ``cli``.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
