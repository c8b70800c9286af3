from django.db import models


class Photo(models.Model):
    """An upload kept by the default storage: GridFS when the site has a MongoDB."""

    title = models.CharField(max_length=100)
    image = models.ImageField(upload_to="photos/")
    uploaded = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded"]

    def __str__(self) -> str:
        return self.title
