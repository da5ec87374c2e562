"""Training any implementation: driver, parts, guard, data, race."""
