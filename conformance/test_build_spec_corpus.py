"""Real amplify.yml files from public repositories (conformance/fixtures/amplify-yml, each with its source in
sources.json) read by `amplify-local check-spec`, the reader builds use: each is read, with the commands and artifacts
an independent YAML reader finds in it, or refused with the reason sources.json gives."""
import json
import os
import subprocess

import pytest
import yaml

from conftest import ROOT, binary_path, store_free

pytestmark = store_free  # a command without a server

CORPUS = os.path.join(ROOT, "conformance", "fixtures", "amplify-yml")
SOURCES = json.load(open(os.path.join(CORPUS, "sources.json")))
PHASES = {"backend": ["preBuild", "build", "postBuild"], "frontend": ["preBuild", "build", "postBuild"], "test": ["preTest", "test", "postTest"]}


def expected_phases(document):
    """(section, phase, commands) as AWS's spec defines them, read with PyYAML: a phase's commands are a list of
    strings or one string; a phase without commands runs nothing."""
    application = document["applications"][0] if "applications" in document else document
    found = []
    for section in ["backend", "frontend", "test"]:
        phases = (application.get(section) or {}).get("phases") or {}
        for name in PHASES[section]:
            commands = (phases.get(name) or {}).get("commands")
            if isinstance(commands, str):
                commands = [commands]
            if commands:
                found.append({"section": section, "name": name, "commands": commands})
    return found


def normalized(path):
    parts = [part for part in str(path).split("/") if part not in ("", ".")]
    return "/".join(parts) or "."


def test_the_corpus_is_real_and_large_enough():
    assert len(SOURCES) >= 60
    assert sorted(entry["file"] for entry in SOURCES) == sorted(name for name in os.listdir(CORPUS) if name.endswith(".yml"))
    assert all(entry["repo"].count("/") == 1 and entry["path"] for entry in SOURCES)


@pytest.mark.parametrize("entry", SOURCES, ids=[entry["file"] for entry in SOURCES])
def test_each_spec_is_read_or_refused_as_aws_would(entry):
    result = subprocess.run([binary_path(), "check-spec", os.path.join(CORPUS, entry["file"])], capture_output=True, text=True, timeout=30)
    if entry["expect"].startswith("refused: "):
        assert result.returncode == 1, result.stdout
        assert entry["expect"][len("refused: "):] in result.stderr
        assert "(line " in result.stderr or "applications" in result.stderr  # the reason names where
        return
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    document = yaml.safe_load(open(os.path.join(CORPUS, entry["file"]), encoding="utf-8"))
    assert read["phases"] == expected_phases(document)
    application = document["applications"][0] if "applications" in document else document
    artifacts = (application.get("frontend") or {}).get("artifacts")
    if isinstance(artifacts, dict):
        assert read["artifacts"]["baseDirectory"] == normalized(artifacts.get("baseDirectory", "."))
    if "applications" in document:
        assert read["appRoot"] == normalized(application["appRoot"])
