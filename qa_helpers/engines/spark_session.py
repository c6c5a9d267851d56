"""Start a local Spark session with the Spark NLP jar, and say clearly why when it cannot.

The jar and its dependencies come from Maven Central through Spark's own resolver (Ivy),
cached under ``~/.ivy2``. Spark NLP 5.5 also depends on native engines (TensorFlow,
OpenVINO, llama.cpp) published by John Snow Labs; where a registry lacks them we fall back to
an ONNX-only set-up: those three are left out and the TensorFlow Java API classes (without
natives) stand in, which is all that ONNX models need. The choice is made once by
``resolve_jars``, which records the resolved jar files in the cache folder; sessions start
from those files.
"""
from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import psutil

from ..config import SparkSettings, cache_dir, spark_jars_mode, spark_settings
from ..models.maven import MavenError, ivy_resolve

__all__ = [
    "JAVA_FIX", "NATIVE_ENGINE_ARTIFACTS", "SCRATCH_PREFIX", "SPARK_NLP_PACKAGE", "SPARK_NLP_VERSION",
    "SUPPORTED_JAVA", "TENSORFLOW_API_STANDIN", "check_java", "discard_load_copies", "get_spark", "java_executable", "java_version",
    "JavaError", "jvm_log", "jvm_scratch", "resolve_jars", "SparkJarError", "sweep_stale_scratch",
]

SPARK_NLP_VERSION = "5.5.3"
SPARK_NLP_PACKAGE = f"com.johnsnowlabs.nlp:spark-nlp_2.12:{SPARK_NLP_VERSION}"
NATIVE_ENGINE_ARTIFACTS = (
    "com.johnsnowlabs.nlp:tensorflow-cpu_2.12",
    "com.johnsnowlabs.nlp:jsl-openvino-cpu_2.12",
    "com.johnsnowlabs.nlp:jsl-llamacpp-cpu_2.12",
)
TENSORFLOW_API_STANDIN = "org.tensorflow:tensorflow-core-api:0.4.2"
# Spark 3.5 documents 8, 11 and 17; 21 is what Colab ships, and `make colab-check` runs Spark NLP on it.
SUPPORTED_JAVA = (8, 11, 17, 21)
JAVA_FIX = (
    "Install OpenJDK 17 or 21 (Debian/Ubuntu: `sudo apt-get install openjdk-17-jdk-headless`; "
    "macOS: `brew install openjdk@17`; conda: `conda install -c conda-forge openjdk=17`) "
    "and point JAVA_HOME at it."
)


class JavaError(RuntimeError):
    """Java is missing or is a version Spark 3.5 does not run on (here)."""


class SparkJarError(MavenError):
    """The Spark NLP jar or one of its dependencies could not be resolved."""


def java_executable() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def java_version() -> int:
    """The major version of the Java that Spark will use; raises JavaError with the fix."""
    java = java_executable()
    if java is None:
        raise JavaError(f"Java was not found (no JAVA_HOME, no `java` on PATH). {JAVA_FIX}")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        raise JavaError(f"Could not read the version of {java}: {out.strip()!r}. {JAVA_FIX}")
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 else major  # "1.8.0_392" is Java 8


def check_java() -> int:
    major = java_version()
    if major not in SUPPORTED_JAVA:
        raise JavaError(
            f"Java {major} found at {java_executable()}, but Spark 3.5 runs on Java "
            f"{', '.join(map(str, SUPPORTED_JAVA))} only. {JAVA_FIX}"
        )
    return major


def _jar_settings(mode: str) -> dict[str, str]:
    if mode == "full":
        return {"spark.jars.packages": SPARK_NLP_PACKAGE}
    return {
        "spark.jars.packages": f"{SPARK_NLP_PACKAGE},{TENSORFLOW_API_STANDIN}",
        "spark.jars.excludes": ",".join(NATIVE_ENGINE_ARTIFACTS),
    }


def _ivy_dir() -> Path:
    return cache_dir() / "ivy"


def _try_resolve(mode: str) -> list[str]:
    """Resolve the jars of ``mode`` into our own Ivy folder; returns the unresolved artifacts."""
    return ivy_resolve(_jar_settings(mode), _ivy_dir())


def resolve_jars(refresh: bool = False) -> dict:
    """Download the jars once; returns ``{"package", "mode", "jars"}``, also saved to the cache.

    ``mode`` is 'full', or 'onnx-only' where the registry lacks the native engines;
    ``QA_SPARK_JARS=full|onnx-only`` forces it. Sessions then start from the recorded jar
    files, without asking any registry again (so they also start offline).
    """
    forced = spark_jars_mode()
    record_file = cache_dir() / "spark-jars.json"
    if record_file.exists() and not refresh:
        record = json.loads(record_file.read_text())
        if (
            record.get("package") == SPARK_NLP_PACKAGE
            and record.get("mode") == (forced or record.get("mode"))
            and all(Path(jar).exists() for jar in record["jars"])
        ):
            return record
    check_java()
    mode = forced or "full"
    missing = _try_resolve(mode)
    if missing and not forced and set(missing) <= set(NATIVE_ENGINE_ARTIFACTS):
        warnings.warn(
            f"The registry lacks Spark NLP's native engines ({', '.join(sorted(missing))}): using "
            "ONNX-only jars. ONNX models (the tiny model, ONNX imports) work; TensorFlow-based "
            "pretrained models will not load.",
            stacklevel=2,
        )
        mode = "onnx-only"
        missing = _try_resolve(mode)
    if missing:
        raise SparkJarError(
            f"Could not resolve {', '.join(missing)} for {SPARK_NLP_PACKAGE} ({mode} jars) from "
            "Maven Central. Check the network (behind a proxy, give Spark an Ivy settings file "
            "with `spark.jars.ivySettings`), then run `python -m qa_helpers fetch-jars`."
        )
    jars = sorted(str(p) for p in (_ivy_dir() / "jars").glob("*.jar"))
    record = {"package": SPARK_NLP_PACKAGE, "mode": mode, "jars": jars}
    record_file.parent.mkdir(parents=True, exist_ok=True)
    record_file.write_text(json.dumps(record, indent=1))
    return record


def jvm_log() -> Path:
    """The JVM's own output (Spark and Spark NLP logging) goes here, not into notebooks."""
    return cache_dir() / "spark-jvm.log"


SCRATCH_PREFIX = "qa-spark-"


def sweep_stale_scratch(root: Path | None = None) -> list[Path]:
    """Remove the JVM scratch folders of processes that ended without removing their own.

    A process killed from outside (a stopped notebook kernel, a timeout) never reaches its exit
    handler; its folder, named after its process id, is removed by the next session that starts.
    """
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        owner = folder.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not psutil.pid_exists(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def jvm_scratch() -> Path:
    """A temporary folder for this process's JVM, removed when Python exits.

    Spark NLP copies every ONNX model it loads into the JVM's temporary folder and never deletes
    the copy (about 700 MB for a full-size BERT), and Spark leaves its jar copies there when its
    JVM is killed. Pointing ``java.io.tmpdir`` and ``spark.local.dir`` at a folder of our own keeps
    repeated runs from filling the disk.
    """
    sweep_stale_scratch()
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return scratch


def discard_load_copies() -> list[Path]:
    """Remove the copies of ONNX models that Spark NLP staged in the JVM's temporary folder while loading.

    Loading a saved Spark NLP model copies its ONNX file twice into ``java.io.tmpdir``: first out of
    the Hadoop file system (that folder also holds Hadoop's ``.crc`` checksum file), then into the
    file the loaded annotator keeps for a later save. The first copy is never read again; removing it
    halves what a load costs on disk (about 700 MB for a full-size BERT). Call it after a load.
    """
    scratch = Path(get_spark().sparkContext.getConf().get("spark.local.dir"))
    staged = [folder for folder in scratch.glob("*onnx*") if folder.is_dir() and any(folder.glob(".*.crc"))]
    for folder in staged:
        shutil.rmtree(folder, ignore_errors=True)
    return staged


def get_spark(memory: str = "4g", settings: SparkSettings | None = None):
    """The Spark session for the tutorial (created once per process, by the first call): ``settings``,
    else those of the environment (:func:`qa_helpers.config.spark_settings`: ``local[*]`` unless
    ``QA_SPARK_MASTER`` names a cluster).

    The JVM is started with its stdout and stderr sent to :func:`jvm_log`, so that Spark's
    log lines and Spark NLP's prints do not land in notebook outputs, and with its temporary
    files in :func:`jvm_scratch`.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    check_java()
    settings = settings or spark_settings()
    scratch = jvm_scratch()
    conf = (
        SparkConf()
        .setAppName("multilingual-qa-tutorial")
        .setMaster(settings.master)
        .set("spark.driver.memory", memory)
        .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .set("spark.kryoserializer.buffer.max", "2000M")
        .set("spark.driver.maxResultSize", "0")
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
        .set("spark.sql.shuffle.partitions", "4")
        .set("spark.jars", ",".join(resolve_jars()["jars"]))
        .set("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir=\"{scratch}\"")
        .set("spark.executor.extraJavaOptions", f"-Djava.io.tmpdir=\"{scratch}\"")  # a cluster's executors (same machine)
        .set("spark.executor.memory", settings.executor_memory)
        .set("spark.local.dir", str(scratch))
        .set("spark.jsl.settings.onnx.intraOpNumThreads", str(settings.onnx_threads))
    )
    # UDF workers need this Python (and qa_helpers); PySpark reads it from this variable alone.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    jvm_log().parent.mkdir(parents=True, exist_ok=True)
    with open(jvm_log(), "ab") as log:
        gateway = launch_gateway(conf, popen_kwargs={"stdout": log, "stderr": log})
    spark = SparkSession(SparkContext(conf=conf, gateway=gateway))
    spark.sparkContext.setLogLevel("ERROR")
    return spark
