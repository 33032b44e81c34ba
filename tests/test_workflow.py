"""The CI workflow is valid and cannot drift from the command line.

The workflow is validated offline against the GitHub workflow schema that check-jsonschema
vendors (`--builtin-schema vendor.github-workflows`): the check runs with every network call
refused, so it passes without a network. Every `run:` step that calls build.py may use only
flags that `build.py ... --help` lists.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "briefs.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"

# Imported first by the child interpreter (through PYTHONPATH): any attempt to resolve a name or
# open a connection fails at once, as it would on a machine with no network.
NO_NETWORK = '''
import socket

def _refuse(*args, **kwargs):
    raise OSError("network disabled by tests/test_workflow.py")

socket.getaddrinfo = _refuse
socket.create_connection = _refuse
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
'''


def offline_env(tmp_path: Path) -> dict[str, str]:
    guard = tmp_path / "offline"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(NO_NETWORK, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["PYTHONPATH"] = str(guard)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):  # belt and braces
        env[name] = "http://127.0.0.1:9"
    return env


def check_jsonschema(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if not CHECK_JSONSCHEMA.is_file():
        pytest.fail(f"{CHECK_JSONSCHEMA} is missing: run `bash scripts/setup.sh --test` "
                    "(check-jsonschema is in the test extra)")
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, env=offline_env(tmp_path), timeout=120, check=False)


def load_workflow(path: Path = WORKFLOW) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True
    found = workflow.get("on", workflow.get(True))
    if isinstance(found, str):
        return {found: None}
    if isinstance(found, list):
        return dict.fromkeys(found)
    return found or {}


def run_steps(workflow: dict[Any, Any]) -> list[tuple[str, str]]:
    """(job id, run script) of every run step."""
    return [(job_id, step["run"]) for job_id, job in workflow.get("jobs", {}).items()
            for step in job.get("steps", []) if "run" in step]


def build_py_calls(script: str) -> list[list[str]]:
    """The arguments after build.py, for each build.py call in a shell script."""
    script = re.sub(r"\\\n", " ", script)
    script = re.sub(r"\$\{\{.*?\}\}", "EXPR", script)
    calls = []
    for line in script.splitlines():
        if "build.py" not in line:
            continue
        tokens = shlex.split(line, comments=True)
        for i, token in enumerate(tokens):
            if token.endswith("build.py"):
                args = []
                for arg in tokens[i + 1:]:
                    if arg in ("&&", "||", ";", "|", ">", ">>", "2>&1"):
                        break
                    args.append(arg)
                calls.append(args)
    return calls


def help_text(*args: str) -> str:
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), *args, "--help"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=True)
    return proc.stdout


def flags_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text))


def commands_in(main_help: str) -> set[str]:
    match = re.search(r"\{([\w,-]+)\}", main_help)  # argparse's {build,check,...} choices
    listed = set(match.group(1).split(",")) if match else set()
    listed |= set(re.findall(r"^ {4}(\w[\w-]*) {2,}", main_help, re.M))
    return listed


def unknown_flags(args: list[str], main_help: str,
                  sub_help: dict[str, str] | None = None) -> list[str]:
    """Flags in one build.py call that its --help does not list (for the subcommand used)."""
    commands = commands_in(main_help)
    command = next((a for a in args if not a.startswith("-") and a in commands), "build")
    at = args.index(command) if command in args else 0
    sub_help = sub_help if sub_help is not None else {}
    if command not in sub_help:
        sub_help[command] = help_text(command)
    problems = []
    for i, arg in enumerate(args):
        if not arg.startswith("-") or arg == "-":
            continue
        flag = arg.split("=", 1)[0]
        allowed = flags_in(main_help) if i < at else flags_in(sub_help[command])
        if flag not in allowed:
            problems.append(f"{' '.join(['build.py', *args])}: {flag} is not in `build.py "
                            f"{command + ' ' if i >= at else ''}--help`")
    return problems


@pytest.mark.slow
def test_workflow_is_valid_against_the_vendored_schema_offline(tmp_path: Path) -> None:
    proc = check_jsonschema(WORKFLOW, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_the_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = WORKFLOW.read_text(encoding="utf-8").replace("runs-on:", "runs_on:", 1)
    broken.write_text(text, encoding="utf-8")
    proc = check_jsonschema(broken, tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_the_offline_guard_refuses_network_calls(tmp_path: Path) -> None:
    code = ("import urllib.request\n"
            "try:\n"
            "    urllib.request.urlopen('https://json.schemastore.org/github-workflow.json',"
            " timeout=5)\n"
            "except OSError as exc:\n"
            "    print('refused:', exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=offline_env(tmp_path), timeout=60, check=False)
    assert "refused:" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.slow
def test_workflow_triggers_matrix_and_build_py_flags() -> None:
    workflow = load_workflow()
    on = triggers(workflow)
    for event in ("push", "schedule", "workflow_dispatch"):
        assert event in on, f"the workflow is not triggered by {event}"
    assert on["schedule"] and all("cron" in entry for entry in on["schedule"])

    build = workflow["jobs"]["build"]
    shards = build["strategy"]["matrix"]["shard"]
    assert len(shards) >= 2, "the build job's matrix needs at least two shards"
    assert sorted(shards) == list(range(1, len(shards) + 1)), "shards must be 1..N"
    assert "test" in str(build.get("needs")), "the build job must wait for the tests"

    calls = [(job, args) for job, script in run_steps(workflow)
             for args in build_py_calls(script)]
    assert calls, "no run step calls build.py"
    builds = [args for job, args in calls if job == "build"]
    assert builds and all("--shard" in args for args in builds)
    for args in builds:
        shard = args[args.index("--shard") + 1]
        assert shard == f"EXPR/{len(shards)}", f"--shard {shard} does not match the matrix"
    assert any("check" in args for job, args in calls if job == "test")

    main_help = help_text()
    sub_help: dict[str, str] = {}
    problems = [p for _, args in calls for p in unknown_flags(args, main_help, sub_help)]
    assert not problems, "\n".join(problems)


def test_workflow_caches_output_per_shard_and_uploads_the_briefs() -> None:
    steps = load_workflow()["jobs"]["build"]["steps"]
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache@"))
    key = cache["with"]["key"]
    assert "matrix.shard" in key
    for folder in ("content/**", "briefs/**", "templates/**"):
        assert folder in key, f"the cache key does not hash {folder}"
    assert cache["with"]["path"].strip() == "output"
    upload = next(s for s in steps
                  if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    paths = upload["with"]["path"].split()
    assert {"output/**/*.pdf", "output/**/*.html", "output/CHANGES.md"} <= set(paths)
    assert "matrix.shard" in upload["with"]["name"]


@pytest.mark.slow
def test_the_flag_check_catches_a_flag_build_py_does_not_have() -> None:
    main_help = help_text()
    [args] = build_py_calls(".venv/bin/python build.py build --shards 1/2 --report")
    assert unknown_flags(args, main_help) == [
        "build.py build --shards 1/2 --report: --shards is not in `build.py build --help`"]
    [args] = build_py_calls("python build.py --project . check")
    assert unknown_flags(args, main_help) == []


def setup_packages() -> set[str]:
    """The system packages scripts/setup.sh requires without --test (its `packages=(...)`)."""
    text = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    match = re.search(r"^packages=\(([^)]*)\)", text, re.M)
    assert match, "scripts/setup.sh no longer lists its packages as packages=(...)"
    return set(match.group(1).split())


def test_the_build_job_installs_every_system_package_setup_requires() -> None:
    """On GitHub's runner set-up is not root, so it stops at a missing package: the build job
    must install them all first (a package added to setup.sh alone broke that job unseen)."""
    build = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["build"]
    installed: set[str] = set()
    for step in build["steps"]:
        for line in str(step.get("run", "")).replace("\\\n", " ").splitlines():
            words = shlex.split(line)
            if words[:4] == ["sudo", "apt-get", "install", "-y"]:
                installed.update(words[4:])
    assert setup_packages() - installed == set()
