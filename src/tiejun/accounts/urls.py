from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("account/activate/<str:token>/", views.activate, name="activate"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/reset/", views.reset_request, name="reset"),
    path("account/reset/sent/", views.reset_sent, name="reset_sent"),
    path("account/reset/<uidb64>/<token>/", views.reset_confirm, name="reset_confirm"),
    path("account/people/<str:employee_no>/invite/", views.person_invite, name="person_invite"),
    path("account/people/<str:employee_no>/reset/", views.person_reset, name="person_reset"),
    path("login/<str:platform>/", views.sso_start, name="sso_start"),
    path("login/<str:platform>/callback/", views.sso_callback, name="sso_callback"),
]
