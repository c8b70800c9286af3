"""Views the tests call through Django's test client."""

from django.http import HttpRequest, HttpResponse
from django.template import engines


def render_asset(request: HttpRequest) -> HttpResponse:
    """Render {% staticfile %} on a name taken from the query string, as a careless site might."""
    template = engines["django"].from_string("{% load django_static %}{% staticfile name %}")
    return HttpResponse(template.render({"name": request.GET.get("name", "")}))
