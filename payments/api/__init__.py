"""Payments' API: balances, top-ups, refunds, bonuses, payouts, statements, Stripe webhooks."""
