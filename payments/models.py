"""Ledger and payment tables; the payments issue fills this in."""
