from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.urls import include, path
from django.utils._os import safe_join


def from_disk(request: HttpRequest, name: str) -> FileResponse:
    """Django's FileResponse from a folder on disk: what the GridFS view is compared with."""
    try:
        return FileResponse(open(safe_join(settings.BENCH_DISK_FOLDER, name), "rb"))
    except FileNotFoundError as exc:
        raise Http404 from exc


urlpatterns = [
    path("disk/<path:name>", from_disk),
    path("media/", include("django_static_pipe.urls")),
]
