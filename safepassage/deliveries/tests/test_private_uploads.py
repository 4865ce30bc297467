"""Files uploaded through a form are stored readable by the application's user only."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from safepassage.core.tests.test_data_at_rest import violations
from safepassage.deliveries.tests.conftest import jpeg_with_gps
from safepassage.deliveries.tests.test_evidence import upload


def test_an_uploaded_photo_and_its_folders_are_private(
    client: Any, deliveries: Any, organiser: Any, settings: Any
) -> None:
    client.force_login(organiser)
    delivery = deliveries["munich"]
    response = upload(client, delivery, jpeg_with_gps(), name="IMG_1.jpg", caption="At the gate")
    assert response.status_code == 302
    stored = Path(delivery.evidence.get().file.path)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert violations(Path(settings.MEDIA_ROOT)) == []
