"""Extract and load: the app database and Stripe exports into the lake, with quarantine."""
