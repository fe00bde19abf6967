"""Churn model: features, training, registry and device-aware scoring."""
