"""The public addresses of the reports app never change.

The campaign page, the report and the published press kit are linked from
partner websites, printed flyers and the JSON API.
"""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

PUBLIC_PATHS = [
    ("/c/day-of-action/", "reports:campaign", {"slug": "day-of-action"}),
    ("/c/day-of-action/report/", "reports:report", {"slug": "day-of-action"}),
    ("/c/day-of-action/report.pdf", "reports:report_pdf", {"slug": "day-of-action"}),
    (
        "/c/day-of-action/report/photos/3/",
        "reports:report_photo",
        {"slug": "day-of-action", "evidence_id": 3},
    ),
    ("/c/day-of-action/press-release.pdf", "reports:press_release", {"campaign": "day-of-action"}),
    ("/c/day-of-action/flyer.pdf", "reports:flyer", {"campaign": "day-of-action"}),
]


@pytest.mark.parametrize(("path", "name", "kwargs"), PUBLIC_PATHS)
def test_a_public_path_is_kept(path: str, name: str, kwargs: dict[str, object]) -> None:
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).view_name == name
