"""``path("media/", include("django_static_pipe.urls"))`` serves GridFS media at ``/media/<name>``."""

from django.urls import path

from .views import serve_gridfs

urlpatterns = [
    path("<path:name>", serve_gridfs, name="gridfs-media"),
]
