"""Indicators, CSV exports and the monthly report for the coordinator."""
