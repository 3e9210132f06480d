"""`--object-store`'s options at start: each mistake is one line naming it, the server does not start, and it leaves no
data directory behind; with a store (scripts/with-object-store), a refusal of its names the store and what it said."""
import os
import socket

import pytest

from conftest import store_free
from test_front_door import run_binary

S3 = os.environ.get("AMPLIFY_LOCAL_TEST_S3_ENDPOINT")


def start(tmp_path, *args, key="a", secret="b"):
    """A start with `args`; (exit code, its lines, whether the data folder is there after)."""
    data = tmp_path / "state"
    environment = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    result = run_binary("--port", "0", "--data-dir", str(data), *args, cwd=tmp_path, env=environment)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return result.returncode, lines, data.exists()


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@store_free
@pytest.mark.parametrize("args,message", [
    (("--object-store", "s3://bucket"), "--object-store needs --object-store-endpoint"),
    (("--object-store", "bucket", "--object-store-endpoint", "http://127.0.0.1:1"), "an object store is named s3://BUCKET[/PREFIX]"),
    (("--object-store", "s3://No_Such", "--object-store-endpoint", "http://127.0.0.1:1"), "is not an S3 bucket name"),
    (("--object-store", "s3://bucket", "--object-store-endpoint", "ftp://x"), "endpoint is an http:// or https:// URL"),
    (("--object-store", "s3://bucket", "--object-store-endpoint", "http://127.0.0.1:1", "--in-memory"), "not --in-memory"),
    (("--object-store", "s3://bucket", "--object-store-endpoint", "http://127.0.0.1:1", "--object-store-cache-mb", "0"),
     "--object-store-cache-mb must be at least 1"),
])
def test_a_wrong_object_store_option_is_refused_by_name(tmp_path, args, message):
    code, lines, made = start(tmp_path, *args)
    assert code != 0 and message in lines[0], lines
    assert not made


@store_free
def test_an_object_store_without_credentials_is_refused(tmp_path):
    code, lines, _ = start(tmp_path, "--object-store", "s3://bucket", "--object-store-endpoint", "http://127.0.0.1:1", key="", secret="")
    assert code != 0 and "needs credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in lines[0], lines


@store_free
def test_an_object_store_that_does_not_answer_is_one_line_and_leaves_no_data_directory(tmp_path):
    port = closed_port()
    code, lines, made = start(tmp_path, "--object-store", "s3://bucket/p", "--object-store-endpoint", f"http://127.0.0.1:{port}")
    assert code != 0 and len(lines) == 1, lines
    assert lines[0].startswith(f"Error: --object-store s3://bucket/p/ at http://127.0.0.1:{port}: The object store answered nothing"), lines
    assert not made


@store_free
@pytest.mark.skipif(not S3, reason="no object store: run under scripts/with-object-store")
@pytest.mark.parametrize("bucket,secret,answer", [
    (os.environ.get("AMPLIFY_LOCAL_TEST_S3_BUCKET"), "not-the-secret", "answered 403"),
    ("amplify-local-no-such-bucket", None, "NoSuchBucket"),
])
def test_an_object_store_that_refuses_names_what_it_said(tmp_path, bucket, secret, answer):
    code, lines, made = start(
        tmp_path, "--object-store", f"s3://{bucket}", "--object-store-endpoint", S3,
        key=os.environ["AMPLIFY_LOCAL_TEST_S3_ACCESS_KEY_ID"], secret=secret or os.environ["AMPLIFY_LOCAL_TEST_S3_SECRET_ACCESS_KEY"],
    )
    assert code != 0 and lines[0].startswith(f"Error: --object-store s3://{bucket}/ at {S3}") and answer in lines[0], lines
    assert not made
