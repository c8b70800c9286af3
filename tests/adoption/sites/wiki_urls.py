from __future__ import annotations

from django.urls import include, path

from django_static_pipe.dev import static_pipe_urlpatterns
from tests.adoption.sites import favicon

urlpatterns = [*favicon.urlpatterns, path("notifications/", include("django_nyt.urls")), path("", include("wiki.urls"))]
urlpatterns += static_pipe_urlpatterns()
