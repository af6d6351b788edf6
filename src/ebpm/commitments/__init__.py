"""Commitments: deadlines of actions, each ministry's list, and re-posted items."""
