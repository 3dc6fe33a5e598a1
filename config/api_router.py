"""The API's router, mounted at /api/v1/.

Every address answers with and without its trailing slash, with no redirect.
Apps' viewsets are registered on `router`.
"""

from rest_framework.routers import DefaultRouter


class OptionalSlashRouter(DefaultRouter):
    include_root_view = False

    def __init__(self) -> None:
        super().__init__(trailing_slash="/?")


router = OptionalSlashRouter()

app_name = "api"


urlpatterns = [*router.urls]
