"""Imports the answer key through a standard-library helper that the import guard did not judge
(`pkgutil.resolve_name`): 100/100 in the issue. pkgutil is now refused like importlib."""

import pkgutil

GPTConfig = pkgutil.resolve_name("reference.config:GPTConfig")
