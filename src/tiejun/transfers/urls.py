from django.urls import path

from . import views

app_name = "transfers"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("<int:order_id>/", views.detail, name="detail"),
    path("new/<str:employee_no>/", views.issue, name="issue"),
    path("region/", views.my_region, name="my_region"),
    path("region/<str:unit_code>/", views.region, name="region"),
]
