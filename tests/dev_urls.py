"""A URLconf as a project writes it for runserver: its own patterns plus the dev helper's."""

from django_static_pipe.dev import static_pipe_urlpatterns
from tests.urls import urlpatterns as project_patterns

urlpatterns = [*project_patterns, *static_pipe_urlpatterns()]
