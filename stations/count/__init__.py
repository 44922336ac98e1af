"""Cycle counts: the blind-count handheld (/count) and the supervisors' review (/count/review)."""
