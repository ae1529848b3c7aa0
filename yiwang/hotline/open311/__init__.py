"""Open311 GeoReport v2 at /open311/v2/: the open standard for civic issue reporting."""
