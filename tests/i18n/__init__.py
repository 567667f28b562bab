"""Languages: the catalogs and conversations in English, French and Spanish (issue 9)."""
