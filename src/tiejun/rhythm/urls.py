from django.urls import path

from . import views

app_name = "rhythm"

urlpatterns = [
    path("", views.index, name="index"),
    path("kickoff/<str:unit_code>/", views.kickoff, name="kickoff"),
    path("kickoff/<str:unit_code>/tv/", views.kickoff_tv, name="kickoff_tv"),
    path("review/<str:unit_code>/", views.review, name="review"),
    path("risks/<str:unit_code>/", views.risks, name="risks"),
]
