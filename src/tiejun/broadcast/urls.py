from django.urls import path

from . import views

app_name = "broadcast"

urlpatterns = [
    path("", views.index, name="index"),
    path("battle/<str:unit_code>/", views.battle, name="battle"),
    path("subscriptions/<str:unit_code>/", views.subscriptions, name="subscriptions"),
    path(
        "subscriptions/<str:unit_code>/<int:pk>/remove/",
        views.subscription_remove,
        name="subscription_remove",
    ),
]
