"""Asks for 64 GiB while being imported: the memory limit must refuse it, not the machine."""

hog = bytearray(64 << 30)
