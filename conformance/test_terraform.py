"""The call sequences of the Terraform AWS provider's Amplify resources (create → read → update → read →
delete, with the domain waiters' polling), checking what Terraform reads back into its state.

Modeled on terraform-provider-aws internal/service/amplify/{app,branch,webhook,backend_environment,
domain_association}.go: Terraform reads with Get*, clears environment variables with {" ": ""}, and treats
NotFoundException on read after delete as "gone".
"""
import pytest

from test_domains import CREATED_PENDING, CREATED_TARGET, VERIFIED_PENDING, VERIFIED_TARGET, wait


def test_aws_amplify_app(client):
    created = client.create_app(name="tf-app", description="d", environmentVariables={"ENVVAR1": "1"},
                                enableBranchAutoBuild=True, customRules=[{"source": "/<*>", "target": "/index.html", "status": "404"}],
                                tags={"Key1": "Value1"})["app"]
    state = client.get_app(appId=created["appId"])["app"]
    assert state["name"] == "tf-app" and state["environmentVariables"] == {"ENVVAR1": "1"}
    assert state["platform"] == "WEB" and state["cacheConfig"] == {"type": "AMPLIFY_MANAGED"}
    assert state["defaultDomain"].endswith(".amplifyapp.com")
    assert state["tags"] == {"Key1": "Value1"}
    # Update: Terraform sends the changed members; clearing maps and lists.
    client.update_app(appId=created["appId"], name="tf-app-2", environmentVariables={" ": ""}, customRules=[],
                      enableBranchAutoBuild=False, enableAutoBranchCreation=True, autoBranchCreationPatterns=["*", "*/**"],
                      autoBranchCreationConfig={"enableAutoBuild": True, "stage": "DEVELOPMENT"})
    client.tag_resource(resourceArn=created["appArn"], tags={"Key2": "Value2"})
    client.untag_resource(resourceArn=created["appArn"], tagKeys=["Key1"])
    state = client.get_app(appId=created["appId"])["app"]
    assert state["name"] == "tf-app-2"
    assert state["environmentVariables"] == {} and state["customRules"] == []
    assert state["enableAutoBranchCreation"] is True and state["autoBranchCreationPatterns"] == ["*", "*/**"]
    assert state["tags"] == {"Key2": "Value2"}
    client.delete_app(appId=created["appId"])
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_app(appId=created["appId"])


def test_aws_amplify_branch(client, app):
    client.create_branch(appId=app["appId"], branchName="tf-branch", stage="DEVELOPMENT", environmentVariables={"A": "1"},
                         enableAutoBuild=True, ttl="10", tags={"Key1": "Value1"})
    state = client.get_branch(appId=app["appId"], branchName="tf-branch")["branch"]
    assert (state["stage"], state["ttl"], state["environmentVariables"]) == ("DEVELOPMENT", "10", {"A": "1"})
    assert state["displayName"] == "tf-branch"
    client.update_branch(appId=app["appId"], branchName="tf-branch", environmentVariables={" ": ""}, stage="PRODUCTION",
                         displayName="tf-display", enableNotification=True)
    state = client.get_branch(appId=app["appId"], branchName="tf-branch")["branch"]
    assert state["environmentVariables"] == {} and state["stage"] == "PRODUCTION"
    assert state["displayName"] == "tf-display" and state["enableNotification"] is True
    assert state["tags"] == {"Key1": "Value1"}
    client.delete_branch(appId=app["appId"], branchName="tf-branch")
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_branch(appId=app["appId"], branchName="tf-branch")


def test_aws_amplify_webhook(client, app, branch):
    created = client.create_webhook(appId=app["appId"], branchName="main", description="tf")["webhook"]
    state = client.get_webhook(webhookId=created["webhookId"])["webhook"]
    assert state["webhookArn"].endswith(f"apps/{app['appId']}/webhooks/{created['webhookId']}")
    assert state["webhookUrl"].startswith("http")
    client.create_branch(appId=app["appId"], branchName="other")
    client.update_webhook(webhookId=created["webhookId"], branchName="other", description="tf-2")
    state = client.get_webhook(webhookId=created["webhookId"])["webhook"]
    assert (state["branchName"], state["description"]) == ("other", "tf-2")
    client.delete_webhook(webhookId=created["webhookId"])
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_webhook(webhookId=created["webhookId"])


def test_aws_amplify_backend_environment(client, app):
    client.create_backend_environment(appId=app["appId"], environmentName="tfenv")
    state = client.get_backend_environment(appId=app["appId"], environmentName="tfenv")["backendEnvironment"]
    assert state["stackName"] and state["deploymentArtifacts"]  # TestCheckResourceAttrSet
    assert state["backendEnvironmentArn"].endswith(f"apps/{app['appId']}/backendenvironments/tfenv")
    client.delete_backend_environment(appId=app["appId"], environmentName="tfenv")
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_backend_environment(appId=app["appId"], environmentName="tfenv")


def test_aws_amplify_domain_association(client, app, branch):
    client.create_domain_association(appId=app["appId"], domainName="tf.example",
                                     subDomainSettings=[{"prefix": "", "branchName": "main"}])
    wait(client, app["appId"], "tf.example", CREATED_PENDING, CREATED_TARGET)  # waitDomainAssociationCreated
    state, _ = wait(client, app["appId"], "tf.example", VERIFIED_PENDING, VERIFIED_TARGET)  # wait_for_verification = true
    assert state["certificateVerificationDNSRecord"]
    client.update_domain_association(appId=app["appId"], domainName="tf.example",
                                     subDomainSettings=[{"prefix": "www", "branchName": "main"}])
    wait(client, app["appId"], "tf.example", VERIFIED_PENDING, VERIFIED_TARGET)
    state = client.get_domain_association(appId=app["appId"], domainName="tf.example")["domainAssociation"]
    assert [s["subDomainSetting"] for s in state["subDomains"]] == [{"prefix": "www", "branchName": "main"}]
    client.delete_domain_association(appId=app["appId"], domainName="tf.example")
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_domain_association(appId=app["appId"], domainName="tf.example")
