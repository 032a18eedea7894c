"""Competences and equipment of the territory's practitioners, and where they visit patients."""
