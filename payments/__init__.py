"""Money: the ledger, fees, escrow, Stripe funding and webhooks, payouts."""
