from django.urls import path

from . import views, views_personal

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
    path("personal/<str:employee_no>/", views_personal.personal_preview, name="personal"),
    path("messages/<str:employee_no>/", views_personal.my_messages, name="my_messages"),
    path("unsubscribe/<str:token>/", views_personal.unsubscribe, name="unsubscribe"),
]
