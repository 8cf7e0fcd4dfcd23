"""Scoring: metrics (pure numpy), smoothing, model selection, tables and figures."""
