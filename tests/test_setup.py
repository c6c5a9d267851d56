"""The set-up stays in step: pins, CI entry point, README commands, Java checks."""
import stat
import tomllib

import pytest
from packaging.requirements import Requirement

from qa_helpers.engines import spark_session
from tools import ROOT
from tools.colab_check import KEPT, megabytes
from tools.colab_runtime import RUNTIME_PINS, normalise, read_pins


def requirements(group: str = "all") -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {"core": project["dependencies"], "spark": project["optional-dependencies"]["spark"],
              "dev": [spec for spec in project["optional-dependencies"]["dev"] if not spec.startswith("qa_helpers")]}
    specs = {"runtime": groups["core"] + groups["spark"], "all": groups["core"] + groups["spark"] + groups["dev"]}.get(group, groups.get(group))
    return [Requirement(spec) for spec in specs]


def test_constraints_meet_every_requirement_and_environment_yml_repeats_their_pins():
    locked = read_pins((ROOT / "constraints.txt").read_text())
    conda = read_pins((ROOT / "environment.yml").read_text())
    for requirement in requirements():
        name = normalise(requirement.name)
        assert requirement.specifier.contains(locked[name]), f"constraints.txt's {name}=={locked[name]} is outside {requirement}"
        assert conda[name] == locked[name], name
    assert set(conda) == {normalise(requirement.name) for requirement in requirements()}
    assert "openjdk=17" in (ROOT / "environment.yml").read_text()


def test_the_ranges_admit_what_colab_preinstalls_except_pyspark():
    """So Colab's set-up cell installs only what Colab lacks. PySpark is the exception on purpose:
    Spark NLP 5.5 needs Spark 3.5 and Colab has 4.0 (README, Colab)."""
    colab = read_pins(RUNTIME_PINS.read_text())
    assert all(name in colab for name in KEPT)
    outside = {normalise(r.name) for r in requirements("runtime") if normalise(r.name) in colab and not r.specifier.contains(colab[normalise(r.name)])}
    assert outside == {"pyspark"}


def test_the_core_installs_no_spark_and_the_spark_extra_adds_pyspark_spark_nlp_and_nlu():
    assert {normalise(r.name) for r in requirements("spark")} == {"pyspark", "spark-nlp", "nlu"}
    assert not {normalise(r.name) for r in requirements("core")} & {"pyspark", "spark-nlp", "nlu"}
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    assert "qa_helpers[spark]" in dev  # make installs both tracks


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
    "line, major",
    [('openjdk version "17.0.15" 2025-04-15', 17), ('java version "1.8.0_392"', 8), ('openjdk version "11.0.2"', 11),
     ('openjdk version "21.0.8" 2025-07-15 LTS', 21)],
)
def test_supported_java_versions_are_read(tmp_path, monkeypatch, line, major):
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, line)))
    assert spark_session.check_java() == major


def test_unsupported_or_missing_java_gives_one_message_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, 'openjdk version "25.0.1"')))
    with pytest.raises(spark_session.JavaError, match=r"Java 25 found .* Install OpenJDK 17 or 21"):
        spark_session.check_java()
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(spark_session.JavaError, match="Java was not found.*Install OpenJDK 17 or 21"):
        spark_session.check_java()


def test_jar_resolution_failure_names_artifacts_and_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_CACHE", str(tmp_path))
    monkeypatch.delenv("QA_SPARK_JARS", raising=False)
    monkeypatch.setattr(spark_session, "_try_resolve", lambda mode: ["com.example:missing_2.12"])
    with pytest.raises(spark_session.SparkJarError, match="com.example:missing_2.12.*fetch-jars"):
        spark_session.resolve_jars()


def test_download_size_is_read_from_pips_lines_indented_or_not():
    output = "Collecting pyspark\n  Downloading pyspark-3.5.9.tar.gz (317.8 MB)\nDownloading nlu-5.4.1-py3-none-any.whl (512 kB)\n"
    assert megabytes(output) == pytest.approx(318.312)
