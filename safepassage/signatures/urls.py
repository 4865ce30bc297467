from django.urls import path

from safepassage.signatures import views

app_name = "signatures"

urlpatterns = [
    path("p/<slug:slug>/", views.sign, name="sign"),
    path("p/<slug:slug>/thanks/", views.thanks, name="thanks"),
    path("p/<slug:slug>/resend/", views.resend, name="resend"),
    path("p/<slug:slug>/count.json", views.count, name="count"),
    path("p/<slug:slug>/challenge.json", views.challenge, name="challenge"),
    path("s/<uuid:signature_uuid>/confirm/<str:token>/", views.confirm, name="confirm"),
    path("s/<uuid:signature_uuid>/withdraw/<str:token>/", views.withdraw, name="withdraw"),
]
