"""The set-up stays in step: pins, CI entry point, README commands, Java checks."""
import re
import stat
import tomllib
from pathlib import Path

import pytest

from qa_helpers.engines import spark_session

ROOT = Path(__file__).resolve().parents[1]


def pins(lines):
    """{normalised name: version} for every `name==version` line (PEP 503 names)."""
    found = (re.match(r"\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s]+)", line).groups() for line in lines if "==" in line)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in found}


def test_environment_yml_repeats_pyproject_pins_and_constraints_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    conda = pins((ROOT / "environment.yml").read_text().splitlines())
    assert conda == declared
    assert "openjdk=17" in (ROOT / "environment.yml").read_text()
    locked = pins((ROOT / "constraints.txt").read_text().splitlines())
    for name, version in declared.items():
        assert locked.get(name) == version, name


def test_ci_runs_exactly_the_readme_test_command():
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("\nmake test")
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make run" in readme


def fake_java(tmp_path, version_line):
    java = tmp_path / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return tmp_path


@pytest.mark.parametrize(
    "line, major", [('openjdk version "17.0.15" 2025-04-15', 17), ('java version "1.8.0_392"', 8), ('openjdk version "11.0.2"', 11)]
)
def test_supported_java_versions_are_read(tmp_path, monkeypatch, line, major):
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, line)))
    assert spark_session.check_java() == major


def test_unsupported_or_missing_java_gives_one_message_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, 'openjdk version "21.0.1"')))
    with pytest.raises(spark_session.JavaError, match=r"Java 21 found .* Install OpenJDK 17"):
        spark_session.check_java()
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(spark_session.JavaError, match="Java was not found.*Install OpenJDK 17"):
        spark_session.check_java()


def test_jar_resolution_failure_names_artifacts_and_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_CACHE", str(tmp_path))
    monkeypatch.delenv("QA_SPARK_JARS", raising=False)
    monkeypatch.setattr(spark_session, "_try_resolve", lambda mode: ["com.example:missing_2.12"])
    with pytest.raises(spark_session.SparkJarError, match="com.example:missing_2.12.*fetch-jars"):
        spark_session.resolve_jars()
