"""The rest-json wire rules, checked below boto3 with plain HTTP."""
import http.client
import json

import pytest


def request(server, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    payload = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    # A body is JSON, as every SDK sends it (others are refused: test_hostile_front_door.py).
    headers = {"Content-Type": "application/json", **(headers or {})} if payload is not None else headers or {}
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def test_success_carries_request_id_and_epoch_timestamps(server):
    response, data = request(server, "POST", "/apps", {"name": "wire"})
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("x-amzn-RequestId")
    app = json.loads(data)["app"]
    assert isinstance(app["createTime"], (int, float))
    request(server, "DELETE", f"/apps/{app['appId']}")


@pytest.mark.parametrize(
    "method, path, body, status, code",
    [
        ("GET", "/apps/d0000000000000", None, 404, "NotFoundException"),
        ("POST", "/apps", b"{not json", 400, "BadRequestException"),
        ("POST", "/apps", b"[]", 400, "BadRequestException"),
        ("POST", "/apps", {"name": 12}, 400, "BadRequestException"),
        ("GET", "/apps?maxResults=abc", None, 400, "BadRequestException"),
        ("GET", "/apps?maxResults=500", None, 400, "BadRequestException"),
        ("GET", "/apps/d1/branches/main/jobs/", None, 400, "BadRequestException"),
        ("DELETE", "/apps/d1/branches/main/jobs/", None, 400, "BadRequestException"),
        ("GET", "/apps/%ZZ", None, 400, "BadRequestException"),
        ("GET", "/no/such/path", None, 404, "UnknownOperationException"),
        ("PATCH", "/apps", None, 404, "UnknownOperationException"),
        # NUL characters are refused wherever they are: no store keeps them as sent.
        ("POST", "/apps", b'{"name": "a\\u0000b"}', 400, "BadRequestException"),
        ("GET", "/apps/d1/branches/a%00b", None, 400, "BadRequestException"),
        ("GET", "/apps?nextToken=%00", None, 400, "BadRequestException"),
    ],
)
def test_errors_have_the_aws_shape(server, method, path, body, status, code):
    response, data = request(server, method, path, body)
    assert response.status == status
    assert response.getheader("x-amzn-ErrorType") == code
    assert response.getheader("x-amzn-RequestId")
    payload = json.loads(data)
    assert payload["__type"] == code
    assert payload["message"]


def test_an_escaped_backslash_before_u0000_is_not_a_nul(server):
    response, data = request(server, "POST", "/apps", b'{"name": "a\\\\u0000b"}')
    assert response.status == 200
    app = json.loads(data)["app"]
    assert app["name"] == "a\\u0000b"
    request(server, "DELETE", f"/apps/{app['appId']}")


def test_percent_encoded_branch_names_route_as_one_label(server, client, app):
    client.create_branch(appId=app["appId"], branchName="release/2024.1")
    signed = {"Authorization": "AWS4-HMAC-SHA256 Credential=123456789012/20261129/us-east-1/amplify/aws4_request, SignedHeaders=host, Signature=0"}
    response, data = request(server, "GET", f"/apps/{app['appId']}/branches/release%2F2024.1", headers=signed)
    assert response.status == 200
    assert json.loads(data)["branch"]["branchName"] == "release/2024.1"


def test_health_and_reset(fresh_server):
    server = fresh_server()
    client = server.client()
    client.create_app(name="gone soon")
    response, data = request(server, "GET", "/_amplify-local/health")
    assert response.status == 200 and json.loads(data)["status"] == "ok"
    server.reset()
    assert client.list_apps()["apps"] == []
