from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Tiejun")


login_view = LoginView.as_view()
