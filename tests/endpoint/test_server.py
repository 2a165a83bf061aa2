"""The endpoint's server (server.py): what is ready before it serves its first request."""

from moto.core.utils import get_service_model

from ssm_endpoint import server
from ssm_endpoint import validation


def test_every_service_s_model_is_loaded_before_the_first_request():
    get_service_model.cache_clear()
    built = server.build_server(port=0)
    try:
        assert get_service_model.cache_info().currsize == len(server.SERVICES)
        hits = get_service_model.cache_info().hits
        # The validation of requests reads the model moto's responses use: one copy, loaded once.
        assert validation.service_model() is get_service_model("ssm")
        assert get_service_model.cache_info().hits == hits + 2
    finally:
        built.server.server_close()
