"""News text -> ownership claims: a spaCy pipeline (gazetteer, org-mention rules, claim rules)."""
