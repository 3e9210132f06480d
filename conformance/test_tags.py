"""TagResource, UntagResource, ListTagsForResource on app, branch and job ARNs."""
import pytest

from conftest import wait_for_status


def test_tags_on_an_app(client, app):
    arn = app["appArn"]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    client.tag_resource(resourceArn=arn, tags={"team": "web", "env": "dev"})
    client.tag_resource(resourceArn=arn, tags={"env": "prod"})
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "web", "env": "prod"}
    assert client.get_app(appId=app["appId"])["app"]["tags"] == {"team": "web", "env": "prod"}
    client.untag_resource(resourceArn=arn, tagKeys=["team", "absent"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "prod"}


def test_tags_on_branches_with_slashes_and_jobs(client, app):
    branch = client.create_branch(appId=app["appId"], branchName="feature/x", tags={"a": "1"})["branch"]
    assert client.list_tags_for_resource(resourceArn=branch["branchArn"])["tags"] == {"a": "1"}
    client.tag_resource(resourceArn=branch["branchArn"], tags={"b": "2"})
    assert client.get_branch(appId=app["appId"], branchName="feature/x")["branch"]["tags"] == {"a": "1", "b": "2"}
    job = client.start_job(appId=app["appId"], branchName="feature/x", jobType="RELEASE")["jobSummary"]
    client.tag_resource(resourceArn=job["jobArn"], tags={"run": "nightly"})
    assert client.list_tags_for_resource(resourceArn=job["jobArn"])["tags"] == {"run": "nightly"}
    client.untag_resource(resourceArn=job["jobArn"], tagKeys=["run"])
    assert client.list_tags_for_resource(resourceArn=job["jobArn"])["tags"] == {}
    wait_for_status(client, app["appId"], "feature/x", job["jobId"], {"SUCCEED"})


def test_unknown_resources_are_resource_not_found(client, app):
    for arn in [
        f"{app['appArn']}/branches/ghost",
        "arn:aws:amplify:us-east-1:123456789012:apps/d0000000000000",
        f"{app['appArn']}/webhooks/abc",
        app["appArn"].replace("123456789012", "999999999999"),
        app["appArn"].replace("us-east-1", "eu-west-1"),
    ]:
        with pytest.raises(client.exceptions.ResourceNotFoundException) as error:
            client.list_tags_for_resource(resourceArn=arn)
        assert error.value.response["code"] == "ResourceNotFoundException"
        assert arn in error.value.response["message"]
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.tag_resource(resourceArn=arn, tags={"a": "b"})
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.untag_resource(resourceArn=arn, tagKeys=["a"])


def test_tag_rules(client, raw_client, app):
    arn = app["appArn"]
    for tags, member in [({"aws:owned": "x"}, "tags.key"), ({"k" * 129: "v"}, "tags.key"), ({"key": "semi;colon"}, "tags.key")]:
        with pytest.raises(raw_client.exceptions.BadRequestException) as error:
            raw_client.tag_resource(resourceArn=arn, tags=tags)
        assert member in error.value.response["message"]
    with pytest.raises(raw_client.exceptions.BadRequestException, match="tags"):
        raw_client.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(51)})
    client.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(40)})
    with pytest.raises(client.exceptions.BadRequestException, match="at most 50 tags"):
        client.tag_resource(resourceArn=arn, tags={f"n{i}": "v" for i in range(11)})
    assert len(client.list_tags_for_resource(resourceArn=arn)["tags"]) == 40
    with pytest.raises(raw_client.exceptions.BadRequestException, match="resourceArn"):
        raw_client.list_tags_for_resource(resourceArn="arn:aws:s3:::bucket")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="tagKeys"):
        raw_client.untag_resource(resourceArn=arn, tagKeys=[])
