"""The embeddable signing form's allow-list: which partner sites may frame a campaign's form.

Each row lets one partner organisation show the campaign's signing form
(``/embed/p/<slug>/``) in an iframe on one origin; the embed's response
names exactly those origins in its ``Content-Security-Policy:
frame-ancestors`` (safepassage/signatures/views/embed.py), and every other
page of the site keeps ``frame-ancestors 'none'``. Signatures made through
the embed carry the partner (``Signature.embed_partner``) and are counted
per partner in ``CampaignStats.by_embed_partner``.

Defined here to keep ``models.py`` short; ``models.py`` imports the model.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.models import Organisation

if TYPE_CHECKING:
    from safepassage.signatures.models import CampaignStats

# scheme://host[:port]: a DNS name (letters, digits, hyphens, dots; IDNs in their
# xn-- form), an IPv4 address or a bracketed IPv6 address. Nothing else: no path,
# no wildcard, no user name; the CSP source list is built from these verbatim.
ORIGIN = re.compile(
    r"^https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$"
)


def normalise_origin(value: str) -> str:
    """The origin as browsers write it: lower case, no trailing slash, default port dropped."""
    origin = value.strip().rstrip("/").lower()
    for scheme, port in (("http", ":80"), ("https", ":443")):
        if origin.startswith(f"{scheme}://") and origin.endswith(port):
            origin = origin[: -len(port)]
    return origin


def validate_origin(value: str) -> None:
    """Accept ``scheme://host[:port]`` (http or https) and nothing more."""
    origin = normalise_origin(value)
    message = _(
        "Enter an origin such as https://partner.example or https://partner.example:8443: "
        "the scheme, the host and perhaps a port, without a path."
    )
    if not ORIGIN.match(origin):
        raise ValidationError(message, code="invalid_origin")
    port = origin.rsplit(":", 1)[1] if re.search(r":[0-9]+$", origin) else ""
    if port and not 0 < int(port) < 65536:
        raise ValidationError(message, code="invalid_origin")


class EmbedOrigin(models.Model):
    """One partner site allowed to frame one campaign's signing form."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="embed_origins",
        verbose_name=_("campaign"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="embed_origins",
        verbose_name=_("partner organisation"),
    )
    origin = models.CharField(
        _("origin"),
        max_length=200,
        validators=[validate_origin],
        help_text=_(
            "The partner's site that may show the signing form, as scheme://host[:port], "
            "e.g. https://www.partner.example."
        ),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["campaign", "organisation__name", "origin"]
        verbose_name = _("embed origin")
        verbose_name_plural = _("embed origins")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "origin"], name="embed_origin_once"),
            models.CheckConstraint(
                name="embed_origin_scheme",
                condition=models.Q(origin__startswith="https://")
                | models.Q(origin__startswith="http://"),
            ),
        ]

    def __str__(self) -> str:
        return self.origin

    def save(self, *args: object, **kwargs: object) -> None:
        self.origin = normalise_origin(self.origin)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        self.origin = normalise_origin(self.origin or "")
        if (
            self.campaign_id
            and self.organisation_id
            and not self.campaign.organisations.filter(pk=self.organisation_id).exists()
        ):
            raise ValidationError(
                {
                    "organisation": _(
                        "Only a member organisation of the campaign can embed its form: "
                        "add the organisation to the campaign first."
                    )
                }
            )


def allowed_origins(campaign_id: int, organisation_id: int | None = None) -> list[str]:
    """The origins that may frame the campaign's form (for one partner, when given)."""
    rows = EmbedOrigin.objects.filter(campaign_id=campaign_id)
    if organisation_id is not None:
        rows = rows.filter(organisation_id=organisation_id)
    return sorted(set(rows.values_list("origin", flat=True)))


def partner_of(campaign_id: int, slug: str) -> int | None:
    """The organisation (pk) named by ``?partner=<slug>`` if it has an origin for the campaign."""
    if not slug:
        return None
    return (
        EmbedOrigin.objects.filter(campaign_id=campaign_id, organisation__slug=slug)
        .values_list("organisation_id", flat=True)
        .first()
    )


def embed_partners(stats: CampaignStats) -> list[list[str | int]]:
    """[[organisation name, count], ...], largest first: the signatures made through embeds."""
    counts = {int(pk): int(n) for pk, n in stats.by_embed_partner.items() if int(n)}
    names = dict(Organisation.objects.filter(pk__in=counts).values_list("pk", "name"))
    ordered = sorted(counts.items(), key=lambda item: (-item[1], names.get(item[0], "")))
    return [[names.get(pk, "?"), n] for pk, n in ordered]
