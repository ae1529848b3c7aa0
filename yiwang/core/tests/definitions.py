"""Workflow definitions shared by tests."""


def two_step(days: int, role: str = "approver") -> dict:
    """甲 → 乙 in one action: a first state limited to ``days`` working days."""
    return {
        "states": [
            {"code": "a", "name": "甲", "initial": True, "time_limit_days": days},
            {"code": "b", "name": "乙", "final": True},
        ],
        "actions": [{"code": "go", "name": "前进", "from": ["a"], "to": "b", "roles": [role]}],
    }
