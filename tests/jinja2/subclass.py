"""A project's own subclass of the extension, as some add tags or globals of their own."""

from django_static_pipe.jinja2ext import StaticPipeExtension


class MyExtension(StaticPipeExtension):
    pass
