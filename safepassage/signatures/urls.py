"""The signatures app's addresses, mounted at the site root (safepassage/urls.py).

The signer's paths are printed on QR codes and sent in mails: they stay as
they are. The signing form comes first: it is the busiest page.
"""

from django.urls import path

from safepassage.signatures.views import embed, embed_team, moderation, share, signing

app_name = "signatures"

urlpatterns = [
    path("p/<slug:slug>/", signing.sign, name="sign"),
    path("p/<slug:slug>/thanks/", signing.thanks, name="thanks"),
    path("p/<slug:slug>/resend/", signing.resend, name="resend"),
    path("p/<slug:slug>/count.json", signing.count, name="count"),
    path("p/<slug:slug>/challenge.json", signing.challenge, name="challenge"),
    # The share card's picture (Open Graph), and the form partners embed in an iframe.
    path("p/<slug:slug>/share.png", share.image, name="share_image"),
    path("embed/p/<slug:slug>/", embed.sign, name="embed"),
    path("embed/p/<slug:slug>/thanks/", embed.thanks, name="embed_thanks"),
    path("s/<uuid:signature_uuid>/confirm/<str:token>/", signing.confirm, name="confirm"),
    path("s/<uuid:signature_uuid>/withdraw/<str:token>/", signing.withdraw, name="withdraw"),
    # The embed snippet and the partners' origins, for organisers and partner editors.
    path("team/<slug:campaign>/embed/", embed_team.index, name="embed_snippet"),
    # The organisers' moderation page.
    path("team/<slug:campaign>/moderation/", moderation.index, name="moderation"),
    path(
        "team/<slug:campaign>/moderation/names/",
        moderation.names,
        name="moderation_names",
    ),
    path(
        "team/<slug:campaign>/moderation/invalidate/",
        moderation.invalidate,
        name="moderation_invalidate",
    ),
    path(
        "team/<slug:campaign>/moderation/<int:pk>/reverse/",
        moderation.reverse_action,
        name="moderation_reverse",
    ),
]
