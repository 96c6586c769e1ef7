"""Payments' pages: billing (balance, top-ups, checkout, statements) and worker payouts."""
