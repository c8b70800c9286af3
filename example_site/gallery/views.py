import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .forms import PhotoForm
from .models import Photo

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "gallery/home.html", {"photos": Photo.objects.all()[:24], "form": PhotoForm()})


def jinja2_page(request: HttpRequest) -> HttpResponse:
    """The same assets from a Jinja2 template (example_site/jinja2/jinja_page.html)."""
    return render(request, "jinja_page.html", {"title": "django-static-pipe in Jinja2"}, using="jinja2")


def upload(request: HttpRequest) -> HttpResponse:
    """Save an upload; if the storage fails (MongoDB away), say so instead of a 500."""
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except Exception:
            logger.exception("the upload could not be stored")
            messages.error(request, "The upload could not be stored just now; please try again shortly.")
            return render(request, "gallery/home.html", {"photos": [], "form": form}, status=503)
        messages.success(request, "Uploaded.")
        return redirect("home")
    return render(
        request,
        "gallery/home.html",
        {"photos": Photo.objects.all()[:24], "form": form},
        status=400 if request.method == "POST" else 200,
    )
