"""The grader: runner, graded child, sandbox, reports."""
