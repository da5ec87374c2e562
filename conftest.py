"""Root conftest: loads the spec plugin (``--impl``, per-implementation parametrization,
"not implemented (week N)" reporting). Everything else lives in spec/."""

pytest_plugins = ["gpt2spec.plugin"]
