from django.urls import path

from safepassage.accounts import mfa_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.TeamLoginView.as_view(), name="login"),
    path("logout/", views.TeamLogoutView.as_view(), name="logout"),
    # The second factor: everything an account that has not passed it may reach is under team/2fa/.
    path("2fa/", mfa_views.second_factor, name="second_factor"),
    path("2fa/setup/", mfa_views.two_factor_setup, name="two_factor_setup"),
    path("2fa/recovery-codes/", mfa_views.recovery_codes, name="recovery_codes"),
    path("2fa/remove/<path:device_id>/", mfa_views.remove_device, name="remove_device"),
    path("reauthenticate/", mfa_views.reauthenticate, name="reauth"),
]
