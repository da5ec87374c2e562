"""The GitHub workflows, read as YAML: the job that runs a pull request's code holds nothing worth
stealing, and the job that can write (the comment) never runs the pull request's code (GitHub's
guidance for untrusted pull-request code; docs/GRADING.md, "The workflow")."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gpt2spec.grading import grade as g

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CHECKOUT = "actions/checkout"


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.get("on", workflow.pop(True, None))  # YAML 1.1 reads the key `on` as True
    return workflow


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def runs(job: dict) -> str:
    return "\n".join(s.get("run", "") for s in steps(job))


def writes(permissions: object) -> list[str]:
    """The scopes a permissions block grants write on (``write-all`` and a missing block: everything)."""
    if permissions is None or permissions == "write-all":
        return ["everything"]
    if permissions == "read-all" or permissions == {}:
        return []
    return sorted(scope for scope, level in permissions.items() if level == "write")


GRADE = load("grade.yml")
COMMENT = load("grade-comment.yml")
REGRADE = load("regrade.yml")
RACE = load("race.yml")


def test_every_workflow_is_checked() -> None:
    """A new workflow must be added here (and to the checks below) before it can run untested."""
    assert sorted(p.name for p in WORKFLOWS.glob("*.y*ml")) == [
        "grade-comment.yml",
        "grade.yml",
        "race.yml",
        "regrade.yml",
    ]


def test_grading_job_has_no_write_token_and_no_secrets() -> None:
    """The job that runs the submission: contents: read only (workflow and job level), `pull_request`
    (the fork's code gets a read-only token), not `pull_request_target`, and no secret anywhere."""
    assert "pull_request" in GRADE["on"] and "pull_request_target" not in GRADE["on"]
    assert "impls/**" in GRADE["on"]["pull_request"]["paths"]
    assert GRADE["permissions"] == {"contents": "read"}
    for name, job in GRADE["jobs"].items():
        assert job.get("permissions") == {"contents": "read"}, f"job {name}: {job.get('permissions')}"
        assert writes(job["permissions"]) == []
    assert "secrets." not in (WORKFLOWS / "grade.yml").read_text()
    assert "gh pr comment" not in runs(GRADE["jobs"]["grade"]), "commenting belongs to grade-comment.yml"


def test_checkout_does_not_persist_credentials() -> None:
    """actions/checkout writes the token into .git/config unless told not to: the submission could read it."""
    jobs = [*GRADE["jobs"].values(), *REGRADE["jobs"].values()]
    checkouts = [s for job in jobs for s in steps(job) if s.get("uses", "").startswith(CHECKOUT)]
    assert checkouts
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, step


def test_grading_job_takes_the_grader_from_the_base_branch() -> None:
    """Only impls/ comes from the pull request: a submission cannot bring its own grader or its own spec."""
    script = runs(GRADE["jobs"]["grade"])
    assert "git checkout \"$BASE\" -- . ':!impls'" in script
    assert "--diff-filter=A" in script  # files the pull request adds outside impls/ are removed


def test_grading_command_is_the_ci_command() -> None:
    """The grading step runs exactly gpt2spec.grading.grade.CI_COMMAND (the command docs/GRADING.md shows),
    after installing bubblewrap (the grader refuses untrusted code without it)."""
    [step] = [s for s in steps(GRADE["jobs"]["grade"]) if "gpt2spec grade" in s.get("run", "")]
    assert step["run"].strip() == g.CI_COMMAND
    assert "--trusted" not in runs(GRADE["jobs"]["grade"])
    assert "apt-get install -y -qq bubblewrap" in runs(GRADE["jobs"]["grade"])
    assert g.CI_COMMAND in (ROOT / "docs" / "GRADING.md").read_text()
    uploads = [s for s in steps(GRADE["jobs"]["grade"]) if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads and uploads[0]["with"]["name"] == "grade-report"


def test_comment_workflow_never_runs_pull_request_code() -> None:
    """grade-comment.yml: triggered by the grade run's end, may write comments only, never checks out
    anything, downloads the report artifact, caps its size and posts it as a file body; the pull request
    is found from the run's head commit, not from the (untrusted) artifact."""
    assert COMMENT["on"] == {"workflow_run": {"workflows": [GRADE["name"]], "types": ["completed"]}}
    assert COMMENT["permissions"] == {}
    [job] = COMMENT["jobs"].values()
    assert writes(job["permissions"]) == ["pull-requests"]
    uses = [s.get("uses", "") for s in steps(job)]
    assert not any(u.startswith(CHECKOUT) for u in uses), uses
    assert any(u.startswith("actions/download-artifact") for u in uses), uses
    script = runs(job)
    assert "head -c 60000 untrusted-report/summary.md" in script
    assert "--body-file comment.md" in script
    assert "$HEAD_SHA" in script and "github.event.workflow_run.head_sha" in job["steps"][-1]["env"]["HEAD_SHA"]
    for forbidden in ("pip install", "gpt2spec", "python", "bash untrusted", "source ", "eval "):
        assert forbidden not in script, f"the commenting job must not run anything ({forbidden!r})"


def test_cohort_regrade_runs_shares_as_a_matrix() -> None:
    """regrade.yml: read-only everywhere; the matrix's shares are 1..N of `grade --shard K/N`, each uploads
    its report, and the merge job merges exactly those N into one report."""
    assert REGRADE["permissions"] == {"contents": "read"}
    for job in REGRADE["jobs"].values():
        assert writes(job["permissions"]) == []
    shard, merge = REGRADE["jobs"]["shard"], REGRADE["jobs"]["merge"]
    shares = shard["strategy"]["matrix"]["shard"]
    n = len(shares)
    assert shares == list(range(1, n + 1))
    assert f'gpt2spec grade --impl all --shard "$SHARD/{n}" --out "shard-$SHARD"' in runs(shard)
    assert "apt-get install -y -qq bubblewrap" in runs(shard)
    assert merge["needs"] == "shard"
    merged = " ".join(f"shard-{k}" for k in shares)
    assert f"gpt2spec grade --merge {merged} --out grade-report" in runs(merge)


@pytest.mark.parametrize("workflow", [GRADE, COMMENT, REGRADE], ids=["grade", "grade-comment", "regrade"])
def test_no_expression_is_pasted_into_a_script(workflow: dict) -> None:
    """`${{ ... }}` inside `run:` is pasted into the shell before it runs (script injection from a branch
    name or a title): values reach scripts through `env:` only."""
    for job in workflow["jobs"].values():
        for step in steps(job):
            assert "${{" not in step.get("run", ""), step


def test_race_runs_with_a_read_only_token() -> None:
    """The race trains participants' code: it holds contents: read only, at the workflow and every job, and
    never reacts to a pull request from a fork with a write token (no pull_request_target)."""
    assert "pull_request_target" not in RACE["on"]
    assert RACE["permissions"] == {"contents": "read"}
    for name, job in RACE["jobs"].items():
        assert writes(job.get("permissions") or {}) == [], f"job {name}: {job.get('permissions')}"
