"""The events app's addresses, mounted at the site root (safepassage/urls.py).

The public pages and feeds are on posters and in calendars, and the RSVP
links are in sent mails: their paths stay as they are. The remembrance
pages are the organisers'.
"""

from django.urls import path

from safepassage.events.views import public, remembrance

app_name = "events"

urlpatterns = [
    path("events/<slug:campaign_slug>/", public.event_list, name="list"),
    path("events/<slug:campaign_slug>/calendar.ics", public.campaign_ics, name="campaign_ics"),
    path(
        "events/<slug:campaign_slug>/<str:country>/<str:city>.ics",
        public.city_ics,
        name="city_ics",
    ),
    path("e/<uuid:event_uuid>/", public.event_page, name="event"),
    path("e/<uuid:event_uuid>/event.ics", public.event_ics, name="event_ics"),
    path("e/<uuid:event_uuid>/rsvp/", public.rsvp, name="rsvp"),
    path("e/<uuid:event_uuid>/rsvp/thanks/", public.rsvp_thanks, name="rsvp_thanks"),
    path("r/<uuid:rsvp_uuid>/confirm/<str:token>/", public.rsvp_confirm, name="rsvp_confirm"),
    path("r/<uuid:rsvp_uuid>/cancel/<str:token>/", public.rsvp_cancel, name="rsvp_cancel"),
    path("r/<uuid:rsvp_uuid>/<str:token>/", public.rsvp_page, name="rsvp_page"),
    path("r/<uuid:rsvp_uuid>/<str:token>/event.ics", public.rsvp_ics, name="rsvp_ics"),
    # The organisers' reading of the names.
    path("team/<slug:slug>/remembrance/", remembrance.reading_page, name="remembrance"),
    path(
        "team/<slug:slug>/remembrance/reading-script.pdf",
        remembrance.reading_pdf,
        name="remembrance_pdf",
    ),
    path(
        "team/<slug:slug>/remembrance/import/",
        remembrance.import_page,
        name="remembrance_import",
    ),
]
