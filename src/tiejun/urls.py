from django.contrib import admin
from django.urls import include, path

from tiejun.api import api
from tiejun.crm import urls as crm_urls

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("deals/", include(crm_urls.deal_urls)),
    path("customers/", include(crm_urls.customer_urls)),
    path("import/", include("tiejun.imports.urls")),
    path("rhythm/", include("tiejun.rhythm.urls")),
    path("broadcast/", include("tiejun.broadcast.urls")),
    path("outbox/", include("tiejun.notify.urls")),
    path("lab/", include("tiejun.lab.urls")),
    path("redlines/", include("tiejun.discipline.urls")),
    path("incentives/", include("tiejun.incentives.urls")),
    path("field/", include("tiejun.field.urls")),
    path("orders/", include("tiejun.transfers.urls")),
    path("audit/", include("tiejun.audit.urls")),
    path("", include("tiejun.scoreboard.urls")),  # the board, people, TV mode, targets
    path("", include("tiejun.org.urls")),  # the org tree, members, the calendar
    path("", include("tiejun.accounts.urls")),  # invitations, passwords, platform sign-in
    path("", include("tiejun.web.urls")),
]

handler400 = "tiejun.web.errors.bad_request"
handler403 = "tiejun.web.errors.permission_denied"
handler404 = "tiejun.web.errors.page_not_found"
handler500 = "tiejun.web.errors.server_error"
