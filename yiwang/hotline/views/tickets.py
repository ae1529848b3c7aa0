"""Staff pages of tickets (placeholder while the pages are written)."""

from django.http import HttpResponse
from django.urls import path


def ticket(request, pk: int) -> HttpResponse:
    return HttpResponse("")


def my_ticket(request, pk: int) -> HttpResponse:
    return HttpResponse("")


urlpatterns = [
    path("tickets/<int:pk>/", ticket, name="ticket"),
    path("my/<int:pk>/", my_ticket, name="my_ticket"),
]
