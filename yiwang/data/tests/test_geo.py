"""GCJ-02 (国测局坐标) conversions: reference pairs, round trip, no offset abroad."""

from __future__ import annotations

import pytest

from yiwang.data.geo import gcj02_to_wgs84, outside_china, to_crs, wgs84_to_gcj02

# (WGS84 lon, lat) → (GCJ-02 lon, lat), values published by widely used converters (they
# differ among themselves around 1e-7°, from rounded constants).
REFERENCE = [
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    ((116.0, 40.0), (116.006141221789, 40.001213650174)),
    ((121.0917077, 30.6107779), (121.09626935575027, 30.608604331756705)),
]


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_wgs84_to_gcj02_matches_reference(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert lon == pytest.approx(gcj[0], abs=1e-6)
    assert lat == pytest.approx(gcj[1], abs=1e-6)


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_gcj02_to_wgs84_inverts_reference(wgs, gcj):
    lon, lat = gcj02_to_wgs84(*gcj)
    assert abs(lon - wgs[0]) < 1e-6 and abs(lat - wgs[1]) < 1e-6


def test_first_reference_is_exact():
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12
    )


def test_round_trip_over_jiaozuo_is_below_1e_5_degrees():
    for i in range(20):
        for j in range(20):
            lon, lat = 112.6 + i * 0.05, 34.9 + j * 0.03
            back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
            assert abs(back[0] - lon) < 1e-5 and abs(back[1] - lat) < 1e-5
    # The offset itself is hundreds of metres, so the test would notice a no-op.
    moved = wgs84_to_gcj02(113.24, 35.21)
    assert abs(moved[0] - 113.24) > 1e-3


@pytest.mark.parametrize("point", [(2.3522, 48.8566), (-74.006, 40.7128), (139.69, 35.69)])
def test_no_offset_outside_china(point):
    assert outside_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_to_crs_defaults_to_stored_wgs84():
    assert to_crs(113.24, 35.21, "wgs84") == (113.24, 35.21)
    assert to_crs(113.24, 35.21, "gcj02") == wgs84_to_gcj02(113.24, 35.21)
