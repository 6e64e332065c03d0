"""Build and run the Neo4j Community test server of tests/neo4j (tests and benchmarks).

``start(home)`` compiles the launcher with Maven when no build of the current sources is
cached under tests/neo4j/target (Neo4j's jars come from Maven Central into the local Maven
repository), starts it with a small heap, and returns its Bolt URI and generated password
once it accepts connections. The server stops when ``stop`` closes its standard input, or
by itself when the process that started it dies.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LAUNCHER = Path(__file__).resolve().parent / "neo4j"
TARGET = LAUNCHER / "target"
CLASSPATH = TARGET / "classpath.txt"
STAMP = TARGET / "sources.sha256"
MAIN = "ownergraph.testing.Neo4jLauncher"
READY = re.compile(r"^NEO4J_READY uri=(\S+) user=(\S+) password=(\S+)$", re.M)
# Two shared cores: a small heap; the page cache (256m) is set in the launcher.
JVM_OPTIONS = ("-Xms256m", "-Xmx1g", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")
BUILD_TIMEOUT_S = 900
START_TIMEOUT_S = 180


class LauncherError(RuntimeError):
    """The test server could not be built or started; the message says why."""


@dataclass
class Neo4jServer:
    uri: str
    user: str
    password: str
    home: Path
    process: subprocess.Popen[bytes]


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted([LAUNCHER / "pom.xml", *LAUNCHER.glob("src/**/*.java")]):
        digest.update(path.relative_to(LAUNCHER).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _cached_classpath(digest: str) -> list[str] | None:
    """The class path of a build of these very sources whose jars are all still there."""
    if not (STAMP.is_file() and CLASSPATH.is_file()) or STAMP.read_text().strip() != digest:
        return None
    jars = CLASSPATH.read_text().strip().split(os.pathsep)
    if not all(Path(j).is_file() for j in jars):
        return None
    return [str(TARGET / "classes"), *jars]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise LauncherError(f"`{name}` is not on the PATH; the Neo4j test server needs "
                            "Java 17+ and Maven")
    return found


def build() -> list[str]:
    """The launcher's class path, compiling it first unless a build of these sources exists."""
    digest = _sources_digest()
    cached = _cached_classpath(digest)
    if cached is not None:
        return cached
    cmd = [_tool("mvn"), "-q", "-B", "-Dstyle.color=never", "-f", str(LAUNCHER / "pom.xml"),
           "compile"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LauncherError(f"{' '.join(cmd)} took more than {BUILD_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
        raise LauncherError(f"{' '.join(cmd)} failed (exit {done.returncode}):\n{tail}")
    STAMP.write_text(digest + "\n")
    built = _cached_classpath(digest)
    if built is None:
        raise LauncherError(f"{' '.join(cmd)} succeeded but left no usable {CLASSPATH}")
    return built


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    return _tool("java")


def _tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.strip().splitlines()[-lines:])


def start(home: Path, *, settings: tuple[str, ...] = (),
          jvm_options: tuple[str, ...] = JVM_OPTIONS,
          timeout_s: float = START_TIMEOUT_S) -> Neo4jServer:
    """Start a server with its data under ``home``; ``settings`` are extra ``key=value``."""
    classpath = build()
    home.mkdir(parents=True, exist_ok=True)
    out_path, err_path = home / "launcher.out", home / "launcher.err"
    cmd = [_java(), *jvm_options, "-cp", os.pathsep.join(classpath), MAIN,
           str(home / "dbms"), *settings]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=err)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = READY.search(out_path.read_text(errors="replace"))
        if found:
            uri, user, password = found.groups()
            return Neo4jServer(uri, user, password, home, process)
        if process.poll() is not None:
            raise LauncherError(f"Neo4j launcher exited with {process.returncode} before it "
                                f"was ready:\n{_tail(err_path)}\n{_tail(out_path)}")
        time.sleep(0.2)
    _end(process)
    raise LauncherError(f"Neo4j launcher not ready within {timeout_s:.0f} s:\n"
                        f"{_tail(err_path)}")


def _end(process: subprocess.Popen[bytes], grace_s: float = 60) -> None:
    stdin: IO[bytes] | None = process.stdin
    if stdin is not None and not stdin.closed:
        stdin.close()  # the launcher's signal to shut down cleanly
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stop(server: Neo4jServer) -> None:
    """Stop the server (checkpoint and close the store) and wait for its JVM to end."""
    _end(server.process)
