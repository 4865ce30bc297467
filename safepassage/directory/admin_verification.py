"""The admin's view of a mission's verifications (added to MissionAdmin in admin.py).

Per field: its value, its source, who verified it and when, or "unverified"
(``verification.provenance``), read-only.
Who proposed a value is on the organisers' proposal pages, not here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from safepassage.directory.models import Mission
from safepassage.directory.verification import provenance


@admin.display(description=_("verified per field"))
def verification_summary(admin_: Any, mission: Mission) -> SafeString:
    if mission.pk is None:
        return format_html("{}", "—")
    rows = []
    for row in provenance(mission):
        if row.verification is not None:
            who = row.verification.verified_by
            state = gettext("verified by %(who)s on %(when)s") % {
                "who": who.get_username() if who else "?",
                "when": row.verification.verified_at.date().isoformat(),
            }
            source = row.verification.source
        else:
            state = gettext("unverified")
            source = row.source if row.value else ""
        rows.append((row.label, row.value or "—", source, state))
    body = format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html("<table>{}</table>", body)


def extend(mission_admin: type[Any]) -> None:
    """Add the verification fields and the per-field summary to the mission admin.

    (No inline of the verification rows: an inline's management form would
    become part of every save of the mission form.)
    """
    mission_admin.verification_summary = verification_summary
    mission_admin.readonly_fields = [
        *mission_admin.readonly_fields,
        "last_verified",
        "verification_summary",
    ]
    mission_admin.fieldsets = [
        *mission_admin.fieldsets,
        (
            _("Verification"),
            {
                "fields": [
                    "delivery_hours",
                    "accessibility",
                    "last_verified",
                    "verification_summary",
                ]
            },
        ),
    ]
