"""Yiwang (一网): one network for public services, city governance and government collaboration."""
