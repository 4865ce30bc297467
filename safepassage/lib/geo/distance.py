"""The one distance between two places on Earth that the project measures."""

from __future__ import annotations

import math

# The mean radius of the Earth, as a sphere.
EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two positions in degrees (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    # Rounding can push ``a`` a hair past 1 for antipodal points, out of asin's domain.
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
