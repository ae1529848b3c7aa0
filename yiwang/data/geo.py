"""坐标转换: places are stored in WGS84 (the international datum, what GPS gives) and
converted to GCJ-02 (国测局坐标, what Chinese web maps draw) only at the page and API
edge. The GCJ-02 offset is the published closed-form approximation; its inverse is
found by fixed-point iteration, good to well under 1e-6 degrees."""

from __future__ import annotations

import math

# Krasovsky 1940 ellipsoid, which the offset formula is defined on.
_A = 6378245.0
_EE = 0.00669342162296594323

WGS84 = "wgs84"
GCJ02 = "gcj02"
CRS_CHOICES = (WGS84, GCJ02)


def outside_china(lon: float, lat: float) -> bool:
    """True outside the rough bounding box of mainland China, where no offset applies."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    pi = math.pi
    out = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    out += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    out += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    out += (160.0 * math.sin(y / 12.0 * pi) + 320.0 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    return out


def _shift_lon(x: float, y: float) -> float:
    pi = math.pi
    out = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    out += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    out += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    out += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    return out


def _offset(lon: float, lat: float) -> tuple[float, float]:
    """The (Δlon, Δlat) GCJ-02 adds to a WGS84 point, in degrees."""
    d_lat = _shift_lat(lon - 105.0, lat - 35.0)
    d_lon = _shift_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 (lon, lat) → GCJ-02 (lon, lat); unchanged outside China."""
    if outside_china(lon, lat):
        return lon, lat
    d_lon, d_lat = _offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float, *, tolerance: float = 1e-9) -> tuple[float, float]:
    """GCJ-02 (lon, lat) → WGS84 (lon, lat), inverting the offset by iteration."""
    if outside_china(lon, lat):
        return lon, lat
    w_lon, w_lat = lon, lat
    for _ in range(30):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = g_lon - lon, g_lat - lat
        w_lon, w_lat = w_lon - e_lon, w_lat - e_lat
        if abs(e_lon) < tolerance and abs(e_lat) < tolerance:
            break
    return w_lon, w_lat


def to_crs(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A stored WGS84 point in the coordinate system a client asked for."""
    return wgs84_to_gcj02(lon, lat) if crs == GCJ02 else (lon, lat)
