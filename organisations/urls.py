from django.urls import path

from organisations import views

app_name = "organisations"

urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/<str:code>/", views.organisation_page, name="organisation"),
]
