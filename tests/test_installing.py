"""Spark NLP on demand: where it is installed nothing happens, in Colab pip installs the same commit's spark extra,
elsewhere the error names the command."""
import subprocess
import sys

import pytest

from qa_helpers import installing


def test_the_requirement_points_at_the_same_commit_or_archive_and_never_at_a_checkout():
    git = {"url": "https://github.com/o/r", "vcs_info": {"vcs": "git", "commit_id": "abc123", "requested_revision": "main"}}
    assert installing.requirement_url(git) == "git+https://github.com/o/r@abc123"
    assert installing.requirement_url({"url": "https://x.org/qa.tar.gz", "archive_info": {}}) == "https://x.org/qa.tar.gz"
    assert installing.requirement_url({"url": "file:///work/qa", "dir_info": {"editable": True}}) == ""


def test_install_spark_does_nothing_where_spark_nlp_is_installed(monkeypatch):
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("pip must not run"))
    assert installing.spark_installed()  # make installs the spark extra
    assert installing.install_spark() is None


def test_install_spark_names_the_fix_outside_colab_and_runs_pip_in_colab(monkeypatch, capsys):
    monkeypatch.setattr(installing, "spark_installed", lambda: False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    with pytest.raises(ModuleNotFoundError, match=r"spark extra.*\.\[spark\]"):
        installing.install_spark()
    calls = []
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    monkeypatch.setattr(installing, "package_origin", lambda: "git+https://github.com/o/r@abc123")
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: calls.append(command))
    installing.install_spark()
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", "qa_helpers[spark] @ git+https://github.com/o/r@abc123"]]
    assert capsys.readouterr().out.startswith("Installing PySpark, Spark NLP and NLU")
