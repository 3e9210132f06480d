"""An amplify-local server reached by its URL: boto3 clients for it, its health, and the reset between tests."""
import json
import urllib.request

ACCOUNT = "123456789012"
REGION = "us-east-1"
SECRET_KEY = "local"
HEALTH_PATH = "/_amplify-local/health"
RESET_PATH = "/_amplify-local/reset"
# The proxies of the environment ($HTTP_PROXY) are not for a server on this machine.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Endpoint:
    """A running amplify-local at `endpoint_url` (one this process started, `Server`, or another one).

    `account` (12 digits: the access key id is the account, as amplify-local reads it), `region` and `secret_key` are
    the credentials `client()` and `reset()` use unless told otherwise; the secret matters only to a server that
    checks signatures (`--auth soft|strict`, with a credentials file)."""

    def __init__(self, endpoint_url, account=ACCOUNT, region=REGION, secret_key=SECRET_KEY):
        self.endpoint_url = endpoint_url.rstrip("/")
        self.account = account
        self.region = region
        self.secret_key = secret_key
        self._clients = {}
        self._session = None

    def __repr__(self):
        return f"<{type(self).__name__} {self.endpoint_url}>"

    def client(self, service="amplify", region=None, account=None, **options):
        """A boto3 client of `service` pointed at this server, with the account's credentials. Without `options`
        (boto3.client's keywords, such as `config`), the same client is handed out again for the same service,
        region and account (boto3's clients are thread-safe): a test's first client costs ~10 ms, later ones nothing."""
        key = (service, region or self.region, account or self.account)
        if not options and key in self._clients:
            return self._clients[key]
        try:
            import boto3.session
        except ImportError as error:
            raise ImportError("amplify_local's client() needs boto3: pip install boto3") from error
        if self._session is None:
            self._session = boto3.session.Session()  # its loaded service models are shared by its clients
        client = self._session.client(
            service, endpoint_url=self.endpoint_url, region_name=key[1], aws_access_key_id=key[2],
            aws_secret_access_key=self.secret_key, **options
        )
        if not options:
            self._clients[key] = client
        return client

    def health(self, timeout=5):
        """The server's health document (`{"status": "ok", "version": …, "buildMode": …, "storage": …, "node": …}`)."""
        with _OPENER.open(self.endpoint_url + HEALTH_PATH, timeout=timeout) as response:
            return json.load(response)

    def reset(self, account=None, region=None):
        """Drops state through `POST /_amplify-local/reset`. A server that does not check signatures (`--auth off`, the
        default, or `soft`) drops everything, of every account and region; one under `--auth strict` drops only the
        signer's account and region, so the request is signed (with botocore, when it is installed) with `account`
        and `region`, by default this endpoint's. Returns the server's answer."""
        request = urllib.request.Request(self.endpoint_url + RESET_PATH, data=b"", method="POST",
                                         headers=self._signed_headers("POST", RESET_PATH, account, region))
        with _OPENER.open(request, timeout=30) as response:
            return json.load(response)

    def _signed_headers(self, method, path, account, region):
        try:
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
        except ImportError:
            return {}
        request = AWSRequest(method=method, url=self.endpoint_url + path, data=b"")
        SigV4Auth(Credentials(account or self.account, self.secret_key), "amplify", region or self.region).add_auth(request)
        return dict(request.headers.items())
