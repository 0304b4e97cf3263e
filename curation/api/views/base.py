"""What every curation API view shares: JSON in and out, the project's authentication, and
strict request bodies."""

from __future__ import annotations

from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from ..auth import AUTHENTICATION
from ..parsers import LimitedJSONParser


class JsonApi:
    """JSON in (size- and depth-limited), JSON out; the error shape comes from the project's
    exception handler. Mixed into plain views and viewsets alike."""

    authentication_classes = AUTHENTICATION
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]


class ApiView(JsonApi, APIView):
    pass


def validated(serializer_class, data, **kwargs) -> dict:
    """``data`` read by ``serializer_class``, or a 400 naming every problem."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
