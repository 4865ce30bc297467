from django.urls import path

from safepassage.events import views

app_name = "events"

urlpatterns = [
    path("events/<slug:campaign_slug>/", views.event_list, name="list"),
    path("events/<slug:campaign_slug>/calendar.ics", views.campaign_ics, name="campaign_ics"),
    path(
        "events/<slug:campaign_slug>/<str:country>/<str:city>.ics",
        views.city_ics,
        name="city_ics",
    ),
    path("e/<uuid:event_uuid>/", views.event_page, name="event"),
    path("e/<uuid:event_uuid>/event.ics", views.event_ics, name="event_ics"),
    path("e/<uuid:event_uuid>/rsvp/", views.rsvp, name="rsvp"),
    path("e/<uuid:event_uuid>/rsvp/thanks/", views.rsvp_thanks, name="rsvp_thanks"),
    path("r/<uuid:rsvp_uuid>/confirm/<str:token>/", views.rsvp_confirm, name="rsvp_confirm"),
    path("r/<uuid:rsvp_uuid>/cancel/<str:token>/", views.rsvp_cancel, name="rsvp_cancel"),
    path("r/<uuid:rsvp_uuid>/<str:token>/", views.rsvp_page, name="rsvp_page"),
    path("r/<uuid:rsvp_uuid>/<str:token>/event.ics", views.rsvp_ics, name="rsvp_ics"),
]
