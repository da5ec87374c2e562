"""The executable specification: pytest modules that grade any implementation under impls/."""
