"""The web console in a real headless Chromium, driven by Selenium: apps, branches, builds whose logs grow on the
page, stops, deletes, a zip deployed through the file input, the rule tester, and sign-in under --auth strict."""
import io
import json
import os
import shutil
import time
import urllib.error
import urllib.request
import zipfile

import pytest

from conftest import http_request
from test_builds import make_repo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromium-driver (Debian)")
SCREENSHOTS = os.environ.get("AMPLIFY_LOCAL_SCREENSHOTS")
# The account the open console starts in: the one an unsigned request gets.
UNSIGNED = "000000000000"

# A build whose log grows for a few seconds: the page shows lines while it runs.
SLOW = """version: 1
frontend:
  phases:
    build:
      commands:
        - for i in 1 2 3 4 5 6 7 8; do echo "counting $i"; sleep 0.5; done
        - mkdir -p dist && echo '<h1>built</h1>' > dist/index.html
  artifacts:
    baseDirectory: dist
    files: ['**/*']
"""


@pytest.fixture
def browser(request, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    # The driver given outright: Selenium's driver manager would try the network.
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.save_screenshot(str(tmp_path / f"console-{request.node.name}.png"))
    driver.quit()


def shot(driver, name):
    """A screenshot worth keeping (the README's come from here: AMPLIFY_LOCAL_SCREENSHOTS=docs)."""
    if SCREENSHOTS:
        driver.save_screenshot(os.path.join(SCREENSHOTS, f"{name}.png"))


def wait(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception:  # noqa: BLE001 (an element not there yet)
            pass
        time.sleep(0.1)
    raise AssertionError("the page never showed what was waited for")


def by_css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def fill(driver, form, **fields):
    for name, value in fields.items():
        element = by_css(driver, f"{form} [name='{name}']")
        if element.tag_name == "select":
            from selenium.webdriver.support.ui import Select

            Select(element).select_by_visible_text(value)
        else:
            element.clear()
            element.send_keys(value)
    by_css(driver, f"{form} button").click()


def click_button(driver, text):
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, f"//button[normalize-space()='{text}']").click()


def test_apps_branches_and_builds_whose_logs_grow_on_the_page(fresh_server, browser, tmp_path):
    server = fresh_server("--build-mode", "auto")
    repository, _ = make_repo(tmp_path / "repo", {"amplify.yml": SLOW})
    browser.get(server.endpoint + "/")  # a browser at the root is sent to the console
    assert browser.current_url.endswith("/_amplify-local/console/")
    assert "No apps in 000000000000 / us-east-1 yet." in browser.page_source
    # The API's own message for bad input.
    fill(browser, "form[action$='/apps']", name="x" * 300)
    assert "BadRequestException" in wait(lambda: by_css(browser, ".error").text)
    fill(browser, "form[action$='/apps']", name="My site", repository=repository, environmentVariables="GREETING=hello")
    assert wait(lambda: "App created." in by_css(browser, ".notice").text)
    app_id = browser.current_url.split("/apps/")[1].split("?")[0]
    assert server.client(account=UNSIGNED).get_app(appId=app_id)["app"]["environmentVariables"] == {"GREETING": "hello"}
    fill(browser, "form[action$='/branches']", branchName="main")
    assert wait(lambda: browser.current_url.split("?")[0].endswith("/branches/main"))
    # A build: its job page shows log lines while the build runs, and the status as it changes.
    click_button(browser, "Start a build")
    wait(lambda: "/jobs/1" in browser.current_url)
    log = wait(lambda: by_css(browser, "#log-BUILD"), timeout=20)
    wait(lambda: "counting 4" in log.text and "counting 8" not in log.text, timeout=20)
    assert by_css(browser, "#job-status").text in ("RUNNING", "PENDING")
    shot(browser, "console-job")
    wait(lambda: "counting 8" in by_css(browser, "#log-BUILD").text, timeout=20)
    wait(lambda: by_css(browser, "#job-status").text == "SUCCEED", timeout=30)
    # Another build, stopped from the branch page.
    browser.get(f"{server.endpoint}/_amplify-local/console/apps/{app_id}/branches/main")
    click_button(browser, "Start a build")
    wait(lambda: "/jobs/2" in browser.current_url)
    browser.get(f"{server.endpoint}/_amplify-local/console/apps/{app_id}/branches/main")
    click_button(browser, "Stop")
    assert wait(lambda: "Job 2 is stopping." in by_css(browser, ".notice").text)
    wait(lambda: "CANCELLED" in by_css(browser, "#jobs").text, timeout=20)  # the list updates without a reload
    # Deleting a finished job.
    from selenium.webdriver.common.by import By

    browser.find_element(By.CSS_SELECTOR, "form[action$='/jobs/1/delete'] button").click()
    assert wait(lambda: "Job 1 deleted." in by_css(browser, ".notice").text)
    assert [job["jobId"] for job in server.client(account=UNSIGNED).list_jobs(appId=app_id, branchName="main")["jobSummaries"]] == ["2"]
    # Retrying the stopped one: StartJob RETRY, a job of its own.
    click_button(browser, "Retry")
    wait(lambda: "/jobs/3" in browser.current_url)
    job = server.client(account=UNSIGNED).get_job(appId=app_id, branchName="main", jobId="3")["job"]["summary"]
    assert job["jobType"] == "RETRY"
    wait(lambda: by_css(browser, "#job-status").text == "SUCCEED", timeout=30)
    # The app list shows the branch and its latest job.
    browser.get(f"{server.endpoint}/_amplify-local/console/")
    assert "main #3 SUCCEED" in by_css(browser, f"#app-{app_id}-branches").text
    shot(browser, "console-apps")
    # Deleting the app: a button in its row, which asks first (Cancel keeps it).
    row = browser.find_element(By.XPATH, f"//tr[td/code[normalize-space()='{app_id}']]")
    row.find_element(By.XPATH, ".//button[normalize-space()='Delete…']").click()
    assert wait(lambda: "Delete app My site?" in browser.page_source)
    browser.find_element(By.LINK_TEXT, "Cancel").click()
    wait(lambda: browser.current_url.endswith(f"/apps/{app_id}"))
    assert [app["appId"] for app in server.client(account=UNSIGNED).list_apps()["apps"]] == [app_id]
    browser.get(f"{server.endpoint}/_amplify-local/console/")
    browser.find_element(By.XPATH, f"//tr[td/code[normalize-space()='{app_id}']]//button[normalize-space()='Delete…']").click()
    assert wait(lambda: "Delete app My site?" in browser.page_source)
    click_button(browser, "Delete app")
    assert wait(lambda: f"App {app_id} deleted." in by_css(browser, ".notice").text)
    assert server.client(account=UNSIGNED).list_apps()["apps"] == []


def test_an_app_is_deleted_only_by_the_confirmation_forms_post_with_its_csrf_token(fresh_server):
    server = fresh_server()
    client = server.client(account=UNSIGNED)
    app_id = client.create_app(name="kept")["app"]["appId"]
    console = "/_amplify-local/console"
    # The button opens the confirmation page: a GET, which deletes nothing.
    status, _, page = http_request(server.port, "GET", f"{console}/apps/{app_id}/delete")
    assert status == 200 and "Delete app kept?" in page.decode()
    csrf = page.decode().split('name="csrf" value="')[1].split('"')[0]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # A POST without the page's token, with another one, or sent from another site changes nothing.
    for headers, body in ((form, b""), (form, b"csrf=" + b"0" * len(csrf)),
                          ({**form, "Origin": "http://evil.example"}, f"csrf={csrf}".encode())):
        status, _, _ = http_request(server.port, "POST", f"{console}/apps/{app_id}/delete", headers, body)
        assert status == 403, (headers, body, status)
        assert [app["appId"] for app in client.list_apps()["apps"]] == [app_id]
    # The confirmation's own POST deletes it.
    status, headers, _ = http_request(server.port, "POST", f"{console}/apps/{app_id}/delete", form, f"csrf={csrf}".encode())
    assert status == 303 and "deleted" in urllib.request.unquote(headers["location"])
    assert client.list_apps()["apps"] == []


# A build whose log is longer than its box on the page at once, then grows a line every 0.4 s.
LONG = """version: 1
frontend:
  phases:
    build:
      commands:
        - for i in $(seq 1 80); do echo "line $i"; done
        - for i in $(seq 1 12); do echo "slow $i"; sleep 0.4; done
        - mkdir -p dist && echo '<h1>built</h1>' > dist/index.html
  artifacts:
    baseDirectory: dist
    files: ['**/*']
"""


def test_a_running_jobs_page_follows_it_in_place_and_keeps_where_the_reader_scrolled(fresh_server, browser, tmp_path):
    server = fresh_server("--build-mode", "auto")
    repository, _ = make_repo(tmp_path / "repo", {"amplify.yml": LONG})
    client = server.client(account=UNSIGNED)
    app_id = client.create_app(name="followed", repository=repository)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    job_id = client.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
    browser.get(f"{server.endpoint}/_amplify-local/console/apps/{app_id}/branches/main/jobs/{job_id}")
    # A mark on this document: a page loaded again would not have it.
    browser.execute_script("window.consoleMark = 'the page as first loaded'")
    mark = "return window.consoleMark === 'the page as first loaded'"
    # The BUILD step's section joins the page as the step starts, and its log grows in it.
    log = wait(lambda: by_css(browser, "#log-BUILD"))
    wait(lambda: "slow 1" in log.text)
    assert by_css(browser, "#job-status").text == "RUNNING"
    assert browser.execute_script("return arguments[0].scrollHeight > arguments[0].clientHeight + 100", log), "the log does not overflow its box"
    # Scrolled up by the reader: the log grows below, and what the reader looks at stays put.
    browser.execute_script("arguments[0].scrollTop = 37", log)
    wait(lambda: "slow 5" in log.text)
    assert browser.execute_script("return arguments[0].scrollTop", log) == 37
    # At the end: the log follows its end as it grows.
    browser.execute_script("arguments[0].scrollTop = arguments[0].scrollHeight", log)
    wait(lambda: "slow 9" in log.text)
    assert browser.execute_script("return arguments[0].scrollTop + arguments[0].clientHeight >= arguments[0].scrollHeight - 4", log)
    # Scrolled up again while the build ends: the status turns SUCCEED in place, the later steps are added with
    # theirs, and the page is never loaded again (the log's element, its text and where it was scrolled stay).
    browser.execute_script("arguments[0].scrollTop = 37", log)
    wait(lambda: by_css(browser, "#job-status").text == "SUCCEED", timeout=30)
    steps = client.get_job(appId=app_id, branchName="main", jobId=job_id)["job"]["steps"]
    assert len(steps) > 1
    wait(lambda: [by_css(browser, f"#step-{step['stepName']}-status").text for step in steps] == [step["status"] for step in steps])
    assert browser.execute_script(mark), "the job page was loaded again"
    # The log is followed on its own (every 0.7 s until its step is done): its last lines may come just after the status.
    wait(lambda: "slow 12" in log.text)
    assert browser.execute_script("return arguments[0].scrollTop", log) == 37
    assert "ended" in by_css(browser, "#job-meta").text


def pages_wider_than(browser, width, urls):
    """The pages (of `urls`) that a browser `width` CSS pixels wide scrolls sideways, with their width."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": 844, "deviceScaleFactor": 3, "mobile": True})
    wider = {}
    for url in urls:
        browser.get(url)
        scroll_width = browser.execute_script("return document.documentElement.scrollWidth")
        if scroll_width > width:
            wider[url] = scroll_width
    return wider


def test_the_pages_fit_a_phone_390_pixels_wide(fresh_server, browser):
    server = fresh_server()
    client = server.client(account=UNSIGNED)
    for name in ("My site", "Another site with a long name"):
        app_id = client.create_app(name=name)["app"]["appId"]
        for branch in ("main", "feature/a-rather-long-branch-name"):
            client.create_branch(appId=app_id, branchName=branch)
    console = f"{server.endpoint}/_amplify-local/console"
    client.create_deployment(appId=app_id, branchName="main")
    urls = [f"{console}/", f"{console}/apps/{app_id}", f"{console}/apps/{app_id}/branches/main", f"{console}/apps/{app_id}/branches/main/jobs/1",
            f"{console}/apps/{app_id}/delete"]
    assert pages_wider_than(browser, 390, urls) == {}
    # What the phone shows is the page laid out for it: the viewport is the phone's width.
    browser.get(f"{console}/")
    assert browser.execute_script("return window.innerWidth") == 390
    # Each app is whole on the screen, its branches and its Delete… button in reach (no sideways scroll in a table).
    from selenium.webdriver.common.by import By

    inside = "const r = arguments[0].getBoundingClientRect(); return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth"
    rows = browser.find_elements(By.XPATH, "//tr[td/code]")
    assert len(rows) == 2
    for row in rows:
        for element in [row.find_element(By.XPATH, ".//button[normalize-space()='Delete…']"), *row.find_elements(By.CSS_SELECTOR, "a")]:
            assert browser.execute_script(inside, element), element.text
    rows[-1].find_element(By.XPATH, ".//button[normalize-space()='Delete…']").click()
    assert wait(lambda: "Delete app Another site with a long name?" in browser.page_source)
    assert browser.execute_script(inside, browser.find_element(By.XPATH, "//button[normalize-space()='Delete app']"))


def site_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<h1>dropped</h1>")
        archive.writestr("old.html", "<p>old</p>")
    return buffer.getvalue()


def test_a_zip_deploys_through_the_file_input_and_the_rule_tester_explains(fresh_server, browser, tmp_path):
    server = fresh_server()
    client = server.client(account=UNSIGNED)
    app_id = client.create_app(name="manual")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    path = tmp_path / "site.zip"
    path.write_bytes(site_zip())
    browser.get(f"{server.endpoint}/_amplify-local/console/apps/{app_id}/branches/main")
    by_css(browser, "#deploy-file").send_keys(str(path))
    wait(lambda: "/jobs/1" in browser.current_url)
    wait(lambda: by_css(browser, "#job-status").text == "SUCCEED", timeout=20)
    status, _, body = http_request(server.port, "GET", "/", {"Host": f"main.{app_id}.localhost"})
    assert (status, body) == (200, b"<h1>dropped</h1>")
    # A folder: zipped by the page, then deployed the same way.
    folder = tmp_path / "site"
    (folder / "docs").mkdir(parents=True)
    (folder / "index.html").write_text("<h1>folder</h1>")
    (folder / "docs" / "page.html").write_text("<p>inside</p>")
    (folder / "old.html").write_text("<p>old</p>")
    browser.get(f"{server.endpoint}/_amplify-local/console/apps/{app_id}/branches/main")
    by_css(browser, "#deploy-folder").send_keys(str(folder))
    wait(lambda: "/jobs/2" in browser.current_url)
    wait(lambda: by_css(browser, "#job-status").text == "SUCCEED", timeout=20)
    assert http_request(server.port, "GET", "/docs/page.html", {"Host": f"main.{app_id}.localhost"})[2] == b"<p>inside</p>"
    assert http_request(server.port, "GET", "/", {"Host": f"main.{app_id}.localhost"})[2] == b"<h1>folder</h1>"
    # Rules edited on the app's page, then tried in the rule tester.
    browser.get(f"{server.endpoint}/_amplify-local/console/apps/{app_id}")
    rules = [{"source": "/old", "target": "/new", "status": "301"}, {"source": "/<*>", "target": "/index.html", "status": "404-200"}]
    headers = "customHeaders:\n  - pattern: '**/*.html'\n    headers:\n      - key: X-Frame-Options\n        value: DENY\n"
    fill(browser, "form[action$='/apps/" + app_id + "'].stack", customRules=json.dumps(rules), customHeaders=headers)
    assert wait(lambda: "Settings saved." in by_css(browser, ".notice").text)
    # Each answer is a new page: wait for its own words, not the previous page's explanation.
    fill(browser, "#rule-tester", path="/old")
    explanation = wait(lambda: "path=%2Fold" in browser.current_url and by_css(browser, "#explanation").text)
    assert "Rule 1 matches" in explanation and "301" in by_css(browser, "#explain-status").text
    fill(browser, "#rule-tester", path="/missing/page")
    explanation = wait(lambda: "missing" in browser.current_url and by_css(browser, "#explanation").text)
    assert "Rule 2 matches" in explanation and "index.html" in explanation and "X-Frame-Options: DENY" in explanation
    browser.execute_script("document.getElementById('tester-title').scrollIntoView()")
    shot(browser, "console-rules")
    # The same as JSON, for scripts.
    request = urllib.request.Request(
        f"{server.endpoint}/_amplify-local/explain", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"appId": app_id, "branchName": "main", "path": "/old.html"}).encode(),
    )
    answer = json.load(urllib.request.urlopen(request))
    assert answer == {"rule": None, "status": 200, "target": "/old.html", "file": "old.html", "route": None,
                      "headers": {"X-Frame-Options": "DENY"}, "note": None}
    request.data = json.dumps({"appId": app_id, "branchName": "main", "path": "nope"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 400


def test_sign_in_under_auth_strict(fresh_server, browser, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text("AKIDCONSOLE:right-secret:111122223333\n")
    server = fresh_server("--auth", "strict", "--credentials", str(credentials))
    browser.get(f"{server.endpoint}/_amplify-local/console/")
    assert browser.current_url.endswith("/_amplify-local/console/signin")
    fill(browser, "form[action$='/signin']", accessKeyId="AKIDCONSOLE", secret="wrong")
    assert "The access key id or secret is wrong." in wait(lambda: by_css(browser, ".error").text)
    fill(browser, "form[action$='/signin']", accessKeyId="AKIDCONSOLE", secret="right-secret")
    wait(lambda: browser.current_url.endswith("/_amplify-local/console/"))
    assert wait(lambda: "Account 111122223333" in by_css(browser, "header").text)
    cookie = browser.get_cookie("amplify-local-console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # A POST without the form's CSRF token is refused, even with the session's cookie.
    request = urllib.request.Request(
        f"{server.endpoint}/_amplify-local/console/apps", method="POST", data=b"name=sneaky",
        headers={"Cookie": f"amplify-local-console={cookie['value']}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 403
    # With the form: made in the key's account.
    fill(browser, "form[action$='/apps']", name="signed")
    assert wait(lambda: "App created." in by_css(browser, ".notice").text)
    from test_auth import signed_client  # noqa: PLC0415

    assert [app["name"] for app in signed_client(server, "AKIDCONSOLE", "right-secret").list_apps()["apps"]] == ["signed"]
    click_button(browser, "Sign out")
    wait(lambda: browser.current_url.endswith("/signin"))
    browser.get(f"{server.endpoint}/_amplify-local/console/")
    assert browser.current_url.endswith("/signin")


def test_webhooks_domains_and_backend_environments_are_made_and_removed_on_the_apps_page(fresh_server, browser):
    from selenium.webdriver.common.by import By

    server = fresh_server()
    client = server.client(account=UNSIGNED)
    app_id = client.create_app(name="parts")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    page = f"{server.endpoint}/_amplify-local/console/apps/{app_id}"
    browser.get(page)
    fill(browser, "form[action$='/webhooks']", branchName="main")
    assert wait(lambda: "Webhook created." in by_css(browser, ".notice").text)
    webhook = client.list_webhooks(appId=app_id)["webhooks"][0]
    assert by_css(browser, "[data-copy]").get_attribute("data-copy") == webhook["webhookUrl"]
    fill(browser, "form[action$='/domains']", domainName="example.com", subDomains="www=main, =main")
    assert wait(lambda: "Domain added." in by_css(browser, ".notice").text)
    domain = client.get_domain_association(appId=app_id, domainName="example.com")["domainAssociation"]
    assert sorted(s["subDomainSetting"]["prefix"] for s in domain["subDomains"]) == ["", "www"]
    fill(browser, "form[action$='/domains']", domainName="example.org", subDomains="www")  # the API's message, or ours
    assert "prefix=branch" in wait(lambda: by_css(browser, ".error").text)
    fill(browser, "form[action$='/backends']", environmentName="prod", stackName="amplify-stack")
    assert wait(lambda: "Backend environment added." in by_css(browser, ".notice").text)
    for action in ("/webhooks/" + webhook["webhookId"] + "/delete", "/domains/example.com/delete", "/backends/prod/delete"):
        browser.get(page)
        browser.find_element(By.CSS_SELECTOR, f"form[action$='{action}'] button").click()
        assert wait(lambda: "Removed." in by_css(browser, ".notice").text)
    assert client.list_webhooks(appId=app_id)["webhooks"] == []
    assert client.list_domain_associations(appId=app_id)["domainAssociations"] == []
    assert client.list_backend_environments(appId=app_id)["backendEnvironments"] == []


def test_a_session_ends_after_its_idle_time(fresh_server, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text("AKIDIDLE:secret\n")
    server = fresh_server("--auth", "strict", "--credentials", str(credentials), "--console-idle-hours", "0.0005")  # 1.8 s
    page = http_request(server.port, "GET", "/_amplify-local/console/signin")[2].decode()
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    form = f"csrf={csrf}&accessKeyId=AKIDIDLE&secret=secret".encode()
    status, headers, _ = http_request(
        server.port, "POST", "/_amplify-local/console/signin", {"Content-Type": "application/x-www-form-urlencoded"}, form
    )
    assert status == 303 and "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
    cookie = {"Cookie": headers["set-cookie"].split(";")[0]}
    assert http_request(server.port, "GET", "/_amplify-local/console/", cookie)[0] == 200
    time.sleep(1)
    assert http_request(server.port, "GET", "/_amplify-local/console/", cookie)[0] == 200  # a request starts the idle time again
    time.sleep(2.5)
    status, headers, _ = http_request(server.port, "GET", "/_amplify-local/console/", cookie)
    assert status == 303 and headers["location"].endswith("/signin")
